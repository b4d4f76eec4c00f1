import AnnaCore
import AnnaJSON
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a waiting invoke receives (07 §4).
enum PluginReply: Sendable {
    /// The pool's outer envelope (EX-ENV-1..4).
    case envelope(JSON)
    /// The caller stopped waiting (job cancelled or past its deadline).
    case cancelled
}

/// One live plugin process (07 §2-8): one writer lock for its stdin, a
/// table of pending requests keyed by id, one reader thread for stdout, one
/// pump for stderr. Each waiter is resumed exactly once; entries leave the
/// table on answer, timeout, cancellation and process death.
final class PluginProcess: Sendable {
    static let maxResultBytes = 4_194_304
    static let maxFrameBytes = LineFrontEnd.maxFrameBytes

    let toolId: JStr
    let child: Sys.Child
    private let writeOpen = IOLock<Bool>(true)
    /// Serialises termination so the pid is signalled only while unreaped.
    private let reaped = IOLock<Bool>(false)
    /// Set once the pid has been reaped; readable without waiting on `reaped`.
    private let reapedFlag = Atomic<Bool>(false)
    var isReaped: Bool { reapedFlag.load(ordering: .acquiring) }
    let state = IOLock<State>(State())
    /// Called when the process is gone (the pool forgets it; idempotent).
    let onExit: @Sendable (PluginProcess) -> Void
    let onRequest: @Sendable (PluginProcess, JObject) -> Void
    /// Runs work that may block (a write into a full pipe, a response write)
    /// away from the reader and timer threads.
    let offload: @Sendable (@escaping @Sendable () -> Void) -> Void
    /// Set when stdin is being closed: a writer waiting for room gives up.
    private let closing = Atomic<Bool>(false)

    /// Who receives the answer to one request id.
    struct Pending {
        enum Receiver {
            /// A thread blocked in `invoke`.
            case waiter(OneShot<PluginReply>)
            /// `startInvoke`: called on the thread that resolves the call
            /// (nil = its deadline passed); its timer entry is cancelled first.
            case callback(@Sendable (PluginReply?) -> Void, DeadlineTimer.Entry?)
        }
        let receiver: Receiver
        /// The invoke id this request carries, forgotten with it.
        let invokeId: JStr

        func deliver(_ reply: PluginReply?) {
            switch receiver {
            case .waiter(let slot):
                if let reply { slot.fulfill(reply) }
            case .callback(let done, let entry):
                entry?.cancel()
                done(reply)
            }
        }
    }

    struct State {
        var nextId = 1
        var pending: [Int: Pending] = [:]
        /// Invokes in flight on this process, by invoke id (EX-INV-1 step 4).
        var invokes: [JStr: InvokeOrigin] = [:]
        var alive = true
    }

    init(toolId: JStr, child: Sys.Child, onRequest: @escaping @Sendable (PluginProcess, JObject) -> Void,
         onExit: @escaping @Sendable (PluginProcess) -> Void,
         offload: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void = PluginProcess.onNewThread) {
        self.toolId = toolId
        self.child = child
        self.onRequest = onRequest
        self.onExit = onExit
        self.offload = offload
        // Writers that must not block (startInvoke) rely on EAGAIN; the
        // others wait for room in Sys.writeAll.
        Sys.setNonBlocking(child.stdin)
    }

    /// Starts the stdout reader and the stderr pump; false if the OS refused
    /// a thread (the caller then stops the process).
    func start() -> Bool {
        guard Sys.startThread(stackSize: 8 << 20, { [self] in readStdout() }) else { return false }
        if !Sys.startThread(stackSize: 256 << 10, { [self] in pumpStderr() }) {
            // Without a pump a chatty plugin would block on a full stderr pipe.
            Sys.closeFD(child.stderr)
        }
        return true
    }

    var isAlive: Bool { state.withLock { $0.alive } }

    /// The default `offload`: a thread of its own (inline if none can start).
    static let onNewThread: @Sendable (@escaping @Sendable () -> Void) -> Void = { work in
        if !Sys.startThread(work) { work() }
    }

    // MARK: writing

    /// Writes one frame; false when the pipe is closed or broken.
    @discardableResult
    func write(_ line: borrowing ByteBuffer) -> Bool {
        line.withBytes { write($0) }
    }

    @discardableResult
    func write(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        writeOpen.withLock { open in
            guard open else { return false }
            let ok = Sys.writeAllNoSigpipe(child.stdin, bytes, giveUp: { [self] in closing.load(ordering: .relaxed) })
            if !ok { open = false }
            return ok
        }
    }

    /// Writes one frame only if that cannot block: at most PIPE_BUF bytes,
    /// all or nothing. `.full` when the plugin is not reading, the frame is
    /// larger, or another writer holds the pipe (it may be waiting for room
    /// itself); the caller then writes from a thread that may wait.
    func tryWrite(_ line: borrowing ByteBuffer) -> Sys.AtomicWrite {
        guard line.count <= Int(PIPE_BUF) else { return .full }
        return writeOpen.withLockIfAvailable { open in
            guard open else { return .failed }
            let (r, _) = Sys.withoutSIGPIPE { line.withBytes { Sys.writeAtomic(child.stdin, $0) } }
            if r == .failed { open = false }
            return r
        } ?? .full
    }

    /// Writes one frame from a thread that must not block on this plugin
    /// (its reader, the timer): at once if `tryWrite` can, else `offload`
    /// writes a copy. Blocking the reader on a plugin that is itself blocked
    /// writing to us would deadlock.
    func writeWithoutBlocking(_ line: borrowing ByteBuffer) {
        guard tryWrite(line) == .full else { return }
        let bytes = line.withBytes { Array($0) }
        offload { [self] in _ = bytes.withUnsafeBufferPointer { write($0) } }
    }

    func closeStdin() {
        closing.store(true, ordering: .relaxed)   // a writer stuck on a full pipe lets go of the lock
        writeOpen.withLock { open in
            if open { Sys.closeFD(child.stdin); open = false }
        }
    }

    // MARK: invoke

    /// Sends `invoke` and waits (EX-INV-1). `register` receives a stop
    /// handle that cancels the wait. Returns nil when the budget elapsed
    /// (the pending entry is removed; a late answer is ignored).
    func invoke(tool: JStr, arguments: JSON, origin: InvokeOrigin, budgetNanos: UInt64,
                register: ((@escaping @Sendable () -> Void) -> Void)? = nil) -> PluginReply? {
        let slot = OneShot<PluginReply>()
        var frame = ByteBuffer(capacity: 256)
        guard let id = enqueue(tool: tool, arguments: arguments, origin: origin, .waiter(slot), frame: &frame) else {
            return .envelope(PluginProcess.exited)
        }
        register?({ slot.fulfill(.cancelled) })
        write(frame)   // a broken pipe shows up as EOF on stdout, which fails the call
        let reply = slot.wait(timeoutNanos: budgetNanos)
        _ = take(id)
        return reply
    }

    /// What `startInvoke` did.
    enum Start {
        /// Sent; `done` runs exactly once, on the thread that resolves the call.
        case started
        /// Nothing was sent and `done` will not run: the frame is larger than
        /// one atomic pipe write, the pipe is full (the plugin is not
        /// reading) or held by another writer, the process is gone, or no
        /// deadline could be armed. The caller uses the blocking `invoke` on
        /// a thread that may wait.
        case wouldBlock
    }

    /// Sends `invoke` without waiting (EX-INV-1): the answer, the process's
    /// death or the deadline (`timer`, nil reply) resolves `done`. Only
    /// frames that fit one atomic pipe write are sent here, so the caller's
    /// thread (the bridge's reader) never blocks on a plugin.
    func startInvoke(tool: JStr, arguments: JSON, origin: InvokeOrigin, budgetNanos: UInt64, timer: DeadlineTimer,
                     done: @escaping @Sendable (PluginReply?) -> Void) -> Start {
        var frame = ByteBuffer(capacity: 256)
        guard let id = enqueue(tool: tool, arguments: arguments, origin: origin, .callback(done, nil), frame: &frame) else {
            return .wouldBlock
        }
        // Withdraws the call before anything reached the plugin; if the
        // reader already resolved it (the process died), `done` has run.
        func withdraw() -> Start { take(id) == nil ? .started : .wouldBlock }
        // The deadline is armed before the frame goes out, so the answer
        // can never arrive at an unarmed call, and a call without a
        // deadline is never sent.
        // Resolved on another thread: the response write may block, and the
        // timer thread serves every deadline of the pool.
        guard let entry = timer.schedule(afterNanos: budgetNanos, { [weak self] in
            guard let self, let expired = take(id) else { return }
            offload { expired.deliver(nil) }
        }) else { return withdraw() }
        let armed = state.withLock { s -> Bool in
            guard let p = s.pending[id], case .callback(let cb, nil) = p.receiver else { return false }
            s.pending[id] = Pending(receiver: .callback(cb, entry), invokeId: p.invokeId)
            return true
        }
        guard armed else {   // the process died meanwhile and `done` has run
            entry.cancel()
            return .started
        }
        if tryWrite(frame) == .full {
            let outcome = withdraw()
            if outcome == .wouldBlock { entry.cancel() }
            return outcome
        }
        // Sent, or failed: a broken pipe shows up as EOF on stdout, which fails the call.
        return .started
    }

    /// Registers a request and writes its frame; nil once the process is dead.
    private func enqueue(tool: JStr, arguments: JSON, origin: InvokeOrigin,
                         _ receiver: Pending.Receiver, frame: inout ByteBuffer) -> Int? {
        let invokeId = JStr(UUID4.hex())
        let id: Int? = state.withLock { s -> Int? in
            guard s.alive else { return nil }
            let id = s.nextId
            s.nextId += 1
            s.pending[id] = Pending(receiver: receiver, invokeId: invokeId)
            s.invokes[invokeId] = origin
            return id
        }
        guard let id else { return nil }
        frame.append("{\"jsonrpc\": \"2.0\", \"id\": ")
        frame.appendDecimal(id)
        frame.append(", \"method\": \"invoke\", \"params\": {\"tool\": ")
        JSONWriter.writeString(tool, asciiOnly: true, into: &frame)
        frame.append(", \"arguments\": ")
        JSONWriter.write(arguments, style: .pyDefault, into: &frame)
        frame.append(", \"context\": {\"invoke_id\": \"")
        frame.append(invokeId.string)
        frame.append("\"}}}\n")
        return id
    }

    /// Removes a request (answered, expired, withdrawn) with its invoke id;
    /// whoever takes it resolves it, so each request is resolved once.
    @discardableResult
    private func take(_ id: Int) -> Pending? {
        state.withLock { s -> Pending? in
            guard let p = s.pending.removeValue(forKey: id) else { return nil }
            s.invokes.removeValue(forKey: p.invokeId)
            return p
        }
    }

    /// The reply of a call whose process died (EX-ENV-4).
    static let exited = failedEnvelope("executa process exited")

    static func failedEnvelope(_ text: JStr) -> JSON {
        .object(JObject(uniqueEntries: [
            ("success", true),
            ("data", .object(JObject(uniqueEntries: [("success", false), ("error", .string(text))]))),
            ("command_id", "local"),
        ]))
    }

    // MARK: reverse-call context (EX-CTX-1..3)

    /// The invoke a plugin request belongs to: its `context.invoke_id` when
    /// that names an invoke in flight here, else the only invoke in flight.
    func origin(for params: JObject) -> (InvokeOrigin?, JStr?) {
        let claimed = params["context"]?.object?["invoke_id"]?.jstr
        return state.withLock { s in
            if let claimed, let o = s.invokes[claimed] { return (o, claimed) }
            if s.invokes.count == 1, let (id, o) = s.invokes.first { return (o, id) }
            return (nil, claimed)
        }
    }

    /// EX-NOTIF-2: progress goes only to an invoke named by its id (no fallback).
    func progressTarget(_ params: JObject) -> InvokeOrigin? {
        guard let id = params["context"]?.object?["invoke_id"]?.jstr else { return nil }
        return state.withLock { $0.invokes[id] }
    }

    // MARK: stdout

    func readStdout() {
        LineReader(fd: child.stdout, maxLine: PluginProcess.maxFrameBytes).run(
            line: { handleLine($0) },
            oversized: { handleOversized(head: $0, size: $1) },
            // A plugin that writes its last answer and exits: once EOF is seen
            // the process is dead, even before that answer is delivered, so
            // the next invoke respawns instead of writing to it (EX-EXIT-1/3).
            atEOF: { markDead() })
        die()
    }

    func handleLine(_ line: UnsafeBufferPointer<UInt8>) {
        // EX-READ-2: noise (not UTF-8 JSON, not an object) is ignored.
        guard let value = try? JSONParser.parse(line), case .object(let o) = value else { return }
        if o.contains("method") {
            onRequest(self, o)   // EX-READ-3
            return
        }
        guard let id = PluginProcess.matchableId(o["id"]), let p = take(id) else { return }   // EX-RESP-1
        if line.count > PluginProcess.maxResultBytes {   // EX-RESP-2
            p.deliver(.envelope(PluginProcess.tooLarge(line.count)))
            return
        }
        if let err = o["error"] {   // EX-RESP-3 (any value, even null)
            p.deliver(.envelope(PluginProcess.failedEnvelope(PluginProcess.errorText(err))))
            return
        }
        p.deliver(.envelope(.object(JObject(uniqueEntries: [
            ("success", true), ("data", o["result"] ?? .null), ("command_id", "local"),
        ]))))
    }

    /// Ids the reference's dict lookup matches: integers, `true` (== 1) and
    /// integral floats. Arrays/objects crash its reader; we ignore them
    /// (errata EX-RESP-1, a documented divergence).
    static func matchableId(_ v: JSON?) -> Int? {
        switch v {
        case .int(let i)?: return i
        case .bool(let b)?: return b ? 1 : 0
        case .double(let d)? where d.rounded() == d && abs(d) < 1e15: return Int(d)
        default: return nil
        }
    }

    /// `[<code>] <message>` (EX-RESP-3). A truthy non-object error kills the
    /// reference's reader; here it fails only its own call (EX-EXIT-4).
    static func errorText(_ err: JSON) -> JStr {
        guard err.isTruthy else { return "[?] unknown error" }
        guard case .object(let e) = err else { return "[?] \(Py.str(err))" }
        let code = e["code"].map { Py.str($0) } ?? "?"
        let message = e["message"].map { Py.str($0) } ?? "unknown error"
        return "[\(code)] \(message)"
    }

    /// EX-ENV-3.
    static func tooLarge(_ size: Int) -> JSON {
        .object(JObject(uniqueEntries: [
            ("success", false), ("command_id", "local"),
            ("error", .str("result too large: serialized result is \(size) bytes, exceeds transport limit of \(maxResultBytes) bytes; return a file reference (host/uploadFile or APS files) instead of inline data")),
            ("data", .object(JObject(uniqueEntries: [("errorCode", "RESULT_TOO_LARGE"), ("result_size_bytes", .int(size)),
                                                     ("max_payload_bytes", .int(maxResultBytes))]))),
        ]))
    }

    /// EX-FRAME-2.
    func handleOversized(head: [UInt8], size: Int) {
        let id = head.withUnsafeBufferPointer { LineFrontEnd.frameId($0) }
        if case .int(let n)? = id, let p = take(n) {
            p.deliver(.envelope(PluginProcess.tooLarge(size)))
            return
        }
        let hasMethod = JStr(wtf8: head).contains("\"method\"")
        if hasMethod, let id {
            var out = ByteBuffer(capacity: 256)
            RPCWriter.error(id: id, code: -32600,
                            message: "frame too large: \(size) bytes exceeds the 16777216-byte stdio frame limit",
                            data: JObject(uniqueEntries: [("errorCode", "frame_too_large"), ("frame_bytes", .int(size)),
                                                          ("max_frame_bytes", .int(PluginProcess.maxFrameBytes))]), into: &out)
            out.append(UInt8(ascii: "\n"))
            writeWithoutBlocking(out)   // the plugin may not be reading
            return
        }
        log("oversized frame from '\(toolId)' dropped (\(size) bytes)")
    }

    func log(_ text: String) {
        var line = ByteBuffer(capacity: 128)
        line.append("[annaruntime] ")
        line.append(text)
        line.append(UInt8(ascii: "\n"))
        line.withBytes { Sys.writeStderr($0) }
    }

    // MARK: stderr (EX-STDERR-1/2)

    func pumpStderr() {
        let prefix = "[executa:\(toolId.string)] "
        func forward(_ text: String) {
            var out = ByteBuffer(capacity: text.utf8.count + 64)
            out.append(prefix)
            out.append(text)
            out.withBytes { Sys.writeStderr($0) }
        }
        LineReader(fd: child.stderr, maxLine: PluginProcess.maxFrameBytes, keepNewline: true).run(
            // Decoded with replacement characters, as the reference does.
            line: { forward(String(decoding: $0, as: UTF8.self)) },
            oversized: { _, size in forward("[stderr line truncated: \(size) bytes]\n") })
        Sys.closeFD(child.stderr)
    }

    // MARK: exit (EX-EXIT-1..3)

    func markDead() {
        state.withLock { $0.alive = false }
        onExit(self)
    }

    /// stdout closed: fail every pending call, stop the process, reap it.
    func die() {
        failPending()
        onExit(self)
        terminate()
        Sys.closeFD(child.stdout)
    }

    /// Marks the process dead and fails every call still pending with
    /// `executa process exited` (EX-EXIT-1). Idempotent: each call is
    /// resolved once, by whoever takes it first.
    func failPending() {
        let calls: [Pending] = state.withLock { s in
            s.alive = false
            let all = Array(s.pending.values)
            s.pending.removeAll()
            s.invokes.removeAll()
            return all
        }
        for p in calls { p.deliver(.envelope(PluginProcess.exited)) }
    }

    /// Close stdin, SIGTERM, wait up to 2 s, SIGKILL, reap.
    func terminate(grace: UInt64 = 2_000_000_000) {
        closeStdin()
        reaped.withLock { done in
            if done { return }
            stop(grace: grace)
            done = true
            reapedFlag.store(true, ordering: .releasing)
        }
    }

    private func stop(grace: UInt64) {
        if Sys.reapNoHang(child.pid) { return }
        Sys.kill(child.pid, SIGTERM)
        let deadline = Sys.monotonicNanos() &+ grace
        while Sys.monotonicNanos() < deadline {
            if Sys.reapNoHang(child.pid) { return }
            Sys.sleepNanos(5_000_000)
        }
        Sys.kill(child.pid, SIGKILL)
        while !Sys.reapNoHang(child.pid) { Sys.sleepNanos(1_000_000) }
    }
}
