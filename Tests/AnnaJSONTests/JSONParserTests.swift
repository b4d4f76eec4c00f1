import Testing
@testable import AnnaJSON

@Suite struct JSONParserTests {
    func roundTrip(_ input: String) throws -> String {
        JSONWriter.encodeString(try JSONParser.parse(input))
    }

    @Test func specEndToEndExample() throws {
        // 11-json-compat.md §6, BR-JSON-3.
        let out = try roundTrip(#"{"s":"é😀","f":1E2,"g":1e16,"h":0.00001,"n":NaN,"i":-Infinity,"z":-0,"big":123456789012345678901234567890,"dup":1,"dup":2}"#)
        #expect(out == #"{"s": "\u00e9\ud83d\ude00", "f": 100.0, "g": 1e+16, "h": 1e-05, "n": NaN, "i": -Infinity, "z": 0, "big": 123456789012345678901234567890, "dup": 2}"#)
    }

    @Test func duplicateKeyKeepsFirstPosition() throws {
        #expect(try roundTrip(#"{"a":1,"b":2,"a":3}"#) == #"{"a": 3, "b": 2}"#)   // J-DEC-4
    }

    /// The parser's key filter only skips the duplicate scan for keys it
    /// has certainly not seen: escaped spellings, many keys and objects past
    /// the hash-index threshold still keep Python's last-value-wins (J-DEC-4).
    @Test func duplicateKeysThroughTheKeyFilter() throws {
        #expect(try roundTrip(#"{"a":1,"\u0061":2}"#) == #"{"a": 2}"#)
        #expect(try roundTrip(#"{"\u0061":1,"b":2,"a":3,"b":4}"#) == #"{"a": 3, "b": 4}"#)
        #expect(try roundTrip(#"{"k\n":1,"k\u000a":2}"#) == #"{"k\n": 2}"#)
        #expect(try roundTrip(#"{"":1,"":2}"#) == #"{"": 2}"#)
        // 200 keys, each repeated later: every value is the second one.
        let keys = (0..<200).map { "key-\($0)" } + ["aid", "aud", "exp", "iat", "iss", "sub", "uid", "vid", "wid"]
        let first = keys.enumerated().map { "\"\($0.element)\":\($0.offset)" }
        let second = keys.enumerated().map { "\"\($0.element)\":\(-$0.offset)" }
        let parsed = try JSONParser.parse("{" + (first + second).joined(separator: ",") + "}")
        guard case .object(let o) = parsed else { Issue.record("not an object"); return }
        #expect(o.count == keys.count)
        #expect(o.keys.map(\.string) == keys)
        for (i, k) in keys.enumerated() { #expect(o[JStr(k)] == .int(-i)) }
    }

    @Test func numbers() throws {
        #expect(try roundTrip("1.0") == "1.0")
        #expect(try roundTrip("0.1e1") == "1.0")
        #expect(try roundTrip("1E400") == "Infinity")
        #expect(try roundTrip("-0.0") == "-0.0")
        #expect(try roundTrip("-9223372036854775808") == "-9223372036854775808")
        #expect(try roundTrip("9223372036854775808") == "9223372036854775808")
        #expect(try roundTrip("-0") == "0")
        for bad in ["01", "1.", ".5", "+1", "1e", "-", "NaN1", "-NaN", "nul", "[1,]", "{\"a\":1,}", "{'a':1}", "\"\\x\"", "1 2"] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSONParser.parse(bad) }
        }
    }

    @Test func strings() throws {
        #expect(try roundTrip(#""\ud800""#) == #""\ud800""#)          // lone surrogate kept (J-DEC-5)
        #expect(try roundTrip(#""\ud83d\ude00""#) == #""\ud83d\ude00""#)
        #expect(try roundTrip(#""\ud800\ud800x""#) == #""\ud800\ud800x""#)
        #expect(try roundTrip(#""a\/b""#) == #""a/b""#)
        #expect(throws: JSONParseError.self) { try JSONParser.parse("\"a\u{01}b\"") }   // raw control char
        let lone = try JSONParser.parse(#""\ud800""#)
        #expect(lone.jstr?.codePointCount == 1)
    }

    @Test func limits() throws {
        let deep = String(repeating: "[", count: 982) + String(repeating: "]", count: 982)
        _ = try JSONParser.parse(deep)
        let tooDeep = String(repeating: "[", count: 983) + String(repeating: "]", count: 983)
        #expect(throws: JSONParseError.tooDeep) { try JSONParser.parse(tooDeep) }
        let huge = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.tooDeep) { try JSONParser.parse(huge) }
        _ = try JSONParser.parse(String(repeating: "7", count: 4300))
        #expect(throws: JSONParseError.integerTooLong) { try JSONParser.parse(String(repeating: "7", count: 4301)) }
        #expect(throws: JSONParseError.invalidUTF8) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func codePointOrderAndEquality() {
        // J-ORDER-1: by code point, no normalisation.
        let keys: [JStr] = ["é", "e", "z", "Z", "😀", "～", "B", "a"]
        #expect(keys.sorted().map { $0.string } == ["B", "Z", "a", "e", "z", "é", "～", "😀"])
        #expect(JStr("é") != JStr("e\u{301}"))
        #expect(JStr("e\u{301}").codePointCount == 2)
        #expect(JStr("😀😀").prefix(codePoints: 1) == JStr("😀"))
    }
}
