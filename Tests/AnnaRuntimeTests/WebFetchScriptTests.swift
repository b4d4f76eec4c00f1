import Testing
import AnnaCore
import AnnaJSON
@testable import AnnaRuntime

/// Whole web.fetch pages and web.image_fetch results against the
/// reference's own `_fetch_one_sync` / `_image_fetch_sync`, both driven by
/// the same scripted peer (fixture section `fetch` / `image`): the same
/// bytes must be sent, the same connections made, the same JSON produced.
@Suite struct WebFetchScriptTests {
    func connectsMatch(_ conn: ScriptedConnector, _ want: [JSON], _ label: String, _ failures: inout [String]) {
        if conn.connects.count != want.count {
            failures.append("\(label): \(conn.connects.count) connections, want \(want.count)")
            return
        }
        for (got, w) in zip(conn.connects, want) {
            if got.addr != w["addr"]?.text { failures.append("\(label): addr \(got.addr) != \(w["addr"]?.text ?? "")") }
            if case .int(let p)? = w["port"], p != got.port { failures.append("\(label): port \(got.port) != \(p)") }
            let sent = PyStr.jstr(PyStr.latin1(got.stream.sent))
            if sent != w["sent"]?.jstr { failures.append("\(label): sent \(PyStr.repr(PyStr.cps(sent))) != \(w["sent"]?.text ?? "")") }
        }
    }

    @Test func fetchPagesMatchReference() throws {
        let cases = WebFixtures.section("fetch")
        #expect(cases.count > 100)
        var failures: [String] = []
        var skipped = 0
        for c in cases {
            let name = c["name"]?.text ?? "?"
            if Self.dialsPortZero(c) { skipped += 1; continue }
            let conn = ScriptedConnector(c["scripts"]?.array ?? [])
            let web = LocalWeb(resolver: FakeResolver(), connector: conn)
            guard case .int(let maxChars)? = c["max_chars"], case .int(let timeoutMs)? = c["timeout_ms"] else {
                failures.append("\(name): bad case"); continue
            }
            let page = web.fetcher.page(c["url"] ?? .null, maxChars: maxChars, timeoutMs: timeoutMs)
            let got = JSONWriter.encodeString(.object(page))
            if let want = c["page"]?.jstr?.string, got != want {
                failures.append("\(name): \(got.prefix(300))\n   want \(want.prefix(300))")
            }
            connectsMatch(conn, c["connects"]?.array ?? [], name, &failures)
        }
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(12).joined(separator: "\n"))")
        #expect(skipped < 30)
    }

    /// The reference dialled port 0 in this case: the one deliberate
    /// divergence (we refuse to), checked by `portZeroIsBlocked`.
    static func dialsPortZero(_ c: JSON) -> Bool {
        (c["connects"]?.array ?? []).contains { $0["port"] == .int(0) }
    }

    @Test func imageFetchMatchesReference() throws {
        let cases = WebFixtures.section("image")
        #expect(cases.count > 40)
        var failures: [String] = []
        for c in cases {
            let name = c["name"]?.text ?? "?"
            if Self.dialsPortZero(c) { continue }
            let conn = ScriptedConnector(c["scripts"]?.array ?? [])
            let web = LocalWeb(resolver: FakeResolver(), connector: conn)
            guard let url = c["url"]?.jstr, case .int(let maxBytes)? = c["max_bytes"] else { failures.append("\(name): bad case"); continue }
            let got: String
            switch web.imageFetcher.fetch(url: url, maxBytes: maxBytes) {
            case .success(let o):
                got = "result " + JSONWriter.encodeString(.object(o))
            case .failure(let e):
                got = "error \(e.code) \(e.message)"
            }
            let want: String
            if let r = c["outcome"]?["result"]?.jstr?.string {
                want = "result " + r
            } else {
                let e = c["outcome"]?["error"]
                want = "error \(e?["code"]?.text ?? "") \(e?["message"]?.text ?? "")"
            }
            if got != want { failures.append("\(name): \(got.prefix(300))\n   want \(want.prefix(300))") }
            connectsMatch(conn, c["connects"]?.array ?? [], name, &failures)
        }
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(12).joined(separator: "\n"))")
    }

    @Test func fetchRunsURLsConcurrentlyInOrder() throws {
        // Ten blocked or non-string URLs: no network, order kept, shapes right.
        let web = LocalWeb(resolver: FakeResolver(), connector: ScriptedConnector([]))
        let urls: [JSON] = [.str("http://127.0.0.1/"), .int(5), .null, .array([.int(1)]), .str("ftp://x/"),
                            .str("http://1.1.1.1:99999/"), .str("http://[::1/"), .str("http://a..b/"), .str("http://10.0.0.1:8080/"), .bool(true)]
        var args = JObject()
        args.set("urls", .array(urls))
        args.set("max_chars", .int(20_000))
        args.set("timeout_ms", .int(1000))
        let r = try web.fetch(args: args).get()
        let pages = try #require(r["pages"]?.array)
        let errors = pages.map { $0["error"]?.text ?? "" }
        #expect(errors == ["SSRF_BLOCKED", "TRANSPORT_ERROR:AttributeError", "SSRF_BLOCKED", "TRANSPORT_ERROR:TypeError",
                           "SSRF_BLOCKED", "TRANSPORT_ERROR:ValueError", "TRANSPORT_ERROR:ValueError",
                           "TRANSPORT_ERROR:UnicodeError", "SSRF_BLOCKED", "TRANSPORT_ERROR:AttributeError"])
        #expect(pages.map { $0["url"] ?? .null } == urls)
        #expect(JSONWriter.encodeString(.object(r)).hasSuffix(#""quota_consumed": 0, "_meta": {"provider": "native", "dev": true}}"#))
    }

    @Test func portZeroIsBlocked() throws {
        let web = LocalWeb(resolver: FakeResolver(), connector: ScriptedConnector([]))
        let p = web.fetcher.page(.str("http://1.1.1.1:0/"), maxChars: 10, timeoutMs: 1000)
        #expect(p["error"]?.text == "SSRF_BLOCKED")
        guard case .failure(let e) = web.imageFetcher.fetch(url: "https://1.1.1.1:0/", maxBytes: 10) else {
            Issue.record("expected failure"); return
        }
        #expect(e.message == "SSRF_BLOCKED: port 0 not allowed")
    }
}
