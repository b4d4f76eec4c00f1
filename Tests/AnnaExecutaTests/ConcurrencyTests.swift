import AnnaJSON
import Testing
@testable import AnnaExecuta

/// Several invokes in flight at once (10 PC-RT-1, PC-SDK-6).
@Suite struct ConcurrencyTests {
    @Test func overlappingInvokesRunTogether() async throws {
        // Eight invokes that each wait until all eight are running: they can
        // only all succeed if they are in flight together (no wall-clock bound,
        // so a slow machine cannot fail it).
        let h = try PluginHarness(basePlugin())
        for i in 1...8 {
            h.send(#"{"jsonrpc":"2.0","id":\#(i),"method":"invoke","params":{"tool":"barrier","arguments":{"n":8}}}"#)
        }
        var ids = Set<String>()
        for _ in 1...8 {
            let r = try await h.nextJSON(timeout: .seconds(30))
            ids.insert(text(r["id"] ?? .null))
            #expect(text(r["result"] ?? .null) == #"{"success": true, "data": {"met": true}}"#)
        }
        #expect(ids == Set((1...8).map(String.init)))
        await h.finish()
    }

    @Test func answersComeInCompletionOrder() async throws {
        let h = try PluginHarness(basePlugin())
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"tool":"sleep","arguments":{"ms":400}}}"#)
        h.send(#"{"jsonrpc":"2.0","id":2,"method":"invoke","params":{"tool":"sleep","arguments":{"ms":10}}}"#)
        h.send(#"{"jsonrpc":"2.0","id":3,"method":"health"}"#)
        #expect(text(try await h.nextJSON()["id"] ?? .null) == "3")
        #expect(text(try await h.nextJSON()["id"] ?? .null) == "2")
        #expect(text(try await h.nextJSON()["id"] ?? .null) == "1")
        await h.finish()
    }

    @Test func toolBlockedOnHostDoesNotBlockOthers() async throws {
        let h = try PluginHarness(basePlugin())
        h.send(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"tool":"get","arguments":{"key":"a"},"context":{"invoke_id":"i1"}}}"#)
        let req = try await h.nextJSON()
        #expect(text(req["method"] ?? .null) == #""storage/get""#)
        // While tool 1 waits for the host, others run to completion.
        h.send(#"{"jsonrpc":"2.0","id":2,"method":"invoke","params":{"tool":"echo","arguments":{"n":2}}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 2, "result": {"success": true, "data": {"n": 2}}}"#)
        h.send(#"{"jsonrpc":"2.0","id":3,"method":"invoke","params":{"tool":"get","arguments":{"key":"b"},"context":{"invoke_id":"i3"}}}"#)
        let req3 = try await h.nextJSON()
        // Answer in reverse order: each answer reaches its own caller.
        h.send(#"{"jsonrpc":"2.0","id":\#(text(req3["id"] ?? .null)),"result":{"value":"B"}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 3, "result": {"success": true, "data": "B"}}"#)
        h.send(#"{"jsonrpc":"2.0","id":\#(text(req["id"] ?? .null)),"result":{"value":"A"}}"#)
        #expect(await h.next() == #"{"jsonrpc": "2.0", "id": 1, "result": {"success": true, "data": "A"}}"#)
        await h.finish()
    }

    @Test func manyConcurrentReverseCalls() async throws {
        let h = try PluginHarness(basePlugin())
        let n = 50
        for i in 1...n {
            h.send(#"{"jsonrpc":"2.0","id":\#(i),"method":"invoke","params":{"tool":"get","arguments":{"key":"k\#(i)"},"context":{"invoke_id":"inv\#(i)"}}}"#)
        }
        var requests: [JSON] = []
        for _ in 1...n { requests.append(try await h.nextJSON()) }
        #expect(Set(requests.map { text($0["id"] ?? .null) }).count == n)
        for r in requests.reversed() {
            let key = r["params"]?["key"] ?? .null
            #expect(text(r["params"]?["context"]?["invoke_id"] ?? .null) == text(key).replacingOccurrences("k", "inv"))
            h.send(#"{"jsonrpc":"2.0","id":\#(text(r["id"] ?? .null)),"result":{"value":\#(text(key))}}"#)
        }
        for _ in 1...n {
            let r = try await h.nextJSON()
            let id = text(r["id"] ?? .null)
            #expect(text(r["result"] ?? .null) == #"{"success": true, "data": "k\#(id)"}"#)
        }
        await h.finish()
    }
}

extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String {
        split(separator: Character(a), omittingEmptySubsequences: false).joined(separator: b)
    }
}
