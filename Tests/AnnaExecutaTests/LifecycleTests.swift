import AnnaJSON
import Testing
@testable import AnnaExecuta

/// initialize / shutdown / EOF / notifications (10 PC-WIRE-4, PC-SDK-9).
@Suite struct LifecycleTests {
    @Test func eofEndsRunPromptly() async throws {
        let h = try PluginHarness(basePlugin())
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"health"}"#)
        _ = await h.next()
        // PC-SDK-9: the process must be gone within 2 s of EOF.
        #expect(await h.finish(within: .seconds(2)))
        #expect(await h.next(timeout: .milliseconds(200)) == nil)
    }

    @Test func eofWaitsForInflightInvokesWithinGrace() async throws {
        let h = try PluginHarness(basePlugin())
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"tool":"sleep","arguments":{"ms":200}}}"#)
        h.closeInput()
        // The short invoke still gets its answer after EOF.
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 1, "result": {"success": true, "data": {"slept_ms": 200}}}"#)
        #expect(await h.finish(within: .seconds(2)))
    }

    @Test func eofDoesNotWaitPastGrace() async throws {
        let h = try PluginHarness(basePlugin().withShutdownGrace(.milliseconds(100)))
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"tool":"sleep","arguments":{"ms":60000}}}"#)
        try await Task.sleep(for: .milliseconds(20))
        // Finishing within 2 s proves the 60 s tool was not waited for.
        #expect(await h.finish(within: .seconds(2)))
    }

    @Test func callbacksAndShutdownRequest() async throws {
        let log = EventLog()
        let plugin = basePlugin()
            .onInitialize { params in log.add("init \(text(params))") }
            .onShutdown { log.add("shutdown") }
            .withNotificationListener("note") { params in log.add("note \(text(params))") }
            .withNotificationListener("note") { _ in log.add("note again") }
        let h = try PluginHarness(plugin)
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"v":1}}"#)
        let initResult = try await h.nextJSON()
        #expect(text(initResult["result"]?["name"] ?? .null) == #""tool-test""#)
        h.send(#"{"jsonrpc":"2.0","method":"note","params":{"n":1}}"#)
        h.send(#"{"jsonrpc":"2.0","method":"note","params":{"n":2}}"#)
        h.send(#"{"jsonrpc":"2.0","method":"ignored"}"#)
        h.send(#"{"jsonrpc":"2.0","id":2,"method":"health"}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 2, "result": {"status": "ok"}}"#)
        h.send(#"{"jsonrpc":"2.0","id":3,"method":"shutdown"}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 3, "result": {"ok": true}}"#)
        #expect(await h.waitForRun(.seconds(2)))
        #expect(log.events == ["init {\"v\": 1}", "note {\"n\": 1}", "note again", "note {\"n\": 2}", "note again", "shutdown"])
        await h.finish()
    }

    @Test func notificationsBeforeEOFRunBeforeShutdown() async throws {
        let log = EventLog()
        let plugin = basePlugin()
            .withNotificationListener("slow") { params in
                try? await Task.sleep(for: .milliseconds(50))
                log.add("slow \(text(params))")
            }
            .onShutdown { log.add("shutdown") }
        let h = try PluginHarness(plugin)
        h.send(#"{"jsonrpc":"2.0","method":"slow","params":[1]}"#)
        h.send(#"{"jsonrpc":"2.0","method":"slow"}"#)
        #expect(await h.finish())
        #expect(log.events == ["slow [1]", "slow null", "shutdown"])
    }

    @Test func initializeFailure() async throws {
        struct Nope: Error {}
        let h = try PluginHarness(basePlugin().onInitialize { _ in throw Nope() })
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 1, "error": {"code": -32603, "message": "initialize failed: Nope()"}}"#)
        await h.finish()
    }

    @Test func shutdownCallbackRunsOnEOF() async throws {
        let log = EventLog()
        let h = try PluginHarness(basePlugin().onShutdown { log.add("shutdown") })
        #expect(await h.finish())
        #expect(log.events == ["shutdown"])
    }

    @Test func runsOnAnyTransport() async {
        final class Collect: ExecutaOutput, @unchecked Sendable {
            private let lock = Lock()
            private var bytes: [UInt8] = []
            func write(_ frame: UnsafeRawBufferPointer) -> Bool {
                lock.withLock { bytes.append(contentsOf: frame) }
                return true
            }
            var text: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }
        }
        let input = LineReaderTests.ChunkedInput(
            #"{"jsonrpc":"2.0","id":1,"method":"health"}"# + "\n" +
            #"{"jsonrpc":"2.0","id":2,"method":"invoke","params":{"tool":"echo","arguments":{"a":1}}}"#, chunk: 5)
        let output = Collect()
        await basePlugin().run(reader: input, writer: output)
        #expect(output.text == #"{"jsonrpc": "2.0", "id": 1, "result": {"status": "ok"}}"# + "\n"
            + #"{"jsonrpc": "2.0", "id": 2, "result": {"success": true, "data": {"a": 1}}}"# + "\n")
    }

    @Test func builderReplacesToolsByName() {
        let p = ExecutaPlugin(name: "tool-x")
            .withTool("a", description: "first") { _, _ in nil }
            .withTool("b") { _, _ in nil }
            .withTool("a", description: "second") { _, _ in nil }
            .withVersion("2.0.0")
        #expect(text(p.manifest) == #"{"name": "tool-x", "version": "2.0.0", "description": "", "tools": [{"name": "a", "description": "second", "parameters": []}, {"name": "b", "description": "", "parameters": []}]}"#)
    }
}

final class EventLog: @unchecked Sendable {
    private let lock = Lock()
    private var list: [String] = []
    func add(_ e: String) { lock.withLock { list.append(e) } }
    var events: [String] { lock.withLock { list } }
}
