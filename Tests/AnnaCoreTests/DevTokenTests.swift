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
        let notJSON = Base64URL.encode(Array("not json".utf8)) + "." + Base64URL.encode(DevToken.hmac(key: key, Array("not json".utf8)))
        #expect(v(.str(notJSON)) == "payload not json: Expecting value: line 1 column 1 (char 0)")
        let empty = Base64URL.encode(Array("{}".utf8)) + "." + Base64URL.encode(DevToken.hmac(key: key, Array("{}".utf8)))
        #expect(v(.str(empty)) == "token expired")
    }
}
