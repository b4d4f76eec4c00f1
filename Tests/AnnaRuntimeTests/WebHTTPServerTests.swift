#if canImport(Glibc)
import Glibc
#endif
import Testing
import AnnaCore
import AnnaJSON
@testable import AnnaRuntime

/// A tiny HTTP server on 127.0.0.1 answering from a table of raw
/// responses by request path. 127.0.0.1 is SSRF-blocked, so these tests
/// drive HTTPClient directly (connection re-check off) over real sockets.
final class LoopbackServer: @unchecked Sendable {
    let fd: Int32
    let port: Int
    private var lock = pthread_mutex_t()
    private var requests: [[UInt8]] = []
    /// path -> (response bytes, delay per byte in µs, hang without answering)
    let routes: [String: (bytes: [UInt8], dripMicros: UInt32, hang: Bool)]

    init(routes: [String: (bytes: [UInt8], dripMicros: UInt32, hang: Bool)]) throws {
        self.routes = routes
        pthread_mutex_init(&lock, nil)
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0, listen(s, 16) == 0 else { throw PyException.os(errno) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        fd = s
        port = Int(UInt16(bigEndian: addr.sin_port))
        Sys.startThread { [self] in self.serve() }
    }

    var received: [[UInt8]] {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return requests
    }

    func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }

    private func serve() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { return }
            Sys.startThread { [self] in self.handle(c) }
        }
    }

    private func handle(_ c: Int32) {
        defer { close(c) }
        var req: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while !(req.count >= 4 && Array(req.suffix(4)) == [13, 10, 13, 10]) {
            let n = recv(c, &buf, buf.count, 0)
            if n <= 0 { return }
            req += buf[0..<n]
        }
        pthread_mutex_lock(&lock)
        requests.append(req)
        pthread_mutex_unlock(&lock)
        let line = String(decoding: req.prefix(while: { $0 != 13 }), as: UTF8.self).split(separator: " ")
        let path = line.count > 1 ? String(line[1]) : "/"
        guard let r = routes[path] else { return }
        if r.hang { Sys.sleepNanos(3_000_000_000); return }
        if r.dripMicros == 0 {
            _ = r.bytes.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        } else {
            for b in r.bytes {
                var x = b
                if send(c, &x, 1, Int32(MSG_NOSIGNAL)) != 1 { return }
                usleep(r.dripMicros)
            }
        }
    }
}

@Suite(.serialized) struct WebHTTPServerTests {
    static func raw(_ s: String) -> [UInt8] { Array(s.utf8) }

    func client(limit: Double = 120) -> HTTPClient {
        var c = HTTPClient(resolver: SystemResolver(), connector: TCPConnector(), exchangeLimit: limit)
        c.blockPrivateAddresses = false
        return c
    }

    func body(_ o: HTTPOutcome, _ n: Int = 1 << 20) throws(PyException) -> (Int, [UInt8], HTTPMessage) {
        switch o {
        case .success(let r):
            defer { r.close() }
            return (r.status, try r.read(n), r.headers)
        case .httpError(let code, let h):
            return (code, [], h)
        }
    }

    @Test func contentLengthChunkedAndEOFBodies() throws {
        let srv = try LoopbackServer(routes: [
            "/len": (Self.raw("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhelloEXTRA"), 0, false),
            "/chunked": (Self.raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"), 0, false),
            "/eof": (Self.raw("HTTP/1.0 200 OK\r\n\r\n<p>until close</p>"), 0, false),
        ])
        defer { srv.stop() }
        let base = "http://127.0.0.1:\(srv.port)"
        let (s1, b1, h1) = try body(try client().open(PyStr.cps(base + "/len"), timeout: 5))
        #expect(s1 == 200 && b1 == Self.raw("hello"))
        #expect(h1.get("content-type") == PyStr.cps("text/html"))
        let (_, b2, _) = try body(try client().open(PyStr.cps(base + "/chunked"), timeout: 5))
        #expect(b2 == Self.raw("Wikipedia"))
        let (_, b3, _) = try body(try client().open(PyStr.cps(base + "/eof"), timeout: 5))
        #expect(b3 == Self.raw("<p>until close</p>"))
        // The exact request urllib would send (WEB-FETCH-3 User-Agent, Host with port).
        let first = String(decoding: srv.received.first ?? [], as: UTF8.self)
        #expect(first == "GET /len HTTP/1.1\r\nAccept-Encoding: identity\r\nHost: 127.0.0.1:\(srv.port)\r\n"
                + "User-Agent: Mozilla/5.0 (compatible; AnnaWebFetch-dev/1.0)\r\nConnection: close\r\n\r\n")
    }

    @Test func redirectsAreReturnedNotFollowed() throws {
        let srv = try LoopbackServer(routes: [
            "/a": (Self.raw("HTTP/1.1 302 Found\r\nLocation: b?x=1\r\nContent-Length: 0\r\n\r\n"), 0, false),
            "/b?x=1": (Self.raw("HTTP/1.1 301 Moved\r\nLocation: /c\r\n\r\n"), 0, false),
            "/c": (Self.raw("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone"), 0, false),
            "/none": (Self.raw("HTTP/1.1 307 Temp\r\n\r\n"), 0, false),
        ])
        defer { srv.stop() }
        var current = PyStr.cps("http://127.0.0.1:\(srv.port)/a")
        var hops = 0
        var final: [UInt8] = []
        while hops < 6 {
            switch try client().open(current, timeout: 5) {
            case .httpError(let code, let h):
                #expect([301, 302].contains(code))
                current = try PyURLParse.join(current, try #require(h.get("Location")))
                hops += 1
                continue
            case .success(let r):
                final = try r.read(100)
                r.close()
            }
            break
        }
        #expect(hops == 2 && final == Self.raw("done"))
        #expect(PyStr.jstr(current).string == "http://127.0.0.1:\(srv.port)/c")
        guard case .httpError(307, let h) = try client().open(PyStr.cps("http://127.0.0.1:\(srv.port)/none"), timeout: 5) else {
            Issue.record("expected 307"); return
        }
        #expect(h.get("Location") == nil)
    }

    @Test func readTimeoutIsTimeoutError() throws {
        let srv = try LoopbackServer(routes: ["/hang": ([], 0, true)])
        defer { srv.stop() }
        let t0 = Sys.monotonicNanos()
        do throws(PyException) {
            _ = try client().open(PyStr.cps("http://127.0.0.1:\(srv.port)/hang"), timeout: 0.3)
            Issue.record("expected a timeout")
        } catch {
            #expect(error.isTimeout && error.className == "TimeoutError" && error.message == "timed out")
        }
        #expect(Sys.monotonicNanos() - t0 < 2_000_000_000)
    }

    @Test func exchangeLimitStopsADrippingServer() throws {
        let srv = try LoopbackServer(routes: ["/drip": (Self.raw("HTTP/1.1 200 OK\r\n\r\n" + String(repeating: "x", count: 400)), 20_000, false)])
        defer { srv.stop() }
        let t0 = Sys.monotonicNanos()
        do throws(PyException) {
            let (_, b, _) = try body(try client(limit: 0.5).open(PyStr.cps("http://127.0.0.1:\(srv.port)/drip"), timeout: 5))
            Issue.record("expected a timeout, got \(b.count) bytes")
        } catch {
            #expect(error.isTimeout)
        }
        #expect(Sys.monotonicNanos() - t0 < 3_000_000_000)
    }

    @Test func refusedConnectionIsURLError() throws {
        // Bind then close: nothing listens on that port any more.
        let srv = try LoopbackServer(routes: [:])
        let port = srv.port
        srv.stop()
        do throws(PyException) {
            _ = try client().open(PyStr.cps("http://127.0.0.1:\(port)/"), timeout: 2)
            Issue.record("expected a failure")
        } catch {
            #expect(error.className == "URLError")
            #expect(error.message.string == "<urlopen error [Errno 111] Connection refused>")
        }
    }

    @Test func guardBlocksLoopbackBeforeAnyConnection() throws {
        let srv = try LoopbackServer(routes: ["/": (Self.raw("HTTP/1.1 200 OK\r\n\r\nx"), 0, false)])
        defer { srv.stop() }
        let web = LocalWeb()
        let p = web.fetcher.page(.str("http://127.0.0.1:8080/"), maxChars: 10, timeoutMs: 1000)
        #expect(JSONWriter.encodeString(.object(p)) == #"{"url": "http://127.0.0.1:8080/", "ok": false, "error": "SSRF_BLOCKED"}"#)
        guard case .failure(let e) = web.imageFetcher.fetch(url: "http://localhost/x.png", maxBytes: 100) else {
            Issue.record("expected failure"); return
        }
        #expect(e.code == "invalid_arg" && e.message == "SSRF_BLOCKED: localhost resolves to private IP 127.0.0.1")
        #expect(srv.received.isEmpty)
    }
}
