import AnnaJSON

/// One harness window bound to its store and validated manifest
/// (`LocalDispatcherSession`, 05 §1). `call` is the entry point for iframe
/// envelopes and for plugins' reverse calls; it is thread-safe.
public final class DispatcherSession: Sendable {
    public let store: WindowStore
    public let window: WindowRecord
    public let acl: ManifestACL

    public init(store: WindowStore, window: WindowRecord, acl: ManifestACL) {
        self.store = store
        self.window = window
        self.acl = acl
    }

    public var manifest: AppManifest { acl.manifest }

    /// Dispatches one `(ns, method, args)` envelope (D-DISP-1..10, SS-3).
    public func call(ns: JSON, method: JSON, args: JSON) -> HandlerResult {
        guard case .string(let nsName) = ns, case .string(let methodName) = method,
              let m = HostMethod.find(ns: nsName, method: methodName) else {
            // D-DISP-2 (+ errata): unknown pair. Non-string names (which the
            // reference either stringifies or crashes on) are answered the
            // same way: a documented divergence for arrays/objects.
            return .failure(HostError("unknown_method", "\(Py.str(ns)).\(Py.str(method)) is not defined"))
        }
        return admit(m, args).flatMap { Dispatcher.run(m, $0) }
    }

    /// The manifest gate and D-DISP-1 (falsy args are `{}`), shared by
    /// `call` and `startCall`.
    private func admit(_ m: HostMethod, _ args: JSON) -> Result<Call, HostError> {
        if !m.noAuth && !acl.allows(m) {
            return .failure(.permissionDenied("manifest does not grant '\(m.namespace).\(m.name)'"))
        }
        return .success(Call(session: self, args: args.isTruthy ? args : .object(JObject())))
    }

    /// How `startCall` went.
    public enum Start {
        /// Answered on the spot (every check before the plugin call failed).
        case finished(HandlerResult)
        /// In flight: `done` runs once, later, on another thread.
        case started
        /// Not started and nothing happened: use `call` on a thread that may block.
        case needsThread
    }

    /// `call` for the one method that waits on a plugin, without a waiting
    /// thread: tools.invoke to a warm plugin is sent here and answered
    /// from the plugin's reader, so no thread sits blocked per call in
    /// flight. Checks and results are exactly `call`'s.
    public func startCall(ns: JStr, method: JStr, args: JSON,
                          done: @escaping @Sendable (HandlerResult) -> Void) -> Start {
        guard let m = HostMethod.find(ns: ns, method: method), m == .toolsInvoke else { return .needsThread }
        let prepared: ToolsHandlers.PreparedInvoke
        do {
            prepared = try ToolsHandlers.prepareInvoke(try admit(m, args).get())
        } catch {
            return .finished(.failure(error))
        }
        let started = prepared.pool.startInvoke(toolId: prepared.plugin, toolName: prepared.tool, arguments: prepared.arguments,
                                                timeoutMs: prepared.timeoutMs, origin: InvokeOrigin(session: self)) { outcome in
            done(Result { () throws(HostError) -> JObject in try ToolsHandlers.finishInvoke(prepared, outcome) })
        }
        return started ? .started : .needsThread
    }
}

/// The inputs of one handler run.
struct Call {
    let session: DispatcherSession
    /// Args after D-DISP-1 (falsy → `{}`); may still be a truthy non-object.
    let args: JSON

    var store: WindowStore { session.store }
    var window: WindowRecord { session.window }
    var acl: ManifestACL { session.acl }

    /// The args object; a handler reading a truthy non-object crashes in
    /// the reference with Python's attribute error text (D-DISP-1).
    func object() -> Result<JObject, HostError> {
        if case .object(let o) = args { return .success(o) }
        return .failure(.crashed("'\(args.pyTypeName)' object has no attribute 'get'"))
    }
}
