#if canImport(Glibc)
import Glibc
#endif
import Testing
import AnnaCore
import AnnaJSON
import AnnaTestSupport
@testable import AnnaRuntime

/// The loopback HTTPS peers of tests/web/https_server.py (a Python
/// `ssl`-wrapped http.server with a CA and certificates the openssl CLI
/// made for this run), started once per test process. The runtime trusts
/// the throwaway CA through `SSL_CERT_FILE`, the OpenSSL default verify
/// path the reference's `ssl.create_default_context()` honours too; it is
/// set once, before the first handshake, and never changed (no other test
/// sets environment variables). Nil when python3 or openssl is missing.
final class HTTPSPeers: @unchecked Sendable {
    let ca: String
    let good: Int, selfSigned: Int, other: Int, plain: Int, eof: Int
    private let child: Sys.Child

    static let shared: HTTPSPeers? = start()

    private init(child: Sys.Child, info: JSON) throws {
        func port(_ k: StaticString) throws -> Int {
            guard case .int(let p)? = info[k] else { throw PyException("ValueError", "missing port") }
            return p
        }
        self.child = child
        ca = info["ca"]?.text ?? ""
        good = try port("good")
        selfSigned = try port("self")
        other = try port("other")
        plain = try port("plain")
        eof = try port("eof")
    }

    private static func start() -> HTTPSPeers? {
        let python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3"
        guard case .success(let child) = Sys.spawn([python, RepoFiles.root + "/tests/web/https_server.py"], cwd: "/tmp") else {
            return nil
        }
        // The first stdout line says where everything is; EOF means it failed.
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while Sys.readFD(child.stdout, &byte, 1) == 1, byte != 0x0A { line.append(byte) }
        guard let info = try? JSONParser.parse(line), let peers = try? HTTPSPeers(child: child, info: info) else {
            Sys.closeFD(child.stdin)
            Sys.kill(child.pid, SIGKILL)
            return nil
        }
        setenv("SSL_CERT_FILE", peers.ca, 1)
        return peers
    }
}

/// HTTPClient over real TLS. The expected error texts are the ones the
/// reference (`_fetch_one_sync` / `_image_fetch_sync` under the venv's
/// CPython 3.11.7, its `_validate_url` bypassed for loopback) produced
/// against these same peers.
@Suite(.enabled(if: HTTPSPeers.shared != nil, "needs python3 and the openssl CLI"))
struct WebHTTPSTests {
    var peers: HTTPSPeers { HTTPSPeers.shared! }

    func client(limit: Double = 120) -> HTTPClient {
        var c = HTTPClient(resolver: SystemResolver(), connector: TCPConnector(), exchangeLimit: limit)
        c.blockPrivateAddresses = false
        return c
    }

    func fetch(_ url: String, timeout: Double = 5, limit: Double = 120) throws(PyException) -> (Int, [UInt8], HTTPMessage) {
        switch try client(limit: limit).open(PyStr.cps(url), timeout: timeout) {
        case .success(let r):
            defer { r.close() }
            return (r.status, try r.read(1 << 20), r.headers)
        case .httpError(let code, let h):
            return (code, [], h)
        }
    }

    /// The URLError text a failing https URL produces.
    func failure(_ url: String, timeout: Double = 5, limit: Double = 120) -> PyException? {
        do throws(PyException) {
            _ = try fetch(url, timeout: timeout, limit: limit)
            return nil
        } catch {
            return error
        }
    }

    static let page = "<html><head><title>Secure page</title></head><body><p>hello over tls</p></body></html>"

    @Test func getOverTLSReturnsTheBody() throws {
        // By name (SNI + DNS SAN) and by IP literal (IP SAN, no SNI).
        for host in ["localhost", "127.0.0.1"] {
            let (status, body, headers) = try fetch("https://\(host):\(peers.good)/hello")
            #expect(status == 200)
            #expect(String(decoding: body, as: UTF8.self) == Self.page)
            #expect(headers.get("content-type") == PyStr.cps("text/html; charset=utf-8"))
        }
    }

    @Test func raggedEOFEndsTheBody() throws {
        // No close_notify, just a TCP close: CPython's suppress_ragged_eofs.
        let (status, body, _) = try fetch("https://localhost:\(peers.good)/ragged")
        #expect(status == 200 && String(decoding: body, as: UTF8.self) == "body until a raw close")
    }

    @Test func redirectsFromHTTPToHTTPSAndWithinHTTPS() throws {
        let plain = try LoopbackServer(routes: [
            "/go": (Array("HTTP/1.1 302 Found\r\nLocation: https://localhost:\(peers.good)/abs\r\nContent-Length: 0\r\n\r\n".utf8), 0, false),
        ])
        defer { plain.stop() }
        // http -> https (absolute), https 301 -> https (absolute), then 200.
        var current = PyStr.cps("http://127.0.0.1:\(plain.port)/go")
        var codes: [Int] = []
        var final: [UInt8] = []
        hops: for _ in 0..<6 {
            switch try client().open(current, timeout: 5) {
            case .httpError(let code, let h):
                codes.append(code)
                current = try PyURLParse.join(current, try #require(h.get("Location")))
            case .success(let r):
                final = try r.read(1 << 16)
                r.close()
                break hops
            }
        }
        #expect(codes == [302, 301])
        #expect(PyStr.jstr(current).string == "https://localhost:\(peers.good)/hello")
        #expect(String(decoding: final, as: UTF8.self) == Self.page)
        // A relative Location inside https.
        guard case .httpError(302, let h) = try client().open(PyStr.cps("https://localhost:\(peers.good)/redir"), timeout: 5) else {
            Issue.record("expected 302"); return
        }
        #expect(h.get("Location") == PyStr.cps("/hello"))
    }

    @Test func untrustedCertificateFailsVerification() throws {
        let e = try #require(failure("https://localhost:\(peers.selfSigned)/hello"))
        #expect(e.className == "URLError")
        #expect(e.message.string == "<urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                + "self-signed certificate (_ssl.c:1006)>")
    }

    @Test func wrongNameFailsVerification() throws {
        let byName = try #require(failure("https://localhost:\(peers.other)/hello"))
        #expect(byName.className == "URLError")
        #expect(byName.message.string == "<urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                + "Hostname mismatch, certificate is not valid for 'localhost'. (_ssl.c:1006)>")
        let byIP = try #require(failure("https://127.0.0.1:\(peers.other)/hello"))
        #expect(byIP.message.string == "<urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                + "IP address mismatch, certificate is not valid for '127.0.0.1'. (_ssl.c:1006)>")
    }

    @Test func plainHTTPPeerIsAProtocolError() throws {
        let e = try #require(failure("https://localhost:\(peers.plain)/"))
        #expect(e.message.string == "<urlopen error [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)>")
    }

    @Test func peerClosingDuringTheHandshakeIsAnEOFError() throws {
        let e = try #require(failure("https://localhost:\(peers.eof)/"))
        #expect(e.message.string == "<urlopen error [SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol (_ssl.c:1006)>")
    }

    @Test func undecryptableRecordIsARawSSLError() throws {
        // After the handshake http.client no longer wraps: the SSLError
        // itself (web.fetch: TRANSPORT_ERROR:SSLError), with the read site.
        let e = try #require(failure("https://localhost:\(peers.good)/garbage"))
        #expect(e.className == "SSLError")
        #expect(e.message.string == "[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC] decryption failed or bad record mac (_ssl.c:2580)")
    }

    @Test func silentPeerTimesOutTheHandshake() throws {
        // Accepts the TCP connection, never speaks TLS.
        let srv = try LoopbackServer(routes: [:])
        defer { srv.stop() }
        let t0 = Sys.monotonicNanos()
        let e = try #require(failure("https://127.0.0.1:\(srv.port)/", timeout: 0.3))
        let elapsed = Sys.monotonicNanos() - t0
        // As in the reference: a URLError (do_open wraps the TimeoutError), not TIMEOUT.
        #expect(e.className == "URLError" && !e.isTimeout)
        #expect(e.message.string == "<urlopen error _ssl.c:989: The handshake operation timed out>")
        #expect(elapsed >= 250_000_000 && elapsed < 2_000_000_000)
        // The exchange's absolute deadline caps the handshake below the socket timeout.
        let t1 = Sys.monotonicNanos()
        _ = try #require(failure("https://127.0.0.1:\(srv.port)/", timeout: 10, limit: 0.3))
        #expect(Sys.monotonicNanos() - t1 < 2_000_000_000)
    }

    @Test func silentServerAfterHandshakeIsAReadTimeout() throws {
        let t0 = Sys.monotonicNanos()
        let e = try #require(failure("https://localhost:\(peers.good)/hang", timeout: 0.3))
        #expect(e.className == "TimeoutError" && e.isTimeout && e.message == "The read operation timed out")
        #expect(Sys.monotonicNanos() - t0 < 2_000_000_000)
    }

    @Test func concurrentFetchesShareTheContext() throws {
        let n = 12
        let slots = (0..<n).map { _ in OneShot<String>() }
        for (i, slot) in slots.enumerated() {
            let url = i % 3 == 2 ? "https://localhost:\(peers.selfSigned)/hello" : "https://localhost:\(peers.good)/hello"
            let c = client()
            Sys.startThread {
                do throws(PyException) {
                    switch try c.open(PyStr.cps(url), timeout: 5) {
                    case .success(let r):
                        let body = (try? r.read(1 << 16)) ?? []
                        r.close()
                        slot.fulfill(String(decoding: body, as: UTF8.self))
                    case .httpError(let code, _):
                        slot.fulfill("HTTP \(code)")
                    }
                } catch {
                    slot.fulfill(error.className)
                }
            }
        }
        let got = slots.map { $0.wait(timeoutNanos: 20_000_000_000) ?? "hung" }
        #expect(got == (0..<n).map { $0 % 3 == 2 ? "URLError" : Self.page })
    }

    @Test func scriptedPeersCannotStartTLS() throws {
        // The fixture's scripted sockets carry no TLS: a URLError, as the
        // reference's fake sockets gave (fixture case "random 63").
        let conn = ScriptedConnector([.object(JObject(uniqueEntries: [("data", .string("HTTP/1.1 200 OK\r\n\r\nx"))]))])
        let web = LocalWeb(resolver: FakeResolver(), connector: conn)
        let p = web.fetcher.page(.str("https://1.1.1.1/"), maxChars: 10, timeoutMs: 1000)
        #expect(p["error"]?.text == "TRANSPORT_ERROR:URLError")
        #expect(conn.connects.count == 1 && conn.connects.first?.stream.sent == [])
    }
}
