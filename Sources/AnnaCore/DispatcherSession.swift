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
        let a: JSON = args.isTruthy ? args : .object(JObject())
        guard case .string(let nsName) = ns, case .string(let methodName) = method,
              let m = HostMethod.find(ns: nsName, method: methodName) else {
            // D-DISP-2 (+ errata): unknown pair. Non-string names (which the
            // reference either stringifies or crashes on) are answered the
            // same way: a documented divergence for arrays/objects.
            return .failure(HostError("unknown_method", "\(Py.str(ns)).\(Py.str(method)) is not defined"))
        }
        if !m.noAuth && !acl.allows(m) {
            return .failure(.permissionDenied("manifest does not grant '\(m.namespace).\(m.name)'"))
        }
        return Dispatcher.run(m, Call(session: self, args: a))
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
