import AnnaJSON
import Dispatch

/// One serving session of a plugin: classifies input frames on a
/// dedicated reader thread, runs invokes as concurrent tasks, and keeps
/// the table of reverse calls waiting for the host's answer.
///
/// The reader never waits for a tool: cheap requests (`describe`,
/// `health`, errors) are answered inline, invokes and listeners run on the
/// concurrency pool, and answers to reverse calls are resolved right on
/// the reader, so a tool blocked on the host is always unblocked
/// (10 PC-RT-1).
final class Connection: @unchecked Sendable {
    enum End {
        case endOfInput
        case shutdown(id: JSON)
    }

    private struct Pending {
        let method: String
        let continuation: CheckedContinuation<Result<JSON, HostCallError>, Never>
    }

    private typealias Notification = (method: String, params: JSON)

    let writer: FrameWriter
    let hostCallTimeout: Duration
    private let tools: [JStr: ExecutaPlugin.Tool]
    private let toolNames: String
    private let listeners: [String: [ExecutaPlugin.NotificationListener]]
    private let initializeCallbacks: [ExecutaPlugin.InitializeCallback]
    private let manifest: JSON
    private let maxFrameBytesHint: Int

    private let lock = Lock()
    private var nextCallNumber = 0
    private var pending: [Int: Pending] = [:]
    private var inputClosed = false
    private var inflight = 0
    private var idleWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter = 0

    private let notifications: AsyncStream<Notification>
    private let notificationSink: AsyncStream<Notification>.Continuation

    init(plugin: ExecutaPlugin, writer: FrameWriter) {
        self.writer = writer
        hostCallTimeout = plugin.hostCallTimeout
        var table: [JStr: ExecutaPlugin.Tool] = [:]
        for t in plugin.tools { table[JStr(t.name)] = t }
        tools = table
        toolNames = plugin.tools.map(\.name).joined(separator: ", ")
        var byMethod: [String: [ExecutaPlugin.NotificationListener]] = [:]
        for l in plugin.listeners { byMethod[l.method, default: []].append(l.listener) }
        listeners = byMethod
        initializeCallbacks = plugin.initializeCallbacks
        manifest = plugin.manifest
        maxFrameBytesHint = plugin.maxFrameBytes
        (notifications, notificationSink) = AsyncStream.makeStream(of: Notification.self)
    }

    var hasListeners: Bool { !listeners.isEmpty }

    // MARK: reading

    /// Reads and dispatches frames on a new thread until end of input or
    /// a `shutdown` request.
    func serve(_ input: some ExecutaInput, maxLine: Int) async -> End {
        await withCheckedContinuation { (cont: CheckedContinuation<End, Never>) in
            let started = Sys.startThread {
                cont.resume(returning: self.readLoop(input, maxLine: maxLine))
            }
            if !started {
                Sys.writeStderr("[anna-executa] could not start the reader thread\n")
                cont.resume(returning: .endOfInput)
            }
        }
    }

    private func readLoop(_ input: some ExecutaInput, maxLine: Int) -> End {
        var end = End.endOfInput
        let outcome = LineReader(maxLine: maxLine).run(input) { event in
            switch event {
            case .line(let bytes):
                if let shutdownId = handleLine(bytes) {
                    end = .shutdown(id: shutdownId)
                    return false
                }
                return true
            case .oversized(let size, let head):
                handleOversized(size: size, head: head, maxLine: maxLine)
                return true
            }
        }
        if outcome == .readError { Sys.writeStderr("[anna-executa] read error on input; stopping\n") }
        return end
    }

    /// Handles one input line; returns the request id of a `shutdown`
    /// request (which ends reading), nil otherwise.
    private func handleLine(_ bytes: UnsafeBufferPointer<UInt8>) -> JSON? {
        if Connection.isBlank(bytes) { return nil }
        let value: JSON
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            writer.send { Frame.error(id: .null, code: -32700, message: "parse error", into: &$0) }
            return nil
        }
        guard case .object(let message) = value else {
            writer.send { Frame.error(id: .null, code: -32600, message: "request must be an object", into: &$0) }
            return nil
        }
        if let methodValue = message.field("method") {
            guard case .string(let method) = methodValue, !method.isEmpty else {
                let id = message.field("id") ?? .null
                writer.send { Frame.error(id: id, code: -32600, message: "invalid request: method must be a non-empty string", into: &$0) }
                return nil
            }
            guard let id = message.field("id") else {
                notify(method: method, params: message.field("params") ?? .null)
                return nil
            }
            return handleRequest(id: id, method: method, params: message.field("params"))
        }
        if message.has("result") || message.has("error") {
            resolve(message)
            return nil
        }
        let id = message.field("id") ?? .null
        writer.send { Frame.error(id: id, code: -32600, message: "invalid request: missing 'method'", into: &$0) }
        return nil
    }

    private static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for b in bytes where !(b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A) { return false }
        return true
    }

    private func handleRequest(id: JSON, method: JStr, params: JSON?) -> JSON? {
        if method.equals("invoke") {
            startInvoke(id: id, params: params)
        } else if method.equals("describe") {
            writer.send { Frame.result(id: id, manifest, into: &$0) }
        } else if method.equals("health") {
            writer.send { Frame.result(id: id, ["status": "ok"], into: &$0) }
        } else if method.equals("initialize") {
            initialize(id: id, params: params ?? .null)
        } else if method.equals("shutdown") {
            return id
        } else {
            writer.send { Frame.error(id: id, code: -32601, message: "Method not found: \(method.string)", into: &$0) }
        }
        return nil
    }

    // MARK: invoke

    private func startInvoke(id: JSON, params: JSON?) {
        let p: JObject
        switch params {
        case nil, .null?: p = JObject()
        case .object(let o)?: p = o
        default:
            writer.send { Frame.error(id: id, code: -32602, message: "invalid params: invoke expects an object", into: &$0) }
            return
        }
        guard case .string(let toolName)? = p.field("tool"), !toolName.isEmpty else {
            writer.send { Frame.error(id: id, code: -32602, message: "invalid params: 'tool' must be a non-empty string", into: &$0) }
            return
        }
        guard let tool = tools[toolName] else {
            let text = "unknown tool '\(toolName.string)' (this plugin has: \(toolNames))"
            writer.send { Frame.invokeFailure(id: id, message: text, details: nil, into: &$0) }
            return
        }
        var arguments = p.field("arguments") ?? .object(JObject())
        if arguments.isNull { arguments = .object(JObject()) }
        let invokeId = p.field("context")?["invoke_id"]?.jstr?.string
        lock.withLock { inflight += 1 }
        Task {
            await self.runInvoke(tool: tool, id: id, arguments: arguments, invokeId: invokeId)
        }
    }

    private func runInvoke(tool: ExecutaPlugin.Tool, id: JSON, arguments: JSON, invokeId: String?) async {
        let context = InvokeContext(invokeId: invokeId, tool: tool.name, requestId: id, connection: self)
        do {
            let data = try await tool.handler(arguments, context)
            writer.send { Frame.invokeSuccess(id: id, data: data, into: &$0) }
        } catch let failure as ToolFailure {
            writer.send { Frame.invokeFailure(id: id, message: failure.message, details: failure.details, into: &$0) }
        } catch {
            let text = String(describing: error)
            writer.send { Frame.invokeFailure(id: id, message: text, details: nil, into: &$0) }
        }
        finishedWork()
    }

    private func initialize(id: JSON, params: JSON) {
        if initializeCallbacks.isEmpty {
            writer.send { Frame.result(id: id, manifest, into: &$0) }
            return
        }
        lock.withLock { inflight += 1 }
        Task {
            do {
                for callback in self.initializeCallbacks { try await callback(params) }
                self.writer.send { Frame.result(id: id, self.manifest, into: &$0) }
            } catch {
                let text = "initialize failed: \(error)"
                self.writer.send { Frame.error(id: id, code: -32603, message: text, into: &$0) }
            }
            self.finishedWork()
        }
    }

    // MARK: notifications

    /// Queued notifications count as in-flight work, so those that
    /// arrived before EOF are handled before the shutdown callbacks run.
    private func notify(method: JStr, params: JSON) {
        let name = method.string
        guard listeners[name] != nil else { return }
        lock.withLock { inflight += 1 }
        notificationSink.yield((name, params))
    }

    func pumpNotifications() async {
        for await n in notifications {
            for listener in listeners[n.method] ?? [] { await listener(n.params) }
            finishedWork()
        }
    }

    func finishNotifications() { notificationSink.finish() }

    // MARK: reverse calls

    func call(method: String, params: JObject, timeout: Duration) async throws(HostCallError) -> JSON {
        let number = lock.withLock { () -> Int in
            nextCallNumber += 1
            return nextCallNumber
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (cont: CheckedContinuation<Result<JSON, HostCallError>, Never>) in
                let accepted = lock.withLock { () -> Bool in
                    if inputClosed { return false }
                    pending[number] = Pending(method: method, continuation: cont)
                    return true
                }
                guard accepted else {
                    cont.resume(returning: .failure(.closed(method)))
                    return
                }
                if Task.isCancelled {
                    complete(number, .failure(.cancelled(method)))
                    return
                }
                let sent = writer.send { Frame.request(id: "sdk-\(number)", method: method, params: params, into: &$0) }
                if !sent {
                    complete(number, .failure(.closed(method)))
                    return
                }
                let seconds = timeout.seconds
                DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                    self.complete(number, .failure(.timeout(method, seconds: seconds)))
                }
            }
        } onCancel: {
            complete(number, .failure(.cancelled(method)))
        }
        return try result.get()
    }

    /// Resumes the waiter of call `number` exactly once: whoever removes
    /// the entry (answer, timeout, cancellation, close) resumes it.
    private func complete(_ number: Int, _ result: Result<JSON, HostCallError>) {
        guard let p = lock.withLock({ pending.removeValue(forKey: number) }) else { return }
        p.continuation.resume(returning: result)
    }

    private func complete(_ number: Int, _ make: (String) -> Result<JSON, HostCallError>) {
        guard let p = lock.withLock({ pending.removeValue(forKey: number) }) else { return }
        p.continuation.resume(returning: make(p.method))
    }

    /// An answer from the host. Anything that is not the answer to one of
    /// our pending calls (a late answer after a timeout, a stray id) is
    /// dropped: answering a response would start a ping-pong.
    private func resolve(_ message: JObject) {
        guard case .string(let id)? = message.field("id"), let number = Connection.callNumber(id) else { return }
        if let error = message.field("error"), !error.isNull {
            complete(number) { .failure(Connection.hostError(method: $0, error)) }
        } else {
            let value = message.field("result") ?? .null
            complete(number) { _ in .success(value) }
        }
    }

    /// `"sdk-<n>"` → n.
    static func callNumber(_ id: JStr) -> Int? {
        guard id.hasPrefix("sdk-" as StaticString) else { return nil }
        let s = id.string
        return Int(s.dropFirst(4))
    }

    static func hostError(method: String, _ error: JSON) -> HostCallError {
        guard case .object(let e) = error else {
            return HostCallError(method: method, kind: .rpc, code: -32000, message: Py.str(error).string)
        }
        var code = -32000
        switch e.field("code") {
        case .int(let c)?: code = c
        case .bool(let b)?: code = b ? 1 : 0
        case .double(let d)? where d.isFinite && abs(d) < 1e15: code = Int(d)
        default: break
        }
        var text = "unknown error"
        if let m = e.field("message") { text = Py.str(m).string }
        var data = e.field("data")
        if data?.isNull == true { data = nil }
        return HostCallError(method: method, kind: .rpc, code: code, message: text, data: data)
    }

    /// Stops accepting reverse calls and fails the waiting ones: with the
    /// input gone no answer can arrive (10 PC-RT-6, mirrored).
    func closeInput() {
        let waiting = lock.withLock { () -> [Pending] in
            inputClosed = true
            let all = Array(pending.values)
            pending.removeAll()
            return all
        }
        for p in waiting { p.continuation.resume(returning: .failure(.closed(p.method))) }
    }

    // MARK: oversized frames

    private func handleOversized(size: Int, head: UnsafeBufferPointer<UInt8>, maxLine: Int) {
        let id = Connection.firstId(in: head)
        if Connection.contains(head, #""method""#) {
            let text = "request frame too large: \(size) bytes exceeds the \(maxLine)-byte stdio frame limit"
            let data: JSON = ["errorCode": "frame_too_large", "frame_bytes": .int(size), "max_frame_bytes": .int(maxLine)]
            writer.send { Frame.error(id: id ?? .null, code: -32600, message: text, data: data, into: &$0) }
            return
        }
        if case .string(let s)? = id, let number = Connection.callNumber(s) {
            let text = "host response frame is \(size) bytes, exceeds the \(maxLine)-byte stdio frame limit"
            complete(number) {
                .failure(HostCallError(method: $0, kind: .rpc, code: -32600, message: text,
                                       data: ["errorCode": "frame_too_large", "frame_bytes": .int(size), "max_frame_bytes": .int(maxLine)]))
            }
            return
        }
        Sys.writeStderr("[anna-executa] dropped an oversized input frame (\(size) bytes)\n")
    }

    private static func contains(_ hay: UnsafeBufferPointer<UInt8>, _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard hay.count >= n else { return false }
        let p = needle.utf8Start
        var i = 0
        while i + n <= hay.count {
            var j = 0
            while j < n && hay[i + j] == p[j] { j += 1 }
            if j == n { return true }
            i += 1
        }
        return false
    }

    /// The value of the first `"id"` key in a truncated frame: an integer
    /// or a plain string (no escapes), else nil.
    static func firstId(in head: UnsafeBufferPointer<UInt8>) -> JSON? {
        let key: [UInt8] = Array(#""id""#.utf8)
        var i = 0
        while i + key.count <= head.count {
            var j = 0
            while j < key.count && head[i + j] == key[j] { j += 1 }
            if j < key.count { i += 1; continue }
            var k = i + key.count
            func skipSpace() { while k < head.count && (head[k] == 0x20 || head[k] == 0x09) { k += 1 } }
            skipSpace()
            guard k < head.count, head[k] == UInt8(ascii: ":") else { i += 1; continue }
            k += 1
            skipSpace()
            guard k < head.count else { return nil }
            if head[k] == UInt8(ascii: "\"") {
                let s = k + 1
                var e = s
                while e < head.count && head[e] != UInt8(ascii: "\"") && head[e] != UInt8(ascii: "\\") { e += 1 }
                guard e < head.count, head[e] == UInt8(ascii: "\"") else { return nil }
                return .string(JStr(String(decoding: UnsafeBufferPointer(rebasing: head[s..<e]), as: UTF8.self)))
            }
            var e = k
            while e < head.count && head[e] >= 0x30 && head[e] <= 0x39 && e - k < 18 { e += 1 }
            guard e > k else { return nil }
            return Int(String(decoding: UnsafeBufferPointer(rebasing: head[k..<e]), as: UTF8.self)).map { .int($0) }
        }
        return nil
    }

    // MARK: in-flight work

    private func finishedWork() {
        let waiters = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            inflight -= 1
            guard inflight == 0 else { return [] }
            let all = Array(idleWaiters.values)
            idleWaiters.removeAll()
            return all
        }
        for w in waiters { w.resume() }
    }

    /// Returns when no invoke or notification is being handled, or after
    /// `grace`.
    func waitIdle(grace: Duration) async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            let token = lock.withLock { () -> Int? in
                if inflight == 0 { return nil }
                nextWaiter += 1
                idleWaiters[nextWaiter] = cont
                return nextWaiter
            }
            guard let token else {
                cont.resume()
                return
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + grace.seconds) {
                if let w = self.lock.withLock({ self.idleWaiters.removeValue(forKey: token) }) { w.resume() }
            }
        }
    }
}
