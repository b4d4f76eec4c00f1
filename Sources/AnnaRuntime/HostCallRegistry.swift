import AnnaCore
import AnnaJSON
import Synchronization

/// Outbound host calls (05 §10-11, 09 §6): numbers each call (a
/// process-wide counter from 1), hands it to the host's sink (the bridge
/// writes a JSON-RPC request line; a C host gets its callback), and blocks
/// the calling thread until `reply` or the deadline.
public final class HostCallRegistry: HostCaller, Sendable {
    /// Receives `(call id, method, params as JSON text)`; must not block for long.
    public typealias Sink = @Sendable (UInt64, String, [UInt8]) -> Void

    struct Waiting {
        let slot: OneShot<Result<JObject, HostError>>
        /// Which installation of the sink the call went to.
        let generation: Int
    }

    struct State {
        var sink: Sink?
        var generation = 0
        var pending: [UInt64: Waiting] = [:]
    }

    private let state = Mutex<State>(State())
    /// Call ids are unique for the runtime's lifetime, across re-installed
    /// sinks, so a late reply can never resolve an unrelated newer call.
    private let nextId = Atomic<UInt64>(1)
    /// 0 = wait forever (reference parity, BR-OUT-2).
    public let timeoutMs: Int

    public init(timeoutMs: Int) { self.timeoutMs = timeoutMs }

    /// Installs or removes the sink. Calls sent to a previous sink fail at
    /// once with `host_unavailable` instead of waiting out their deadline.
    public func setSink(_ sink: Sink?) {
        let stale: [OneShot<Result<JObject, HostError>>] = state.withLock { s in
            s.sink = sink
            s.generation += 1
            let old = s.pending.values.map { $0.slot }
            s.pending.removeAll()
            return old
        }
        for slot in stale { slot.fulfill(.failure(HostError("host_unavailable", "the host call handler was replaced"))) }
    }

    public var hasSink: Bool { state.withLock { $0.sink != nil } }

    public func callHost(method: String, params: JObject) -> Result<JObject, HostError> {
        let id = nextId.add(1, ordering: .relaxed).oldValue
        let slot = OneShot<Result<JObject, HostError>>()
        let sink: Sink? = state.withLock { s in
            guard let sink = s.sink else { return nil }
            s.pending[id] = Waiting(slot: slot, generation: s.generation)
            return sink
        }
        guard let sink else { return .failure(HostError("host_unavailable", "no host call handler is installed")) }
        var buf = ByteBuffer(capacity: 128)
        JSONWriter.writeObject(params, style: .pyUnescaped, into: &buf)
        sink(id, method, buf.bytes)
        let answer = slot.wait(timeoutNanos: timeoutMs > 0 ? UInt64(timeoutMs) * 1_000_000 : nil)
        state.withLock { _ = $0.pending.removeValue(forKey: id) }
        if let answer { return answer }
        return .failure(HostError("host_timeout", "host call \(method) timed out after \(PyFloat.repr(Double(timeoutMs) / 1000))s",
                                  JObject(uniqueEntries: [("method", .str(method)), ("timeout_ms", .int(timeoutMs))])))
    }

    public func isPending(_ id: UInt64) -> Bool { state.withLock { $0.pending[id] != nil } }

    /// Resolves a pending call with the host's JSON-RPC response object
    /// (BR-OUT-3/4). False when no call with that id is waiting.
    @discardableResult
    public func reply(_ id: UInt64, response: JObject) -> Bool {
        guard let w = state.withLock({ $0.pending[id] }) else { return false }
        return w.slot.fulfill(HostCallRegistry.map(response))
    }

    @discardableResult
    public func fail(_ id: UInt64, _ error: HostError) -> Bool {
        guard let w = state.withLock({ $0.pending[id] }) else { return false }
        return w.slot.fulfill(.failure(error))
    }

    /// Fails every waiting call (the host went away).
    public func failAll(_ error: HostError) {
        let slots = state.withLock { s in s.pending.values.map { $0.slot } }
        for s in slots { s.fulfill(.failure(error)) }
    }

    /// BR-OUT-3/4 (and BR-OUT-5, where the reference crashes on a truthy
    /// non-object `error`: we report it as `jsonrpc_None` with its text).
    static func map(_ env: JObject) -> Result<JObject, HostError> {
        if let err = env["error"], !err.isNull {
            let e: JObject
            var message: JStr
            switch err {
            case .object(let o):
                e = o
                message = o["message"].map { Py.str($0) } ?? "unknown error"
            default:
                e = JObject()
                message = err.isTruthy ? Py.str(err) : "unknown error"
            }
            let data = e["data"]?.object ?? JObject()
            let code: JStr
            if let ec = data["errorCode"], ec.isTruthy {
                code = Py.str(ec)
            } else {
                code = "jsonrpc_\(Py.str(e["code"] ?? .null))"
            }
            if case .object = err {} else if !err.isTruthy { message = "unknown error" }
            return .failure(HostError(code, message, data))
        }
        if case .object(let r) = env["result"] ?? .null { return .success(r) }
        return .success(JObject())
    }
}
