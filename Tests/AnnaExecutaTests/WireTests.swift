import AnnaJSON
import Testing
@testable import AnnaExecuta

/// Frame shapes the host and the test kit rely on (10 PC-ENV-*, PC-SDK-1..5, 8, 10).
@Suite struct WireTests {
    @Test func describeManifest() async throws {
        let h = try PluginHarness(basePlugin())
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"describe"}"#)
        let r = try await h.nextJSON()
        let m = try #require(r["result"])
        #expect(text(m["name"] ?? .null) == #""tool-test""#)
        #expect(text(m["version"] ?? .null) == #""1.2.3""#)
        let tools = try #require(m["tools"]?.array)
        #expect(tools.count == 9)
        #expect(text(tools[0]) == #"{"name": "echo", "description": "echo", "parameters": [{"name": "x", "type": "string", "description": "x", "required": false}]}"#)
        await h.finish()
    }

    @Test func healthAndIdsKeepTheirType() async throws {
        let h = try PluginHarness(basePlugin())
        h.send(#"{"jsonrpc":"2.0","id":7,"method":"health"}"#)
        h.send(#"{"jsonrpc":"2.0","id":"7","method":"health"}"#)
        h.send(#"{"jsonrpc":"2.0","id":null,"method":"health"}"#)
        h.send(#"{"jsonrpc":"2.0","id":1.5,"method":"health"}"#)
        h.send(#"{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"health"}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 7, "result": {"status": "ok"}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": "7", "result": {"status": "ok"}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": null, "result": {"status": "ok"}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 1.5, "result": {"status": "ok"}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 123456789012345678901234567890, "result": {"status": "ok"}}"#)
        await h.finish()
    }

    @Test func invokeEnvelopes() async throws {
        let h = try PluginHarness(basePlugin())
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"tool":"echo","arguments":{"é":[1,1.0,true,null]}}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 1, "result": {"success": true, "data": {"\u00e9": [1, 1.0, true, null]}}}"#)
        h.send(#"{"jsonrpc":"2.0","id":2,"method":"invoke","params":{"tool":"fail"}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 2, "result": {"success": false, "error": "bad thing", "details": {"why": "test"}}}"#)
        h.send(#"{"jsonrpc":"2.0","id":3,"method":"invoke","params":{"tool":"throw"}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 3, "result": {"success": false, "error": "CancellationError()"}}"#)
        h.send(#"{"jsonrpc":"2.0","id":4,"method":"invoke","params":{"tool":"nosuch"}}"#)
        let unknown = try await h.nextJSON()
        #expect(text(unknown["result"]?["success"] ?? .null) == "false")
        #expect(unknown["result"]?["error"]?.jstr?.string.hasPrefix("unknown tool 'nosuch'") == true)
        // No params at all, and no arguments: arguments default to {}.
        h.send(#"{"jsonrpc":"2.0","id":5,"method":"invoke","params":{"tool":"echo"}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 5, "result": {"success": true, "data": {}}}"#)
        h.send(#"{"jsonrpc":"2.0","id":6,"method":"invoke"}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 6, "error": {"code": -32602, "message": "invalid params: 'tool' must be a non-empty string"}}"#)
        h.send(#"{"jsonrpc":"2.0","id":7,"method":"invoke","params":[1]}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 7, "error": {"code": -32602, "message": "invalid params: invoke expects an object"}}"#)
        // A truthy non-object `arguments` is passed through (07 EX-WIRE-3).
        h.send(#"{"jsonrpc":"2.0","id":8,"method":"invoke","params":{"tool":"echo","arguments":[1]}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 8, "result": {"success": true, "data": [1]}}"#)
        await h.finish()
    }

    @Test func invokeContext() async throws {
        let h = try PluginHarness(basePlugin())
        h.send(#"{"jsonrpc":"2.0","id":"a","method":"invoke","params":{"tool":"context","arguments":{},"context":{"invoke_id":"0123abc"}}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": "a", "result": {"success": true, "data": {"invoke_id": "0123abc", "tool": "context", "request_id": "a"}}}"#)
        h.send(#"{"jsonrpc":"2.0","id":2,"method":"invoke","params":{"tool":"context"}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 2, "result": {"success": true, "data": {"invoke_id": null, "tool": "context", "request_id": 2}}}"#)
        await h.finish()
    }

    @Test func unknownMethod() async throws {
        let h = try PluginHarness(basePlugin())
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"nomethod"}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "Method not found: nomethod"}}"#)
        await h.finish()
    }

    @Test func malformedFrames() async throws {
        let h = try PluginHarness(basePlugin())
        h.send("this is not json")
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "parse error"}}"#)
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"health"} {"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "parse error"}}"#)
        h.sendRaw([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D, 0x0A])   // {"\xFF":1}: invalid UTF-8
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "parse error"}}"#)
        for notObject in ["[1,2]", "\"s\"", "3", "null", "true"] {
            h.send(notObject)
            #expect(await h.next() == #"{"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "request must be an object"}}"#)
        }
        h.send(#"{"jsonrpc":"2.0","id":4,"method":5}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 4, "error": {"code": -32600, "message": "invalid request: method must be a non-empty string"}}"#)
        h.send(#"{"jsonrpc":"2.0","id":5}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 5, "error": {"code": -32600, "message": "invalid request: missing 'method'"}}"#)
        // Deep nesting is rejected, not a crash.
        h.send(String(repeating: "[", count: 5000))
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "parse error"}}"#)
        // Responses nobody waits for, blank lines and CRLF endings produce nothing.
        h.send(#"{"jsonrpc":"2.0","id":"sdk-99","result":{}}"#)
        h.send(#"{"jsonrpc":"2.0","id":12,"error":{"code":1,"message":"x"}}"#)
        h.send("")
        h.send("   \r")
        h.send("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"health\"}\r")
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 6, "result": {"status": "ok"}}"#)
        await h.finish()
    }

    @Test func oversizedFrames() async throws {
        let h = try PluginHarness(basePlugin().withMaxFrameBytes(100))
        let pad = String(repeating: "x", count: 300)
        h.send(#"{"jsonrpc":"2.0","id":9,"method":"invoke","params":{"tool":"echo","arguments":{"p":"\#(pad)"}}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 9, "error": {"code": -32600, "message": "request frame too large: 388 bytes exceeds the 100-byte stdio frame limit", "data": {"errorCode": "frame_too_large", "frame_bytes": 388, "max_frame_bytes": 100}}}"#)
        h.send(#"{"jsonrpc":"2.0","id":10,"method":"health"}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 10, "result": {"status": "ok"}}"#)
        await h.finish()
    }

    @Test func progressNotifications() async throws {
        let h = try PluginHarness(basePlugin())
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"tool":"progress","arguments":{},"context":{"invoke_id":"inv"}}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "method": "executa/progress", "params": {"context": {"invoke_id": "inv"}, "type": "progress", "data": {"pct": 50}}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "method": "executa/progress", "params": {"context": {"invoke_id": "inv"}, "type": "tool_update", "data": {"msg": "hi"}}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "method": "executa/progress", "params": {"context": {"invoke_id": "inv"}, "type": "progress", "data": {"pct": 100}}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 1, "result": {"success": true, "data": {"done": true}}}"#)
        await h.finish()
    }

    @Test func finalLineWithoutNewline() async throws {
        let h = try PluginHarness(basePlugin())
        h.sendRaw(Array(#"{"jsonrpc":"2.0","id":1,"method":"health"}"#.utf8))
        h.closeInput()
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 1, "result": {"status": "ok"}}"#)
        #expect(await h.finish())
    }
}
