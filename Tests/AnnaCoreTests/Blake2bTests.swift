import Testing
@testable import AnnaCore

@Suite struct Blake2bTests {
    func hex(_ b: [UInt8]) -> String { b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }

    @Test func digestSize8IsItsOwnFunction() {   // J-ETAG-1
        #expect(hex(Blake2b.hash(Array("null".utf8), outlen: 8)) == "7376b2cbfa0ad26e")
        #expect(hex(Blake2b.hash(Array("null".utf8), outlen: 64)).hasPrefix("7b8b2cb83a44fca2"))
    }

    @Test func rfc7693Vector() {   // BLAKE2b-512("abc")
        #expect(hex(Blake2b.hash(Array("abc".utf8), outlen: 64)) ==
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
        #expect(hex(Blake2b.hash([], outlen: 64)) ==
            "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce")
        // Multi-block input (255 bytes 0..254), checked against Python's hashlib.
        #expect(hex(Blake2b.hash(Array(UInt8(0)...UInt8(254)), outlen: 8)) == Self.long8)
    }

    static let long8 = "88a24b1024ba2314"
}
