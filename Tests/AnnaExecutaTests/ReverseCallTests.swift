import AnnaJSON
import Testing
@testable import AnnaExecuta

/// Calls from a tool back into the host (10 PC-RT-2/3, PC-SDK-7).
@Suite struct ReverseCallTests {
    private func invokeHostcall(_ h: PluginHarness, id: Int = 1, args: String) {
        h.send(#"{"jsonrpc":"2.0","id":\#(id),"method":"invoke","params":{"tool":"hostcall","arguments":\#(args),"context":{"invoke_id":"inv-\#(id)"}}}"#)
    }

    @Test func requestShape() async throws {
        let h = try PluginHarness(basePlugin())
        invokeHostcall(h, args: #"{"method":"web/search","params":{"q":"é","context":{"extra":1}}}"#)
        let req = try await h.nextJSON()
        // String ids can never collide with the host's integer ids.
        #expect(text(req["id"] ?? .null) == #""sdk-1""#)
        #expect(text(req) == #"{"jsonrpc": "2.0", "id": "sdk-1", "method": "web/search", "params": {"q": "\u00e9", "context": {"extra": 1, "invoke_id": "inv-1"}}}"#)
        h.send(#"{"jsonrpc":"2.0","id":"sdk-1","result":{"hits":[]}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 1, "result": {"success": true, "data": {"hits": []}}}"#)
        await h.finish()
    }

    @Test func storageAndSamplingHelpers() async throws {
        let plugin = ExecutaPlugin(name: "tool-helpers")
            .withTool("all") { _, ctx in
                try await ctx.host.storage.set("k", ["a": 1])
                let v = try await ctx.host.storage.get("k")
                try await ctx.host.storage.delete("k")
                let l = try await ctx.host.storage.list(prefix: "p", limit: 2)
                let s = try await ctx.host.sampling.createMessage(prompt: "hi", maxTokens: 5)
                return ["get": v, "list": l, "sample": s]
            }
        let h = try PluginHarness(plugin)
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"tool":"all","context":{"invoke_id":"I"}}}"#)
        let expected: [(String, String)] = [
            (#"{"jsonrpc": "2.0", "id": "sdk-1", "method": "storage/set", "params": {"key": "k", "value": {"a": 1}, "context": {"invoke_id": "I"}}}"#, #"{"ok": true}"#),
            (#"{"jsonrpc": "2.0", "id": "sdk-2", "method": "storage/get", "params": {"key": "k", "context": {"invoke_id": "I"}}}"#, #"{"value": {"a": 1}}"#),
            (#"{"jsonrpc": "2.0", "id": "sdk-3", "method": "storage/delete", "params": {"key": "k", "context": {"invoke_id": "I"}}}"#, #"{"ok": true}"#),
            (#"{"jsonrpc": "2.0", "id": "sdk-4", "method": "storage/list", "params": {"prefix": "p", "limit": 2, "context": {"invoke_id": "I"}}}"#, #"{"items": [], "next_cursor": null}"#),
            (#"{"jsonrpc": "2.0", "id": "sdk-5", "method": "sampling/createMessage", "params": {"messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}], "maxTokens": 5, "context": {"invoke_id": "I"}}}"#, #"{"content": {"type": "text", "text": "yo"}}"#),
        ]
        for (i, (request, answer)) in expected.enumerated() {
            #expect(await h.next() == request)
            h.send(#"{"jsonrpc":"2.0","id":"sdk-\#(i + 1)","result":\#(answer)}"#)
        }
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 1, "result": {"success": true, "data": {"get": {"a": 1}, "list": {"items": [], "next_cursor": null}, "sample": {"content": {"type": "text", "text": "yo"}}}}}"#)
        await h.finish()
    }

    @Test func errorAnswersMapToHostCallError() async throws {
        let h = try PluginHarness(basePlugin())
        invokeHostcall(h, args: #"{"method":"storage/get","params":{}}"#)
        _ = try await h.nextJSON()
        h.send(#"{"jsonrpc":"2.0","id":"sdk-1","error":{"code":-32602,"message":"key required","data":{"errorCode":"invalid_arg","details":{}}}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 1, "result": {"success": true, "data": {"kind": "rpc", "code": -32602, "message": "key required", "data": {"errorCode": "invalid_arg", "details": {}}, "errorCode": "invalid_arg", "description": "host call 'storage/get' failed: [-32602] key required"}}}"#)

        // Odd error values still resolve the call instead of stranding it.
        invokeHostcall(h, id: 2, args: #"{"method":"foo/bar"}"#)
        _ = try await h.nextJSON()
        h.send(#"{"jsonrpc":"2.0","id":"sdk-2","error":"boom"}"#)
        let r2 = try await h.nextJSON()
        #expect(text(r2["result"]?["data"]?["code"] ?? .null) == "-32000")
        #expect(text(r2["result"]?["data"]?["message"] ?? .null) == #""boom""#)
        invokeHostcall(h, id: 3, args: #"{"method":"foo/bar"}"#)
        _ = try await h.nextJSON()
        h.send(#"{"jsonrpc":"2.0","id":"sdk-3","error":{}}"#)
        let r3 = try await h.nextJSON()
        #expect(text(r3["result"]?["data"]?["message"] ?? .null) == #""unknown error""#)
        await h.finish()
    }

    @Test func uncaughtHostErrorFailsTheInvoke() async throws {
        let h = try PluginHarness(basePlugin())
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"tool":"get","context":{"invoke_id":"x"}}}"#)
        _ = try await h.nextJSON()
        h.send(#"{"jsonrpc":"2.0","id":"sdk-1","error":{"code":-32603,"message":"manifest does not grant 'storage.get'"}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 1, "result": {"success": false, "error": "host call 'storage/get' failed: [-32603] manifest does not grant 'storage.get'"}}"#)
        await h.finish()
    }

    @Test func timeoutThenLateAnswerIgnored() async throws {
        let h = try PluginHarness(basePlugin())
        invokeHostcall(h, args: #"{"method":"storage/get","params":{"key":"k"},"timeout_ms":150}"#)
        _ = try await h.nextJSON()
        let r = try await h.nextJSON()
        let data = try #require(r["result"]?["data"])
        #expect(text(data["kind"] ?? .null) == #""timeout""#)
        #expect(text(data["code"] ?? .null) == "-32001")
        // The text makes the runtime report `subcall_timeout` (04 D-ENV-4).
        #expect(data["description"]?.jstr?.string.hasPrefix("subcall_timeout {'subcall': 'storage'}: host call 'storage/get' got no answer within 0.1s") == true
            || data["description"]?.jstr?.string.hasPrefix("subcall_timeout {'subcall': 'storage'}: host call 'storage/get' got no answer within 0.2s") == true)
        // The late answer is dropped without a reply; the plugin carries on.
        h.send(#"{"jsonrpc":"2.0","id":"sdk-1","result":{"value":1}}"#)
        h.send(#"{"jsonrpc":"2.0","id":2,"method":"health"}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 2, "result": {"status": "ok"}}"#)
        await h.finish()
    }

    @Test func defaultTimeoutFromBuilder() async throws {
        let plugin = basePlugin().withHostCallTimeout(.milliseconds(100))
        let h = try PluginHarness(plugin)
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"tool":"get","context":{"invoke_id":"x"}}}"#)
        _ = try await h.nextJSON()
        let r = try await h.nextJSON()
        #expect(r["result"]?["error"]?.jstr?.string.hasPrefix("subcall_timeout {'subcall': 'storage'}") == true)
        await h.finish()
    }

    @Test func noInvokeContextFailsFast() async throws {
        let h = try PluginHarness(basePlugin())
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"tool":"hostcall","arguments":{}}}"#)
        let r = try await h.nextJSON(timeout: .seconds(10))
        #expect(text(r["result"]?["data"]?["kind"] ?? .null) == #""noInvokeContext""#)
        #expect(text(r["result"]?["data"]?["code"] ?? .null) == "-32003")
        await h.finish()
    }

    @Test func eofFailsPendingCalls() async throws {
        let h = try PluginHarness(basePlugin())
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"tool":"hostcall","arguments":{"method":"storage/get"},"context":{"invoke_id":"x"}}}"#)
        _ = try await h.nextJSON()
        h.closeInput()
        let r = try await h.nextJSON(timeout: .seconds(10))
        #expect(text(r["result"]?["data"]?["kind"] ?? .null) == #""closed""#)
        #expect(await h.finish(within: .seconds(2)))
    }

    @Test func cancellationResolvesTheCall() async throws {
        let plugin = ExecutaPlugin(name: "tool-cancel")
            .withTool("race") { _, ctx in
                let inner = Task { () -> String in
                    do throws(HostCallError) {
                        _ = try await ctx.host.call("storage/get", ["key": "k"])
                        return "answered"
                    } catch {
                        return "\(error.kind)"
                    }
                }
                try await Task.sleep(for: .milliseconds(50))
                inner.cancel()
                return .str(await inner.value)
            }
        let h = try PluginHarness(plugin)
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"tool":"race","context":{"invoke_id":"x"}}}"#)
        _ = try await h.nextJSON()
        #expect(await h.next(timeout: .seconds(2)) == #"{"jsonrpc": "2.0", "id": 1, "result": {"success": true, "data": "cancelled"}}"#)
        await h.finish()
    }
}
