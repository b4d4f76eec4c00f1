import Testing
import AnnaJSON
@testable import AnnaCore

/// 06-tokens.md §5 worked examples (key = bytes 0..31, now = 1700000000.9).
@Suite struct DevTokenTests {
    let key = Array(UInt8(0)...UInt8(31))

    @Test func t1BridgeStyle() {
        var c = DevToken.Claims(windowUuid: "00000000-0000-4000-8000-000000000000", userId: 1)
        c.appId = 1; c.versionId = 1
        #expect(DevToken.mint(c, key: key, nowSeconds: 1_700_000_000) ==
            "eyJhaWQiOjEsImF1ZCI6ImFubmEtYXBwLXdpbmRvdyIsImV4cCI6MTcwMDAwMDAzMCwiaWF0IjoxNzAwMDAwMDAwLCJpc3MiOiJhbm5hLWFwcC1ydW50aW1lLWxvY2FsIiwic2NvcGVzIjpbXSwic3ViIjoiMSIsInVpZCI6MSwidmlkIjoxLCJ3aWQiOiIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDAifQ.f8WWJXxCg5EFHbGN1HZvWyzhkriU99MHiGP3uTZimrw")
    }

    @Test func t2LibraryDefaults() {
        let c = DevToken.Claims(windowUuid: "w", userId: 42)
        #expect(DevToken.mint(c, key: key, nowSeconds: 1_700_000_000) ==
            "eyJhaWQiOjAsImF1ZCI6ImFubmEtYXBwLXdpbmRvdyIsImV4cCI6MTcwMDAwMDAzMCwiaWF0IjoxNzAwMDAwMDAwLCJpc3MiOiJhbm5hLWFwcC1ydW50aW1lLWxvY2FsIiwic2NvcGVzIjpbXSwic3ViIjoiNDIiLCJ1aWQiOjQyLCJ2aWQiOjAsIndpZCI6IncifQ.uQ1-B2eWGYFha6_usqTJjcRArrjO32xalak9sy7fCWc")
    }

    @Test func t3NonASCIIScopesTTL() {
        var c = DevToken.Claims(windowUuid: "wé", userId: 7)
        c.appId = 3; c.versionId = 4; c.scopes = ["storage.get", "a"]; c.ttlSeconds = 60
        #expect(DevToken.mint(c, key: key, nowSeconds: 1_700_000_000) ==
            "eyJhaWQiOjMsImF1ZCI6ImFubmEtYXBwLXdpbmRvdyIsImV4cCI6MTcwMDAwMDA2MCwiaWF0IjoxNzAwMDAwMDAwLCJpc3MiOiJhbm5hLWFwcC1ydW50aW1lLWxvY2FsIiwic2NvcGVzIjpbInN0b3JhZ2UuZ2V0IiwiYSJdLCJzdWIiOiI3IiwidWlkIjo3LCJ2aWQiOjQsIndpZCI6IndcdTAwZTkifQ.wpVsj_bZLX2_1mwfb6x3mjacz46tqV9Aeko-U9nqsJA")
    }

    @Test func verificationTable() {
        var c = DevToken.Claims(windowUuid: "00000000-0000-4000-8000-000000000000", userId: 1)
        c.appId = 1; c.versionId = 1
        let t1 = DevToken.mint(c, key: key, nowSeconds: 1_700_000_000)
        func v(_ token: JSON, _ now: Int64 = 1_700_000_000) -> String {
            switch DevToken.verify(token, key: key, nowSeconds: now) {
            case .success(let p): return "payload sub=\(p["sub"]?.jstr?.string ?? "")"
            case .failure(let e): return e.message
            }
        }
        #expect(v(.str(t1)) == "payload sub=1")
        #expect(v(.str(t1), 1_700_000_030) == "payload sub=1")     // valid during the exp second
        #expect(v(.str(t1), 1_700_000_031) == "token expired")
        #expect(v(123) == "malformed token")
        #expect(v("nodot") == "malformed token")
        #expect(v("abcde.xyz") == "base64 decode failed: Invalid base64-encoded string: number of data characters (5) cannot be 1 more than a multiple of 4")
        #expect(v(.str(t1 + "x")) == "bad signature")
        #expect(v(.str(t1 + ".extra")) == "bad signature")
        #expect(v(".") == "bad signature")
        let notJSON = Base64URL.encode(Array("not json".utf8)) + "." + Base64URL.encode(DevToken.Signer(key: key).mac(Array("not json".utf8)))
        #expect(v(.str(notJSON)) == "payload not json: Expecting value: line 1 column 1 (char 0)")
        let empty = Base64URL.encode(Array("{}".utf8)) + "." + Base64URL.encode(DevToken.Signer(key: key).mac(Array("{}".utf8)))
        #expect(v(.str(empty)) == "token expired")
    }

    /// VerifiedTokens answers exactly as DevToken.verify, on the first
    /// sighting, the second (when it starts remembering) and later hits;
    /// the expiry is checked against the clock on every call (TOK-VER-*).
    @Test func rememberedTokensAnswerLikeAFullVerify() {
        var c = DevToken.Claims(windowUuid: "00000000-0000-4000-8000-000000000000", userId: 1)
        c.appId = 1; c.versionId = 1
        let t1 = DevToken.mint(c, key: key, nowSeconds: 1_700_000_000)
        let signer = DevToken.Signer(key: key)
        let memo = VerifiedTokens()
        // Same MAC tail as t1, another body: must not hit t1's entry.
        let forged = "e" + String(t1.dropFirst())
        let cases: [(JSON, Int64)] = [(.str(t1), 1_700_000_000), (.str(t1), 1_700_000_030), (.str(t1), 1_700_000_031),
                                      (.str(forged), 1_700_000_000), (123, 0), ("nodot", 0), (.str(t1 + "x"), 0),
                                      (.string(JStr(wtf8: Array(t1.utf8) + [0xED, 0xA0, 0x80])), 0)]
        func render(_ r: Result<JObject, DevToken.VerifyError>) -> String {
            switch r {
            case .success(let p): return JSONWriter.encodeString(.object(p))
            case .failure(let e): return e.message
            }
        }
        for round in 0..<4 {
            for (token, now) in cases {
                #expect(render(memo.verify(token, signer: signer, nowSeconds: now).map { $0.payload }) ==
                        render(DevToken.verify(token, signer: signer, nowSeconds: now)), "round \(round)")
            }
        }
        #expect(render(memo.verify(.str(t1), signer: signer, nowSeconds: 1_700_000_031).map { $0.payload }) == "token expired")
    }

    /// The decoder's four-at-a-time fast path agrees with the lenient
    /// character loop on any mix of alphabet, padding and junk (TOK-VER-3).
    @Test func base64FastPathMatchesTheLenientLoop() {
        let chars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=!. ".utf8)
        var rng = SplitMix(seed: 42)
        for _ in 0..<5000 {
            let n = Int(rng.next() % 24)
            let input = (0..<n).map { _ in rng.next() % 5 == 0 ? chars[Int(rng.next() % UInt64(chars.count))] : chars[Int(rng.next() % 64)] }
            let fast = Base64URL.decodeLenient(input)
            let slow = input.withUnsafeBufferPointer { Base64URL.decodeLenient($0, fastPath: false) }
            switch (fast, slow) {
            case (.success(let a), .success(let b)): #expect(a == b, "\(String(decoding: input, as: UTF8.self))")
            case (.failure(let a), .failure(let b)): #expect(a.message == b.message)
            default: Issue.record("fast and slow disagree on \(String(decoding: input, as: UTF8.self))")
            }
        }
    }
}

/// A tiny deterministic generator for property tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
