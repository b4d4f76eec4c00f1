import AnnaCore
import AnnaJSON

/// What the reference's opener (urllib with redirects disabled) returns.
enum HTTPOutcome {
    /// A 2xx response, headers read, body not yet.
    case success(HTTPResponse)
    /// `urllib.error.HTTPError`: any other status, redirects included.
    case httpError(code: Int, headers: HTTPMessage)
}

/// One GET the way `urllib.request.build_opener(_NoRedirect).open(req,
/// timeout)` performs it: the same request bytes (request line,
/// `Accept-Encoding: identity`, `Host`, the User-Agent of WEB-FETCH-3,
/// `Connection: close`), the same checks in the same order, the same
/// exception at each step. No proxies, no automatic redirects.
///
/// Three deliberate differences, all at the moment of dialling: every
/// address the connection step resolves is checked against WEB-SSRF-2
/// again (the reference resolves a second time and would connect to
/// anything, WEB-SSRF-3); port 0, which the reference's guard lets through
/// as "the default port" and then really dials, is refused (`port 0 not
/// allowed`, errata WEB-SSRF-1 recommends blocking it); and the caller
/// passes an absolute deadline on top of the per-operation socket
/// timeout, so a server dripping bytes cannot hold a thread forever.
/// Everything the reference rejects before dialling is rejected the same way.
///
/// HTTPS: after the TCP connection, a TLS handshake through the system
/// OpenSSL (TLSStream), verifying like `ssl.create_default_context()`;
/// its failures are URLErrors with CPython's `ssl` texts (TLSError). When
/// libssl cannot be loaded the request fails after connecting with a
/// URLError saying https is unavailable.
struct HTTPClient: Sendable {
    var resolver: Resolver
    var connector: Connector
    /// Seconds one URL (all its hops) may take at most; see `deadline()`.
    var exchangeLimit: Double = 120
    /// Re-check connection addresses (WEB-SSRF-3, stricter). Only the
    /// loopback-server tests turn this off.
    var blockPrivateAddresses = true

    static let userAgent = "Mozilla/5.0 (compatible; AnnaWebFetch-dev/1.0)"

    /// The absolute deadline for an exchange that starts now.
    func deadline() -> UInt64 {
        let seconds = exchangeLimit.isFinite ? max(0, min(exchangeLimit, 86_400)) : 86_400
        return Sys.monotonicNanos() &+ UInt64(seconds * 1e9)
    }

    func open(_ url: CPs, timeout: Double, deadline: UInt64? = nil) throws(PyException) -> HTTPOutcome {
        let deadline = deadline ?? self.deadline()
        let req = URLLibRequest(url)
        guard let type = req.type else {
            throw .valueError("unknown url type: \(PyStr.repr(URLLibRequest.unwrap(url)))")
        }
        let isHTTPS = type == PyStr.cps("https")
        guard isHTTPS || type == PyStr.cps("http") else {
            throw .urlError("unknown url type: \(PyStr.jstr(type))")
        }
        guard let reqHost = req.host, !reqHost.isEmpty else { throw .urlError("no host given") }

        // HTTPConnection(host): host/port split, control characters.
        let (host, port) = try URLLibRequest.hostPort(reqHost, defaultPort: isHTTPS ? 443 : 80)
        if let c = URLLibRequest.firstControl(host) { throw URLLibRequest.controlCharError(host, c) }

        // putrequest / putheader build the request before connecting.
        let path = req.selector.isEmpty ? PyStr.cps("/") : req.selector
        if let c = URLLibRequest.firstControl(path) { throw URLLibRequest.controlCharError(path, c) }
        let line = PyStr.cps("GET ") + path + PyStr.cps(" HTTP/1.1")
        if let e = PyStr.encodeError(line, codec: "ascii", limit: 0x80) { throw e }
        if let e = PyStr.encodeError(reqHost, codec: "latin-1", limit: 0x100) { throw e }
        let hostValue = PyStr.ascii(reqHost)
        if HTTPClient.isIllegalHeaderValue(hostValue) {
            throw .valueError("Invalid header value \(HTTPClient.bytesRepr(hostValue))")
        }
        var request = PyStr.ascii(line) + [0x0D, 0x0A]
        request += Array("Accept-Encoding: identity\r\nHost: ".utf8) + hostValue + [0x0D, 0x0A]
        request += Array("User-Agent: \(HTTPClient.userAgent)\r\nConnection: close\r\n\r\n".utf8)

        var stream = try connect(host: host, port: port, timeout: timeout, deadline: deadline)
        if isHTTPS {
            // HTTPSConnection.connect: wrap_socket(server_hostname=self.host),
            // the host as the socket layer encoded it (it just did, so this
            // cannot fail now).
            do throws(PyException) {
                stream = try stream.startTLS(serverHostname: try PyIDNA.encode(host), deadline: deadline)
            } catch {
                stream.close()
                // do_open wraps OSErrors (every ssl.SSLError, the handshake
                // TimeoutError) in URLError; a ValueError goes through.
                if error.className == "ValueError" { throw error }
                throw .urlError(error.message)
            }
        }
        do throws(PyException) {
            try stream.sendAll(request)
        } catch {
            stream.close()
            throw .urlError(error.message)
        }

        let resp = HTTPResponse(stream: stream, deadline: deadline)
        do throws(PyException) {
            try resp.begin()
        } catch {
            resp.close()
            throw error
        }
        if (200..<300).contains(resp.status) { return .success(resp) }
        resp.close()
        // The redirect handler parses Location before declining to follow.
        if [301, 302, 303, 307, 308].contains(resp.status), let loc = resp.headers.get("location") {
            _ = try PyURLParse.parse(loc)
        }
        return .httpError(code: resp.status, headers: resp.headers)
    }

    /// `socket.create_connection((host, port), timeout)`, wrapped the way
    /// `do_open` wraps OSErrors into URLError.
    func connect(host: CPs, port: Int, timeout: Double, deadline: UInt64?) throws(PyException) -> WebStream {
        let encoded = try PyIDNA.encode(host)
        let addrs: [ResolvedAddress]
        do throws(PyException) {
            addrs = try resolver.getaddrinfo(host: encoded, port: port, socktype: 1 /* SOCK_STREAM */, proto: 0)
        } catch {
            throw .urlError(error.message)
        }
        if addrs.isEmpty { throw .urlError("getaddrinfo returns an empty list") }
        for a in addrs where blockPrivateAddresses && PyIPAddress.isBlockedText(PyStr.cps(a.text)) {
            throw .ssrf("\(PyStr.jstr(host)) resolves to private IP \(a.text)")
        }
        // settimeout() on the first socket rejects a negative timeout.
        if timeout < 0 || timeout.isNaN { throw .valueError("Timeout value out of range") }
        if port == 0 { throw .ssrf("port 0 not allowed") }
        var last = PyException.socketTimeout
        for a in addrs {
            do throws(PyException) {
                return try connector.connect(a, timeout: timeout, deadline: deadline)
            } catch {
                last = error
            }
        }
        throw .urlError(last.message)
    }

    /// http.client's `_is_illegal_header_value`: `\n(?![ \t])|\r(?![ \t\n])`.
    static func isIllegalHeaderValue(_ v: [UInt8]) -> Bool {
        for (i, c) in v.enumerated() {
            let next: UInt8? = i + 1 < v.count ? v[i + 1] : nil
            if c == 0x0A && next != 0x20 && next != 0x09 { return true }
            if c == 0x0D && next != 0x20 && next != 0x09 && next != 0x0A { return true }
        }
        return false
    }

    /// `repr(bytes)`.
    static func bytesRepr(_ b: [UInt8]) -> JStr {
        let quote: UInt8 = b.contains(0x27) && !b.contains(0x22) ? 0x22 : 0x27
        var s = "b" + String(UnicodeScalar(quote))
        for c in b {
            switch c {
            case 0x5C: s += "\\\\"
            case 0x09: s += "\\t"
            case 0x0A: s += "\\n"
            case 0x0D: s += "\\r"
            case quote: s += "\\" + String(UnicodeScalar(c))
            case 0x20..<0x7F: s += String(UnicodeScalar(c))
            default:
                let h = String(c, radix: 16)
                s += "\\x" + (h.count < 2 ? "0" + h : h)
            }
        }
        s += String(UnicodeScalar(quote))
        return JStr(s)
    }
}
