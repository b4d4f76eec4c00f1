import Testing
import AnnaTestSupport
import AnnaJSON
@testable import AnnaCore

/// Parity with the vendored schema bundle (12 SB-METH-6, SB-USE-3).
@Suite struct SchemaBundleTests {
    static let dir = "schema/anna-app-schema-0.30.0"

    func load(_ name: String) throws -> JSON {
        let v = RepoFiles.json(Self.dir + "/" + name)
        try #require(!v.isNull, "\(name)")
        return v
    }

    @Test func methodTableMatches() throws {
        let methods = try #require(try load("host_api/methods.json")["methods"]?.array)
        #expect(methods.count == 87)
        var pairs = Set<String>(), noAuth = Set<String>(), stubs = Set<String>()
        for m in methods {
            let name = "\(m["namespace"]?.jstr?.string ?? "?").\(m["method"]?.jstr?.string ?? "?")"
            pairs.insert(name)
            if case .bool(true)? = m["no_auth"] { noAuth.insert(name) }
            if case .bool(true)? = m["stub"] { stubs.insert(name) }
        }
        #expect(pairs == Set(HostMethod.allCases.map { $0.qualifiedName }))
        #expect(noAuth == Set(HostMethod.allCases.filter { $0.noAuth }.map { $0.qualifiedName }))
        #expect(stubs == Set(HostMethod.allCases.filter { $0.isStub }.map { $0.qualifiedName }))
        #expect(stubs.count == 24)
    }

    @Test func everyStubAnswersNotImplementedAfterTheGate() throws {
        // A manifest granting every namespace with "*" (credentials: a provider id).
        let lists = ["chat", "artifact", "llm", "fs", "storage", "prefs", "files", "image", "video", "music",
                     "audio", "upload", "apps", "web", "mobile"].map { #""\#($0)":["*"]"# }.joined(separator: ",")
        let s = try makeSession(#"{"ui":{"bundle":{"entry":"i"},"host_api":{\#(lists),"credentials":["google"],"tools":["x"]}}}"#)
        for m in HostMethod.allCases where m.isStub {
            #expect(try s.wire(m.namespace, m.name) == #"error {"code": "not_implemented", "message": "endpoint not yet available", "details": {}}"#,
                    "\(m.qualifiedName)")
        }
    }

    @Test func versionsAgree() throws {
        let v = try #require(RepoFiles.text(Self.dir + "/dispatcher_version.txt"))
        #expect(v == "0.30.0\n")
        #expect(try load("host_api/methods.json")["version"]?.jstr == "0.30.0")
    }

    @Test func eventKindsAreDeclaredOrToolJob() throws {   // errata SB-EVT-3
        let schema = try load("events/AnnaAppEvent.json")
        let kinds = Set(schema["properties"]?["kind"]?["enum"]?.array?.compactMap { $0.jstr?.string } ?? [])
        for k in ["title_changed", "geometry_changed", "window_focus_changed", "close_view", "artifact_appended",
                  "chat_message_from_app", "runtime_state_synced", "open_view", "rpc.stream"] {
            #expect(kinds.contains(k), "\(k)")
        }
        #expect(!kinds.contains("tool_job"))
    }
}
