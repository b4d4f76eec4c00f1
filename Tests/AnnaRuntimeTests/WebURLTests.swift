import Testing
import AnnaCore
import AnnaJSON
@testable import AnnaRuntime

/// urlsplit / urljoin / ipaddress / idna / _validate_url against vectors
/// produced by CPython 3.11 (scripts/gen_web_cases.py).
@Suite struct WebURLTests {
    func opt(_ c: CPs?) -> String { c.map { PyStr.jstr($0).string } ?? "None" }

    @Test func urlsplitMatchesCPython() throws {
        let cases = WebFixtures.section("urlsplit")
        #expect(cases.count > 400)
        var failures: [String] = []
        for c in cases {
            let url = try #require(c["url"]?.cps)
            let label = "\(PyStr.repr(url))"
            do throws(PyException) {
                let p = try PyURLSplit.split(url)
                if let e = c["error"]?.jstr { failures.append("\(label): expected error \(e)"); continue }
                let got: [(StaticString, CPs?)] = [("scheme", p.scheme), ("netloc", p.netloc), ("path", p.path), ("query", p.query),
                                                   ("fragment", p.fragment), ("username", p.username), ("password", p.password),
                                                   ("hostname", p.hostname)]
                for (k, v) in got where opt(v) != opt(c[k]?.cps) {
                    failures.append("\(label) \(k): \(opt(v)) != \(opt(c[k]?.cps))")
                }
                do throws(PyException) {
                    let port = try p.port()
                    let want: String
                    if case .int(let i)? = c["port"] { want = String(i) } else { want = c["port_error"].map { "error \($0.text)" } ?? "None" }
                    if (port.map(String.init) ?? "None") != want { failures.append("\(label) port: \(String(describing: port)) != \(want)") }
                } catch {
                    if c["port_error"]?.jstr != error.message { failures.append("\(label) port error: \(error.message)") }
                }
            } catch {
                if c["error"]?.jstr != error.message { failures.append("\(label): error \(error.message) vs \(c["error"]?.text ?? "none")") }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures: \(failures.prefix(15))")
    }

    @Test func urljoinMatchesCPython() throws {
        var failures: [String] = []
        for c in WebFixtures.section("urljoin") {
            let base = try #require(c["base"]?.cps), rel = try #require(c["url"]?.cps)
            do throws(PyException) {
                let r = try PyURLParse.join(base, rel)
                if opt(r) != opt(c["result"]?.cps) { failures.append("\(opt(base)) + \(opt(rel)): \(opt(r)) != \(opt(c["result"]?.cps))") }
            } catch {
                if c["error"]?.jstr != error.message { failures.append("\(opt(base)) + \(opt(rel)): error \(error.message)") }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(15))")
    }

    @Test func ipAddressParsingAndClassification() throws {
        let cases = WebFixtures.section("ip")
        #expect(cases.count > 300)
        var failures: [String] = []
        for c in cases {
            let s = try #require(c["s"]?.cps)
            let ip = PyIPAddress.parse(s)
            guard case .bool(let valid)? = c["valid"] else { continue }
            if (ip != nil) != valid { failures.append("\(opt(s)): valid \(ip != nil)"); continue }
            guard let ip else { continue }
            let value: String
            switch ip {
            case .v4(let v): value = String(v)
            case .v6(let hi, let lo, _): value = String((UInt128(hi) << 64) | UInt128(lo))
            }
            if value != c["int"]?.text { failures.append("\(opt(s)): value \(value)") }
            let flags: [(StaticString, Bool)] = [("private", ip.isPrivate), ("loopback", ip.isLoopback), ("link_local", ip.isLinkLocal),
                                                 ("multicast", ip.isMulticast), ("unspecified", ip.isUnspecified),
                                                 ("reserved", ip.isReserved), ("blocked", ip.isBlocked)]
            for (k, v) in flags where c[k] != .bool(v) { failures.append("\(opt(s)) \(k)=\(v)") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(15))")
    }

    @Test func idnaEncodingMatchesCodec() throws {
        var failures: [String] = []
        for c in WebFixtures.section("idna") {
            let h = try #require(c["host"]?.cps)
            do throws(PyException) {
                let b = try PyIDNA.encode(h)
                if let want = c["bytes"]?.jstr?.string {
                    if b != hexBytes(want) { failures.append("\(PyStr.repr(h)): \(b) != \(want)") }
                } else {
                    failures.append("\(PyStr.repr(h)): expected \(c["msg"]?.text ?? "")")
                }
            } catch {
                if c["msg"]?.jstr != error.message || c["exc"]?.jstr?.string != error.className {
                    failures.append("\(PyStr.repr(h)): \(error.className) \(error.message)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func nameprepNFKCMatchesUCD32() throws {
        let cases = WebFixtures.section("nfkc")
        #expect(cases.count >= 400)
        var failures: [String] = []
        for c in cases {
            let s = try #require(c["s"]?.cps)
            let got = NFKC32.normalize(s)
            if got != c["nfkc"]?.cps { failures.append("\(PyStr.repr(s)): \(PyStr.repr(got)) != \(c["nfkc"]?.text ?? "")") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test func ssrfGuardMatchesValidateURL() throws {
        let guardian = SSRFGuard(resolver: FakeResolver())
        var failures: [String] = []
        let cases = WebFixtures.section("validate")
        #expect(cases.count > 80)
        for c in cases {
            let url = try #require(c["url"]?.cps)
            let label = "\(PyStr.repr(url))"
            do throws(PyException) {
                try guardian.validate(url)
                if c["ok"] != .bool(true) { failures.append("\(label): passed, expected \(c)") }
            } catch {
                if error.isSSRF {
                    if c["ssrf"]?.jstr != error.message { failures.append("\(label): ssrf \(error.message) vs \(c)") }
                } else if c["exc"]?.jstr?.string != error.className || c["msg"]?.jstr != error.message {
                    failures.append("\(label): \(error.className) \(error.message) vs \(c)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func lowerFollowsPython() {
        #expect(PyStr.jstr(PyStr.lower(PyStr.cps("ΑΣ.COM"))).string == "ασ.com")
        #expect(PyStr.jstr(PyStr.lower(PyStr.cps("ΑΣ"))).string == "ας")
        #expect(PyStr.lower(PyStr.cps("İX")) == [0x69, 0x307, 0x78])
        #expect(PyStr.lower([0xD800, 0x41]) == [0xD800, 0x61])
    }
}
