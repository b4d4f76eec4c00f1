#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
import AnnaCore
import AnnaJSON
@testable import AnnaRuntime

/// One plugin process (07 §2-8) without the pool: plug.py spawned with
/// `Sys.spawn`, wrapped in a `PluginProcess` whose request and exit hooks
/// the tests observe.
@Suite struct PluginProcessTests {
    /// What the hooks saw.
    final class Hooks: Sendable {
        let requests = Mutex<[JObject]>([])
        let exits = Atomic<Int>(0)
        /// Optional reaction to a plugin request (runs on the reader thread).
        let handler: (@Sendable (PluginProcess, JObject) -> Void)?
        init(_ handler: (@Sendable (PluginProcess, JObject) -> Void)? = nil) { self.handler = handler }
    }

    static func start(_ h: PoolHarness, _ hooks: Hooks, script: String = "plug.py") -> PluginProcess? {
        guard case .success(let child) = Sys.spawn(PoolPlugins.cmd(script), cwd: h.proj) else { return nil }
        h.pids.withLock { _ = $0.insert(child.pid) }
        let p = PluginProcess(toolId: JStr(PoolHarness.T), child: child,
                              onRequest: { proc, req in
                                  hooks.requests.withLock { $0.append(req) }
                                  hooks.handler?(proc, req)
                              },
                              onExit: { _ in hooks.exits.add(1, ordering: .sequentiallyConsistent) })
        guard p.start() else { p.terminate(); return nil }
        return p
    }

    /// The inner `data` of a successful envelope (EX-ENV-1).
    static func data(_ reply: PluginReply?) -> JSON? {
        guard case .envelope(let outer)? = reply, outer["success"] == true, outer["command_id"] == "local",
              outer["data"]?["success"] == true else { return nil }
        return outer["data"]?["data"]
    }

    static func invoke(_ p: PluginProcess, _ origin: InvokeOrigin, _ tool: String, _ args: JSON,
                       budget: Double = 30, register: ((@escaping @Sendable () -> Void) -> Void)? = nil) async -> PluginReply? {
        await offThread {
            p.invoke(tool: JStr(tool), arguments: args, origin: origin, budgetNanos: UInt64(budget * 1e9), register: register)
        }
    }

    // MARK: -

    @Test func invokeFrameAndEnvelope() async throws {
        let h = PoolHarness()
        let origin = InvokeOrigin(session: h.rt.session(JStr(h.createSession()))!)
        let hooks = Hooks()
        let p = try #require(Self.start(h, hooks))
        for expectedId in 1...2 {
            let reply = await Self.invoke(p, origin, "frame", ["é": "😀"])
            let raw = Self.data(reply)?["raw"]?.jstr?.string ?? "<\(String(describing: reply))>"
            // EX-WIRE-2 / EX-ID-1: ASCII-escaped PY-DEFAULT, ids from 1, a fresh 32-hex invoke id.
            let head = "{\"jsonrpc\": \"2.0\", \"id\": \(expectedId), \"method\": \"invoke\", \"params\": {\"tool\": \"frame\", "
                + "\"arguments\": {\"\\u00e9\": \"\\ud83d\\ude00\"}, \"context\": {\"invoke_id\": \""
            #expect(raw.hasPrefix(head), "\(raw)")
            #expect(raw.hasSuffix("\"}}}"), "\(raw)")
            let id = raw.dropFirst(head.count).dropLast(4)
            #expect(id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "invoke id \(id)")
        }
        // A `result` that is not an envelope is passed through as `data` (EX-ENV-1).
        let reply = await Self.invoke(p, origin, "result", ["value": 5])
        guard case .envelope(let outer)? = reply else { Issue.record("\(String(describing: reply))"); return }
        #expect(outer == ["success": true, "data": 5, "command_id": "local"])
        #expect(hooks.requests.withLock { $0.isEmpty })
        await offThread { p.terminate() }
        #expect(Proc.gone(p.child.pid))
        await h.close()
    }

    @Test func elapsedBudgetReturnsNilAndIgnoresTheLateAnswer() async throws {
        let h = PoolHarness()
        let origin = InvokeOrigin(session: h.rt.session(JStr(h.createSession()))!)
        let p = try #require(Self.start(h, Hooks()))
        let reply = await Self.invoke(p, origin, "sleep", ["s": 0.3], budget: 0.05)
        #expect(reply == nil)
        p.state.withLock { s in
            #expect(s.pending.isEmpty && s.invokes.isEmpty, "entries leave the table on timeout")
        }
        // The late answer to id 1 arrives while id 2 waits; id 2 gets its own answer.
        let next = await Self.invoke(p, origin, "sleep", ["s": 0.5])
        #expect(Self.data(next) == ["slept": 0.5])
        #expect(p.isAlive)
        await offThread { p.terminate() }
        await h.close()
    }

    @Test func stopHandleCancelsTheWait() async throws {
        let h = PoolHarness()
        let origin = InvokeOrigin(session: h.rt.session(JStr(h.createSession()))!)
        let p = try #require(Self.start(h, Hooks()))
        let stop = Mutex<(@Sendable () -> Void)?>(nil)
        async let reply = Self.invoke(p, origin, "hang", [:], register: { s in stop.withLock { $0 = s } })
        #expect(await eventually { stop.withLock { $0 != nil } && p.state.withLock { $0.pending.count } == 1 })
        stop.withLock { $0 }?()
        let r = await reply
        if case .cancelled? = r {} else { Issue.record("expected .cancelled, got \(String(describing: r))") }
        p.state.withLock { s in #expect(s.pending.isEmpty && s.invokes.isEmpty) }
        #expect(p.isAlive)
        await offThread { p.terminate() }
        await h.close()
    }

    /// EX-EXIT-1/2: stdout EOF fails every pending call with `executa process
    /// exited`, tells the pool (onExit), and the process is reaped.
    @Test func deathFailsPendingCallsAndReaps() async throws {
        let h = PoolHarness()
        let origin = InvokeOrigin(session: h.rt.session(JStr(h.createSession()))!)
        let hooks = Hooks()
        let p = try #require(Self.start(h, hooks))
        async let a = Self.invoke(p, origin, "hang", [:])
        async let b = Self.invoke(p, origin, "hang", [:])
        #expect(await eventually { p.state.withLock { $0.pending.count } == 2 })
        let c = await Self.invoke(p, origin, "crash", ["code": 7])
        for r in [await a, await b, c] {
            guard case .envelope(let outer)? = r else { Issue.record("\(String(describing: r))"); continue }
            #expect(outer == PluginProcess.exited)
            #expect(outer == ["success": true, "data": ["success": false, "error": "executa process exited"],
                              "command_id": "local"])   // EX-ENV-4
        }
        #expect(!p.isAlive)
        #expect(await eventually(5) { Proc.gone(p.child.pid) })
        #expect(hooks.exits.load(ordering: .sequentiallyConsistent) >= 1)
        // A dead process answers at once, without writing.
        let after = await Self.invoke(p, origin, "echo", [:], budget: 5)
        if case .envelope(let outer)? = after { #expect(outer == PluginProcess.exited) } else { Issue.record("\(String(describing: after))") }
        await h.close()
    }

    /// EX-EXIT-2: close stdin, SIGTERM, wait up to 2 s, SIGKILL.
    @Test func sigkillAfterTheGrace() async throws {
        let h = PoolHarness()
        let origin = InvokeOrigin(session: h.rt.session(JStr(h.createSession()))!)
        let p = try #require(Self.start(h, Hooks()))
        let t0 = Sys.monotonicNanos()
        let r = await Self.invoke(p, origin, "close_stdout", ["ignore_term": true])
        if case .envelope(let outer)? = r { #expect(outer == PluginProcess.exited) } else { Issue.record("\(String(describing: r))") }
        #expect(await eventually(10) { Proc.gone(p.child.pid) }, "state \(String(describing: Proc.state(p.child.pid)))")
        let dt = Double(Sys.monotonicNanos() - t0) / 1e9
        #expect(dt > 1.0 && dt < 8.0, "killed after \(dt) s (grace 2 s)")
        await h.close()
    }

    /// EX-READ-3 + EX-CTX-1/2: plugin requests reach the request hook; the
    /// invoke they belong to is the one named by context.invoke_id, else the
    /// only one in flight.
    @Test func requestsAndTheirInvoke() async throws {
        let h = PoolHarness()
        let origin = InvokeOrigin(session: h.rt.session(JStr(h.createSession()))!)
        let hooks = Hooks { proc, req in
            let params = req["params"]?.object ?? JObject()
            let (o, resolved) = proc.origin(for: params)
            var out = ByteBuffer(capacity: 128)
            let result = JObject(uniqueEntries: [("attributed", resolved.map { .string($0) } ?? .null), ("found", .bool(o != nil))])
            RPCWriter.result(id: req["id"] ?? .null, into: &out) { JSONWriter.writeObject(result, style: .pyDefault, into: &$0) }
            out.append(UInt8(ascii: "\n"))
            proc.write(out)
        }
        let p = try #require(Self.start(h, hooks))
        let reply = await Self.invoke(p, origin, "rev", ["calls": [
            ["method": "storage/get", "params": ["key": "a"]],
            ["method": "storage/get", "params": ["key": "b"], "context": "bogus"],
            ["method": "storage/get", "params": ["key": "c"], "context": "none"],
        ]])
        let reqs = hooks.requests.withLock { $0 }
        #expect(reqs.count == 3)
        let own = reqs.first?["params"]?["context"]?["invoke_id"] ?? .null
        #expect(own.jstr?.string.utf8.count == 32)
        let results = Self.data(reply)?["responses"]?.array?.map { $0["result"] ?? .null }
        #expect(results == [["attributed": own, "found": true], ["attributed": own, "found": true],
                            ["attributed": own, "found": true]], "\(String(describing: reply))")
        // Once the invoke returned its id names nothing.
        #expect(p.origin(for: ["context": ["invoke_id": own]]).0 == nil)
        await offThread { p.terminate() }
        await h.close()
    }

    /// EX-CTX-5 (divergence, docs/divergences.md): a reverse request sent after
    /// its invoke returned, with no context or a bogus one, is refused with
    /// NO_SESSION_CONTEXT and changes no session.
    @Test func unattributableRequestIsRefused() async throws {
        let h = PoolHarness()
        let sid = h.createSession()
        let origin = InvokeOrigin(session: h.rt.session(JStr(sid))!)
        let handled = Atomic<Int>(0)
        let store = h.rt.store
        let hooks = Hooks { proc, req in
            ReverseRouter(store: store).received(req, from: proc)   // storage calls: answered before `handled` moves
            handled.add(1, ordering: .sequentiallyConsistent)
        }
        let p = try #require(Self.start(h, hooks))
        let late = await Self.invoke(p, origin, "late", ["delay": 0.05, "calls": [
            ["method": "storage/set", "params": ["key": "leak", "value": "x"], "context": "none"],
            ["method": "storage/set", "params": ["key": "leak", "value": "x"], "context": "bogus"],
            ["method": "storage/set", "params": ["key": "leak", "value": "x"]],   // its own, finished invoke
        ]])
        #expect(Self.data(late) == ["late": "answered"])
        // No invoke is in flight until all three were handled.
        #expect(await eventually { handled.load(ordering: .sequentiallyConsistent) == 3 })
        let got = await Self.invoke(p, origin, "late_results", ["n": 3, "timeout": 10])
        let errors = Self.data(got)?["responses"]?.array?.map { $0["error"] ?? .null }
        #expect(errors == [PoolExpect.noSessionContext, PoolExpect.noSessionContext, PoolExpect.noSessionContext],
                "\(String(describing: got))")
        #expect(await h.scall(sid, "storage", "get", ["key": "leak"]) == ["ok": true, "result": ["value": nil]])
        await offThread { p.terminate() }
        await h.close()
    }

    // MARK: startInvoke: calls no thread waits for

    /// Collects what `startInvoke` callbacks receive (each must run once).
    final class Replies: Sendable {
        let got = Mutex<[Int: [PluginReply?]]>([:])
        func done(_ k: Int) -> @Sendable (PluginReply?) -> Void {
            { r in self.got.withLock { $0[k, default: []].append(r) } }
        }
        var count: Int { got.withLock { $0.values.reduce(0) { $0 + $1.count } } }
        subscript(k: Int) -> [PluginReply?] { got.withLock { $0[k] ?? [] } }
    }

    static func start(_ p: PluginProcess, _ origin: InvokeOrigin, _ tool: String, _ args: JSON, budget: Double = 30,
                      timer: DeadlineTimer, _ done: @escaping @Sendable (PluginReply?) -> Void) -> PluginProcess.Start {
        p.startInvoke(tool: JStr(tool), arguments: args, origin: origin, budgetNanos: UInt64(budget * 1e9),
                      timer: timer, done: done)
    }

    /// A plug.py process, a timer and a reply collector, torn down afterwards.
    static func withStarted(_ body: (PoolHarness, InvokeOrigin, PluginProcess, DeadlineTimer, Replies) async throws -> Void) async throws {
        let h = PoolHarness()
        let origin = InvokeOrigin(session: h.rt.session(JStr(h.createSession()))!)
        let p = try #require(Self.start(h, Hooks()))
        let timer = DeadlineTimer()
        try await body(h, origin, p, timer, Replies())
        await offThread { p.terminate() }
        timer.shutdown()
        await h.close()
    }

    /// EX-INV-1 without a waiting thread: many calls in flight, each answer
    /// delivered once to its own callback, the tables empty afterwards.
    @Test func startInvokeAnswersEachCallOnce() async throws {
        try await Self.withStarted { h, origin, p, timer, replies in
            for k in 0..<64 {
                #expect(Self.start(p, origin, "echo", ["k": .int(k)], timer: timer, replies.done(k)) == .started)
            }
            #expect(await eventually { replies.count == 64 })
            for k in 0..<64 {
                #expect(replies[k].count == 1)
                #expect(Self.data(replies[k].first ?? nil)?["arguments"] == ["k": .int(k)], "\(replies[k])")
            }
            p.state.withLock { s in #expect(s.pending.isEmpty && s.invokes.isEmpty) }
            try? await Task.sleep(nanoseconds: 50_000_000)
            #expect(replies.count == 64, "a disarmed deadline fired")
        }
    }

    /// EX-TMO-2: the deadline resolves the call with nil, once; the late
    /// answer is ignored and the process keeps serving.
    @Test func startInvokeDeadlineThenLateAnswerIgnored() async throws {
        try await Self.withStarted { h, origin, p, timer, replies in
            #expect(Self.start(p, origin, "sleep", ["s": 0.4], budget: 0.05, timer: timer, replies.done(0)) == .started)
            #expect(await eventually { replies.count == 1 })
            if case .some(.none) = replies[0].first {} else { Issue.record("expected a nil reply, got \(replies[0])") }
            p.state.withLock { s in #expect(s.pending.isEmpty && s.invokes.isEmpty, "entries leave the table at the deadline") }
            #expect(Self.start(p, origin, "sleep", ["s": 0.6], timer: timer, replies.done(1)) == .started)
            #expect(await eventually { replies.count == 2 })
            #expect(replies[0].count == 1, "the late answer reached the expired call")
            #expect(Self.data(replies[1].first ?? nil) == ["slept": 0.6])
        }
    }

    /// EX-EXIT-1: death resolves every call in flight with `executa process
    /// exited`, once; a dead process refuses to start more.
    @Test func startInvokeDeathResolvesPendingCalls() async throws {
        try await Self.withStarted { h, origin, p, timer, replies in
            #expect(Self.start(p, origin, "hang", [:], timer: timer, replies.done(0)) == .started)
            #expect(Self.start(p, origin, "hang", [:], timer: timer, replies.done(1)) == .started)
            #expect(Self.start(p, origin, "crash", ["code": 4], timer: timer, replies.done(2)) == .started)
            #expect(await eventually { replies.count == 3 })
            for k in 0..<3 {
                guard case .some(.envelope(let outer)) = replies[k].first else { Issue.record("\(replies[k])"); continue }
                #expect(outer == PluginProcess.exited)
            }
            #expect(await eventually { !p.isAlive })
            #expect(Self.start(p, origin, "echo", [:], timer: timer, replies.done(3)) == .wouldBlock)
            try? await Task.sleep(nanoseconds: 50_000_000)
            #expect(replies.count == 3)
        }
    }

    /// A call that could not get a deadline is never sent (it would wait
    /// forever on a silent plugin): `.wouldBlock`, nothing registered.
    @Test func startInvokeWithoutADeadlineIsNotSent() async throws {
        try await Self.withStarted { h, origin, p, timer, replies in
            let dead = DeadlineTimer()
            dead.shutdown()
            // Had it been sent, this call would have made the plugin exit.
            #expect(Self.start(p, origin, "crash", ["code": 9], timer: dead, replies.done(0)) == .wouldBlock)
            p.state.withLock { s in #expect(s.pending.isEmpty && s.invokes.isEmpty) }
            let echo = await Self.invoke(p, origin, "echo", ["after": true])
            #expect(Self.data(echo)?["arguments"] == ["after": true], "\(String(describing: echo))")
            #expect(p.isAlive)
            #expect(replies.count == 0)
        }
    }

    /// The caller's thread never blocks: a frame over one atomic pipe write,
    /// or a plugin that stopped reading its stdin, gives `.wouldBlock` with
    /// nothing sent or registered; calls already sent still end at death.
    @Test func startInvokeNeverBlocksTheCaller() async throws {
        let h = PoolHarness()
        let origin = InvokeOrigin(session: h.rt.session(JStr(h.createSession()))!)
        let timer = DeadlineTimer()
        let replies = Replies()
        let p = try #require(Self.start(h, Hooks()))
        let big: JSON = ["pad": .str(String(repeating: "x", count: 5000))]
        #expect(Self.start(p, origin, "echo", big, timer: timer, replies.done(-1)) == .wouldBlock)
        p.state.withLock { s in #expect(s.pending.isEmpty && s.invokes.isEmpty) }
        // The frame goes through the blocking path instead.
        #expect(Self.data(await Self.invoke(p, origin, "echo", big))?["arguments"] == big)
        await offThread { p.terminate() }

        // `sleep` never reads its stdin: the pipe fills up.
        guard case .success(let child) = Sys.spawn(["/bin/sleep", "30"], cwd: h.proj) else {
            Issue.record("spawn /bin/sleep failed"); return
        }
        let q = PluginProcess(toolId: "tool-test-sleep", child: child, onRequest: { _, _ in }, onExit: { _ in })
        #expect(q.start())
        var started = 0   // a blocked write would hang here until `sleep` exits (then count to 10,000)
        while started < 10_000,
              Self.start(q, origin, "echo", ["n": .int(started)], timer: timer, replies.done(started)) == .started {
            started += 1
        }
        #expect(started > 10 && started < 10_000, "\(started) frames before the pipe was full")
        q.state.withLock { s in #expect(s.pending.count == started && s.invokes.count == started) }
        #expect(replies.count == 0)
        await offThread { q.terminate() }
        #expect(await eventually { replies.count == started })
        for k in 0..<started {
            guard replies[k].count == 1, case .some(.envelope(let outer)) = replies[k].first, outer == PluginProcess.exited else {
                Issue.record("call \(k): \(replies[k])"); break
            }
        }
        timer.shutdown()
        await h.close()
    }

    /// A writer stuck on a plugin that never reads holds the stdin lock;
    /// stopping the process makes it give up, so terminate (which closes
    /// stdin under that lock) cannot hang even while a forked child keeps
    /// the pipe's read end open. Calls still pending then end `exited`.
    @Test func aStuckWriterDoesNotHoldUpTermination() async throws {
        let h = PoolHarness()
        let marker = "stuck-writer-" + UUID4.hex()
        // Parent and forked child both sleep without reading stdin.
        let script = "import os, time\nos.fork()\ntime.sleep(30)\n"
        guard case .success(let child) = Sys.spawn([PoolPlugins.python, "-c", script, marker], cwd: h.proj) else {
            Issue.record("spawn failed"); return
        }
        let p = PluginProcess(toolId: "tool-test-stuck", child: child, onRequest: { _, _ in }, onExit: { _ in })
        #expect(p.start())
        let wrote = Mutex<Bool?>(nil)
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)   // far more than a pipe holds
        #expect(Sys.startThread { let ok = big.withUnsafeBufferPointer { p.write($0) }; wrote.withLock { $0 = ok } })
        try? await Task.sleep(nanoseconds: 200_000_000)
        #expect(wrote.withLock { $0 } == nil, "the write should be waiting for room")
        let finished = Atomic<Bool>(false)
        #expect(Sys.startThread { p.terminate(); p.failPending(); finished.store(true, ordering: .releasing) })
        #expect(await eventually(20) { finished.load(ordering: .acquiring) }, "terminate hung behind the stuck writer")
        #expect(await eventually(5) { wrote.withLock { $0 } == false })
        #expect(!p.isAlive)
        for pid in Proc.withArgument(marker) { kill(pid, SIGKILL) }
        await h.close()
    }

    /// EX-FRAME-2 case 2: an oversized plugin *request* gets a -32600 answer
    /// and never reaches the request hook.
    @Test func oversizedPluginRequestIsAnswered() async throws {
        let h = PoolHarness()
        let origin = InvokeOrigin(session: h.rt.session(JStr(h.createSession()))!)
        let hooks = Hooks()
        let p = try #require(Self.start(h, hooks))
        let n = 17 << 20
        let reply = await Self.invoke(p, origin, "bigrev", ["bytes": .int(n)])
        let raw = Self.data(reply)?["raw"]?.jstr?.string
        #expect(raw == "{\"jsonrpc\": \"2.0\", \"id\": 1000, \"error\": {\"code\": -32600, \"message\": \"frame too large: "
                + "\(n) bytes exceeds the 16777216-byte stdio frame limit\", \"data\": {\"errorCode\": \"frame_too_large\", "
                + "\"frame_bytes\": \(n), \"max_frame_bytes\": 16777216}}}")
        #expect(hooks.requests.withLock { $0.isEmpty })
        #expect(p.isAlive)
        await offThread { p.terminate() }
        await h.close()
    }
}
