import AnnaJSON

/// The outbound host call (`host.<ns>.<method>`, 05 §10): implemented by
/// the bridge (a JSON-RPC request to Node) or by a host-registered C/Python/Node
/// callback. Blocks the calling thread until the answer or the deadline.
public protocol HostCaller: AnyObject, Sendable {
    /// Answers the result object (non-objects already mapped to `{}`,
    /// BR-OUT-4) or a structured error (BR-OUT-3).
    func callHost(method: String, params: JObject) -> Result<JObject, HostError>
}

/// Who is calling a plugin: captured at the call and consulted when the
/// plugin calls back (EX-INV-2, EX-CTX-*).
public struct InvokeOrigin: Sendable {
    public let session: DispatcherSession
    public let progress: (@Sendable (JStr, JObject) -> Void)?
    public init(session: DispatcherSession, progress: (@Sendable (JStr, JObject) -> Void)? = nil) {
        self.session = session
        self.progress = progress
    }
}

/// What a plugin invoke produced, as the dispatcher sees it (07 §4).
public enum InvokeOutcome: Sendable {
    /// The pool's outer envelope (EX-ENV-1..4).
    case envelope(JSON)
    /// The wait budget elapsed (EX-TMO-2); the text of the timeout.
    case timeout(JStr)
    /// Any other failure, already a host error (e.g. spawn failure → internal).
    case failure(HostError)
}

/// The executa pool as the store uses it (ST-INV-*).
public protocol ExecutaInvoker: AnyObject, Sendable {
    func isRegistered(_ toolId: JStr) -> Bool
    /// Blocks until the plugin answers, the budget elapses or the process dies.
    func invoke(toolId: JStr, toolName: JStr, arguments: JSON, timeoutMs: Int?, origin: InvokeOrigin) -> InvokeOutcome
    /// The same call without a waiting thread: true when it was sent and
    /// `done` will run once, later, on another thread; false when it could
    /// not start without blocking (no warm process, a full pipe, a large
    /// frame) and nothing happened: the caller then uses `invoke`.
    func startInvoke(toolId: JStr, toolName: JStr, arguments: JSON, timeoutMs: Int?, origin: InvokeOrigin,
                     done: @escaping @Sendable (InvokeOutcome) -> Void) -> Bool
}

extension ExecutaInvoker {
    /// Invokers without a thread-free path: always the blocking `invoke`.
    public func startInvoke(toolId: JStr, toolName: JStr, arguments: JSON, timeoutMs: Int?, origin: InvokeOrigin,
                            done: @escaping @Sendable (InvokeOutcome) -> Void) -> Bool { false }
}

/// The tools.invokeAsync job family (08), reached after dispatcher validation.
public protocol JobHost: AnyObject, Sendable {
    func create(session: DispatcherSession, toolId: JStr, pluginName: JStr, toolName: JStr,
                arguments: JObject, timeoutMs: Int, clientTag: JStr?) -> HandlerResult
    func get(userId: JSON, jobId: JStr, sinceSeq: JSON, limit: Int) -> HandlerResult
    func cancel(userId: JSON, jobId: JStr, reason: JStr?) -> HandlerResult
    func list(userId: JSON, toolId: JStr?, states: [JStr]?, clientTag: JStr?, since: JStr?, limit: Int) -> HandlerResult
}

/// The keyless local web.* implementation (05 §12), network I/O.
public protocol WebBackend: AnyObject, Sendable {
    func fetch(args: JObject) -> HandlerResult
    func imageFetch(args: JObject) -> HandlerResult
}
