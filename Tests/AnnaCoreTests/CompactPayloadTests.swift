import Testing
import AnnaJSON
@testable import AnnaCore

/// The verify fast path (TOK-VER-6/7): for every body it accepts, the text
/// and `exp` are exactly what parsing and writing in the default style give;
/// bodies whose round trip changes more than the spacing are declined.
@Suite struct CompactPayloadTests {
    /// The general path: `json.loads` then `json.dumps`, `int(exp)`.
    static func general(_ body: [UInt8]) -> (text: String, exp: JSON)? {
        guard let v = try? body.withUnsafeBufferPointer({ try JSONParser.parse($0) }), case .object(let o) = v else { return nil }
        guard case .success(let exp) = Py.int(o["exp"] ?? .int(0)) else { return nil }
        return (JSONWriter.encodeString(.object(o)), exp)
    }

    static func fast(_ body: [UInt8]) -> (text: String, exp: JSON)? {
        body.withUnsafeBufferPointer { CompactPayload.render($0) }.map { (String(decoding: $0.text, as: UTF8.self), $0.exp) }
    }

    static func agrees(_ body: [UInt8]) -> Bool {
        guard let f = fast(body) else { return true }   // declined: the general path answers
        guard let g = general(body) else { return false }
        return f.text == g.text && f.exp == g.exp
    }

    static func accepted(_ s: String) -> Bool { fast(Array(s.utf8)) != nil }

    @Test func mintedBodiesTakeTheFastPath() {
        var c = DevToken.Claims(windowUuid: "00000000-0000-4000-8000-000000000000", userId: 7)
        c.scopes = ["a", "é😀", ["x": [1, nil, true]]]
        c.appId = 3
        let token = DevToken.mint(c, key: Array(repeating: 1, count: 32), nowSeconds: 1_700_000_000)
        let body = Base64URL.decodeLenient(Array(token.split(separator: ".")[0].utf8))
        guard case .success(let b) = body else { Issue.record("undecodable body"); return }
        let f = Self.fast(b)
        #expect(f?.exp == .int(1_700_000_030))
        #expect(f?.text == Self.general(b)?.text)
        #expect(f?.text.contains("\"scopes\": [\"a\", \"\\u00e9\\ud83d\\ude00\", {\"x\": [1, null, true]}]") == true, "\(f?.text ?? "nil")")
    }

    @Test func declinesWhatTheRoundTripWouldChange() {
        let declined = [
            #"{"a": 1}"#, #"{"a":1 }"#, #"{"a":1.0}"#, #"{"a":1e3}"#, #"{"a":-0}"#, #"{"a":0123}"#,
            #"{"a":1234567890123456789}"#, #"{"a":"\u000a"}"#, #"{"a":"\u0041"}"#, #"{"a":"\u00E9"}"#,
            #"{"a":"\/"}"#, "{\"a\":\"\u{7F}\"}", "{\"a\":\"\u{E9}\"}", #"{"a":1,"a":2}"#, #"{"a":{"b":1,"b":1}}"#,
            #"[1]"#, #""x""#, #"{"exp":"5"}"#, #"{"exp":5.0}"#, #"{"exp":true}"#, #"{"exp":null}"#,
            #"{"a":1}x"#, #"{"a":tru}"#, #"{"a":1"#, #"{"a""#, #"{"a":[1,]}"#, #"{,}"#, #"{"a":"\u12"}"#,
            String(repeating: "[", count: 70) + String(repeating: "]", count: 70),
            "{" + (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}",
        ]
        for s in declined {
            #expect(!Self.accepted(s), "\(s)")
            #expect(Self.agrees(Array(s.utf8)))
        }
        let accepted = [
            #"{}"#, #"{"exp":-5}"#, #"{"a":[],"b":{},"c":[[]],"d":null,"e":false}"#, #"{"a":"\u0000\u001f\u007f\ud800"}"#,
            #"{"a":"\"\\\n\r\t\b\f"}"#, #"{"a":{"exp":"inner exp is not the payload's"}}"#, #"{"a":-123456789012345678}"#,
            #"{"":0,"exp":0}"#,
        ]
        for s in accepted {
            #expect(Self.accepted(s), "\(s)")
            #expect(Self.agrees(Array(s.utf8)), "\(s)")
        }
        #expect(Self.fast(Array(#"{"a":1}"#.utf8))?.exp == .int(0))   // TOK-VER-7: missing exp is 0
    }

    /// Random values written the way minters write them, and random byte
    /// edits of those: whatever is accepted matches the general path.
    @Test func randomBodiesAgreeWithTheGeneralPath() {
        var rng = SplitMix(seed: 7)
        let compact = JSONStyle(asciiOnly: true, compact: true, sortKeys: false)
        let alphabet: [Unicode.Scalar] = ["a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "😀", "\u{2028}"]
        func string() -> JSON {
            var s = ""
            for _ in 0..<Int(rng.next() % 5) { s.unicodeScalars.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            return .str(s)
        }
        func value(_ depth: Int) -> JSON {
            switch rng.next() % (depth > 3 ? 6 : 8) {
            case 0: return .int(Int(truncatingIfNeeded: rng.next()) >> Int(rng.next() % 64))
            case 1: return .double(Double(Int(rng.next() % 2000)) / 8)
            case 2: return string()
            case 3: return .bool(rng.next() % 2 == 0)
            case 4: return .null
            case 5: return PyBigInt.make(negative: rng.next() % 2 == 0, digits: String(repeating: "9", count: 17 + Int(rng.next() % 4)))
            case 6: return .array((0..<Int(rng.next() % 4)).map { _ in value(depth + 1) })
            default: return object(depth + 1)
            }
        }
        func object(_ depth: Int) -> JSON {
            var o = JObject()
            for _ in 0..<Int(rng.next() % 5) {
                let key: JStr = rng.next() % 4 == 0 ? "exp" : (string().jstr ?? "k")
                o.set(key, value(depth))
            }
            return .object(o)
        }
        var fastCount = 0
        for i in 0..<4000 {
            var out = ByteBuffer()
            JSONWriter.write(object(0), style: compact, into: &out)
            var body = out.bytes
            if i % 2 == 1 && !body.isEmpty {   // a byte edit
                let at = Int(rng.next() % UInt64(body.count))
                let junk: [UInt8] = [0x20, 0x22, 0x5C, 0x2C, 0x3A, 0x7D, 0x5D, 0x30, 0x41, 0x65, 0x2E, 0x2D]
                body[at] = junk[Int(rng.next() % UInt64(junk.count))]
            }
            if Self.fast(body) != nil { fastCount += 1 }
            #expect(Self.agrees(body), "\(String(decoding: body, as: UTF8.self))")
        }
        #expect(fastCount > 500, "only \(fastCount) bodies took the fast path")
    }
}
