import Testing
import AnnaJSON
@testable import AnnaCore

/// 03-acl.md truth tables.
@Suite struct AccessControlTests {
    func acl(_ hostApi: String, required: [String] = [], optional: [String] = [], ui: Bool = true) throws -> ManifestACL {
        let req = required.map { #"{"tool_id":"\#($0)"}"# }.joined(separator: ",")
        let opt = optional.map { #"{"tool_id":"\#($0)"}"# }.joined(separator: ",")
        let uiPart = ui ? #","ui":{"bundle":{"entry":"i"},"host_api":\#(hostApi)}"# : ""
        return ManifestACL(try manifest(#"{"required_executas":[\#(req)],"optional_executas":[\#(opt)]\#(uiPart)}"#))
    }

    @Test func namespaceGate() throws {   // ACL-GATE-*
        #expect(try !acl("{}").hostApiAllows(ns: "tools", method: "invoke"))
        #expect(try acl("{}", required: ["a.b"]).hostApiAllows(ns: "tools", method: "invoke"))
        #expect(try acl("{}", optional: ["a.b"]).hostApiAllows(ns: "tools", method: "listJobs"))
        #expect(try acl(#"{"tools":["x"]}"#).hostApiAllows(ns: "tools", method: "list"))
        #expect(try !acl("{}", required: ["a.b"], ui: false).hostApiAllows(ns: "tools", method: "list"))
        #expect(try acl("{}", ui: false).hostApiAllows(ns: "window", method: "x"))
        #expect(try acl(#"{"storage":["get"]}"#).hostApiAllows(ns: "storage", method: "get"))
        #expect(try !acl(#"{"storage":["get"]}"#).hostApiAllows(ns: "storage", method: "set"))
        #expect(try acl(#"{"storage":["*"]}"#).hostApiAllows(ns: "storage", method: "set"))
        #expect(try !acl(#"{"storage":["storage.set"]}"#).hostApiAllows(ns: "storage", method: "set"))
        #expect(try acl(#"{"credentials":["google"]}"#).hostApiAllows(ns: "credentials", method: "get_token"))
        #expect(try !acl("{}").hostApiAllows(ns: "credentials", method: "get_token"))
        #expect(try acl(#"{"agent":{"session":{"auto":true}}}"#).hostApiAllows(ns: "agent", method: "session.run"))
        #expect(try !acl(#"{"agent":{"session":{"auto":false}}}"#).hostApiAllows(ns: "agent", method: "session.run"))
        #expect(try acl(#"{"agent":{"session":{"fixed":{}}}}"#).hostApiAllows(ns: "agent", method: "session.run"))
        #expect(try !acl(#"{"agent":{"tools":["x"]}}"#).hostApiAllows(ns: "agent", method: "session.run"))
        #expect(try acl(#"{"apps":["deck.list"]}"#).hostApiAllows(ns: "apps", method: "deck.list"))
        #expect(try !acl(#"{"apps":["deck.*"]}"#).hostApiAllows(ns: "apps", method: "deck.list"))
        #expect(try !acl(#"{"llm":["complete"]}"#).hostApiAllows(ns: "llm", method: "stream"))
        #expect(try acl(#"{"mobile":["share"]}"#).hostApiAllows(ns: "mobile", method: "share"))
    }

    @Test func toolAllowList() throws {   // ACL-TOOL-5
        #expect(try acl("{}", required: ["a.b"]).isToolAllowed("a.b"))
        #expect(try !acl("{}", required: ["a.b"]).isToolAllowed("c.d"))
        #expect(try acl("{}", optional: ["o.p"]).isToolAllowed("o.p"))
        #expect(try acl(#"{"tools":["required:*"]}"#, required: ["a.b"], optional: ["o.p"]).isToolAllowed("a.b"))
        #expect(try !acl(#"{"tools":["required:*"]}"#, required: ["a.b"], optional: ["o.p"]).isToolAllowed("o.p"))
        #expect(try acl(#"{"tools":["optional:*"]}"#, required: ["a.b"], optional: ["o.p"]).isToolAllowed("o.p"))
        #expect(try acl(#"{"tools":["x.y"]}"#).isToolAllowed("x.y"))
        #expect(try !acl(#"{"tools":["x.y"]}"#).isToolAllowed("y"))
        #expect(try !acl(#"{"tools":["x.y"]}"#, required: ["a.b"]).isToolAllowed("a.b"))
        let rq = try acl(#"{"tools":["required:x.y"]}"#)
        #expect(rq.isToolAllowed("x.y") && rq.isToolAllowed("required:x.y") && !rq.isToolAllowed(":x.y"))
        #expect(try acl(#"{"tools":["foo:x.y"]}"#).isToolAllowed("x.y"))
        let abc = try acl(#"{"tools":["a:b:c"]}"#)
        #expect(abc.isToolAllowed("c") && abc.isToolAllowed("b:c"))
        #expect(try acl(#"{"tools":["required:*"]}"#).isToolAllowed("*"))
        #expect(try !acl(#"{"tools":["*"]}"#).isToolAllowed("anything"))
        #expect(try acl(#"{"tools":["*"]}"#).isToolAllowed("*"))
        #expect(try !acl("{}", required: ["a.b"], ui: false).isToolAllowed("a.b"))
    }

    @Test func toolsListKeepsDuplicates() throws {   // ACL-TOOL-6
        let a = try acl("{}", required: ["plug.tool", "tool-x-y-z"], optional: ["opt__t", "plug.tool"])
        #expect(a.listedTools.map { $0.string } == ["plug.tool", "tool-x-y-z", "opt__t", "plug.tool"])
    }

    @Test func split() {   // ACL-SPLIT-*
        func s(_ id: JStr, _ m: JStr? = nil) -> String {
            switch ManifestACL.splitToolId(id, method: m) {
            case .success(let (p, t)): return "\(p)|\(t)"
            case .failure(let e): return e.message.string
            }
        }
        #expect(s("a.b__c") == "a.b|c")
        #expect(s("opt__t") == "opt|t")
        #expect(s("plug.tool") == "plug|tool")
        #expect(s("a.b.c") == "a|b.c")
        #expect(s(".x") == "|x")
        #expect(s("x", " m ") == "x|m")
        #expect(s("x", " \u{3000} ") == "method must be a non-empty string")
        #expect(s("x", "") == "tool_id 'x' has no plugin.tool separator and no `method` arg was provided")
    }

    @Test func scopesFromManifest() throws {   // V-SCOPE-4
        let a = try acl(#"{"tools":["required:*","x"],"storage":["get","get"],"prefs":["get"],"window":["close","*"],"web":["*"],"agent":{"session":{"auto":true}}}"#)
        #expect(a.scopes.map { $0.string } == ["tools.required:*", "tools.x", "storage.get", "storage.get", "prefs.get", "window.close", "window.*"])
    }

    @Test func storageScopeMatrix() throws {   // ACL-STORE, 03 §4.4 matrix rows
        func row(_ caps: String, _ storage: String = "null") throws -> String {
            let m = try manifest(#"{"host_capabilities":\#(caps),"storage":\#(storage),"ui":{"bundle":{"entry":"i"},"host_api":{"storage":["*"]}}}"#)
            let s = DispatcherSession(store: WindowStore(clock: TestClock()), window: WindowRecord(windowUuid: "w", userId: 1, view: "main", entryPayload: JObject(), runtimeState: JObject(), appSlug: .null, now: UTCTime(micros: 0)), acl: ManifestACL(m))
            var out = ""
            for (scope, owner) in [("user", "null"), ("tool", "null"), ("app", "\"x\""), ("app", "null")] {
                for method in ["get", "set"] {
                    let args = #"{"scope":"\#(scope)","owner":\#(owner),"key":"k","value":1}"#
                    let r = try s.wire("storage", method, args)
                    out += r.hasPrefix("ok") ? "O" : (r.contains("permission_denied") ? "D" : "?")
                }
            }
            return out
        }
        #expect(try row("[]") == "DDDDDDOO")
        #expect(try row(#"["aps.scope.user.read"]"#) == "ODDDDDOO")
        #expect(try row(#"["aps.scope.user.write"]"#) == "DODDDDOO")
        #expect(try row(#"["aps.kv"]"#) == "DDDDDDOO")
        #expect(try row(#"["aps.scope.admin"]"#) == "OOOOOOOO")
        #expect(try row(#"["aps.scope.app.read"]"#) == "DDDDODOO")
        #expect(try row("[]", #"{"scopes":{"tool":"w"}}"#) == "DDDODDOO")
        #expect(try row(#"["aps.scope.user.rw"]"#) == "DDDDDDOO")
    }
}
