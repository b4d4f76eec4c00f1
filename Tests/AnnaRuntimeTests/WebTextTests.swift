import Testing
import AnnaCore
import AnnaJSON
@testable import AnnaRuntime

/// HTML extraction, UTF-8 replacement decoding and header parsing against
/// CPython 3.11 (the reference's `_extract_text`, `bytes.decode`,
/// `http.client.parse_headers`).
@Suite struct WebTextTests {
    func show(_ c: CPs?) -> String { c.map { "\(PyStr.repr($0))" } ?? "None" }

    @Test func extractTextMatchesReference() throws {
        var failures: [String] = []
        for c in WebFixtures.section("html") {
            let html = try #require(c["html"]?.cps)
            let (content, title) = HTMLText.extract(html)
            if show(content) != show(c["content"]?.cps) || show(title) != show(c["title"]?.cps) {
                failures.append("\(show(html)): got (\(show(title)), \(show(content))) want (\(show(c["title"]?.cps)), \(show(c["content"]?.cps)))")
            }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func specExampleExtraction() {
        let html = PyStr.cps("<title> My\n  <b>Title</b> </title><p>Hello   world</p>\n\n  <div>Second</div>")
        let (content, title) = HTMLText.extract(html)
        #expect(title.map { PyStr.jstr($0).string } == "My Title")
        #expect(content.map { PyStr.jstr($0).string } == "My\nTitle Hello world\nSecond")
    }

    @Test func unclosedTagsStayLinear() {
        // re would be quadratic here; the scans must not be.
        let big = PyStr.cps(String(repeating: "<script<title>x", count: 40_000))
        let (content, _) = HTMLText.extract(big)
        #expect(content != nil)
    }

    @Test func utf8ReplacementMatchesPython() throws {
        var failures: [String] = []
        for c in WebFixtures.section("utf8") {
            let hex = try #require(c["hex"]?.jstr?.string)
            let got = PyStr.cps(PyStr.utf8Replace(hexBytes(hex)))
            if got != c["text"]?.cps { failures.append(hex) }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func headerParsingMatchesEmailParser() throws {
        var failures: [String] = []
        for c in WebFixtures.section("headers") {
            let block = try #require(c["block"]?.cps)
            let m = HTTPMessage(block: block)
            for e in c["get"]?.object?.entries ?? [] {
                let got = m.get(e.key.string)
                if show(got) != show(e.value.cps) { failures.append("\(show(block)) \(e.key): \(show(got)) != \(show(e.value.cps))") }
            }
            if c["has_location"] != .bool(m.contains("location")) { failures.append("\(show(block)) has location") }
            if c["has_uri"] != .bool(m.contains("uri")) { failures.append("\(show(block)) has uri") }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func chunkSizeParsingFollowsIntBase16() {
        let cases: [(String, Int?)] = [("3\r\n", 3), ("0x1a\r\n", 26), (" 0 \r\n", 0), ("-3\r\n", -3), ("zz\r\n", nil),
                                       ("", nil), ("1_0\r\n", 16), ("_1\r\n", nil), ("1_\r\n", nil), ("0x_1", 1),
                                       ("0x", nil), ("1__0", nil), ("+f", 15), ("a\u{0}", nil), ("0b1", 0xB1)]
        for (text, want) in cases {
            #expect(HTTPResponse.parseHexInt(Array(text.utf8)) == want, "\(text.debugDescription)")
        }
    }

    @Test func base64AndSniffing() {
        #expect(Base64.encode([]) == "")
        #expect(Base64.encode(Array("f".utf8)) == "Zg==")
        #expect(Base64.encode(Array("fo".utf8)) == "Zm8=")
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64.encode([0xFF, 0xEF, 0xBE]) == "/+++")
        #expect(WebImageFetcher.sniff([0xFF, 0xD8, 0xFF]) == "image/jpeg")
        #expect(WebImageFetcher.sniff([0xFF, 0xD8]) == nil)
        #expect(WebImageFetcher.sniff(Array("RIFF0000WEBP".utf8)) == "image/webp")
        #expect(WebImageFetcher.sniff(Array("RIFF0000WEB".utf8)) == nil)
    }
}
