import AnnaCore
import AnnaJSON

/// How `urllib.request.Request(url)` and `http.client.HTTPConnection` take
/// a URL apart. This is not `urlsplit`: the reference validates with
/// `urlsplit` but connects with these older helpers, so a URL that passes
/// the guard can still fail here (a tab inside the scheme, a control
/// character in the path, an empty `:@` userinfo...), each with its own
/// exception class on the wire.
struct URLLibRequest {
    /// `req.type` (lower-cased), nil when `_splittype` finds none.
    var type: CPs?
    /// `req.host`: percent-decoded `host[:port]`, userinfo included.
    var host: CPs?
    /// `req.selector`: the path and query sent in the request line.
    var selector: CPs

    init(_ url: CPs) {
        var full = URLLibRequest.unwrap(url)
        let (beforeTag, hasTag, _) = PyStr.rpartition(full, 0x23)  // _splittag
        if hasTag { full = beforeTag }
        // _splittype: `([^/:]+):(.*)` anchored at the start.
        var rest = full
        type = nil
        if let colon = PyStr.find(0x3A, in: full), colon > 0, !full[0..<colon].contains(0x2F) {
            type = PyStr.lower(Array(full[0..<colon]))
            rest = Array(full[(colon + 1)...])
        }
        // _splithost: `//([^/#?]*)(.*)`.
        if rest.count >= 2 && rest[0] == 0x2F && rest[1] == 0x2F {
            var end = 2
            while end < rest.count && rest[end] != 0x2F && rest[end] != 0x23 && rest[end] != 0x3F { end += 1 }
            let h = Array(rest[2..<end])
            var path = Array(rest[end...])
            if let f = path.first, f != 0x2F { path = [0x2F] + path }
            host = h.isEmpty ? h : URLLibRequest.unquote(h)
            selector = path
        } else {
            host = nil
            selector = rest
        }
    }

    /// `urllib.parse.unwrap`: strip, drop `<…>`, drop a `URL:` prefix.
    static func unwrap(_ url: CPs) -> CPs {
        var u = PyStr.strip(url)
        if u.first == 0x3C && u.last == 0x3E && u.count >= 2 { u = PyStr.strip(Array(u[1..<(u.count - 1)])) }
        if PyStr.hasPrefix(u, PyStr.cps("URL:")) { u = PyStr.strip(Array(u.dropFirst(4))) }
        return u
    }

    /// `urllib.parse.unquote`: each run of ASCII is percent-decoded and
    /// read as UTF-8 with replacement; other characters pass through.
    static func unquote(_ s: CPs) -> CPs {
        if !s.contains(0x25) { return s }
        var out: CPs = []
        var i = 0
        while i < s.count {
            if s[i] >= 0x80 { out.append(s[i]); i += 1; continue }
            var bytes: [UInt8] = []
            while i < s.count && s[i] < 0x80 {
                if s[i] == 0x25, i + 2 < s.count, let hi = hexValue(s[i + 1]), let lo = hexValue(s[i + 2]) {
                    bytes.append(UInt8(hi << 4 | lo))
                    i += 3
                } else {
                    bytes.append(UInt8(s[i]))
                    i += 1
                }
            }
            out.append(contentsOf: PyStr.cps(PyStr.utf8Replace(bytes)))
        }
        return out
    }

    private static func hexValue(_ c: UInt32) -> UInt32? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// `HTTPConnection._get_hostport(host, None)`.
    static func hostPort(_ hostIn: CPs, defaultPort: Int) throws(PyException) -> (CPs, Int) {
        var host = hostIn
        var port = defaultPort
        let i = PyStr.rfind(0x3A, in: host) ?? -1
        let j = PyStr.rfind(0x5D, in: host) ?? -1
        if i > j {
            let text = Array(host[(i + 1)...])
            switch Py.int(.string(PyStr.jstr(text))) {
            case .success(.int(let v)): port = v
            case .success:
                // A port past 64 bits: CPython fails converting it for the
                // resolver.
                throw PyException("OverflowError", "Python int too large to convert to C long")
            case .failure:
                if !text.isEmpty { throw .invalidURL("nonnumeric port: '\(PyStr.jstr(text))'") }
            }
            host = Array(host[0..<i])
        }
        if host.first == 0x5B && host.last == 0x5D && host.count >= 2 { host = Array(host[1..<(host.count - 1)]) }
        return (host, port)
    }

    /// http.client's `_contains_disallowed_url_pchar_re` (`[\x00-\x20\x7f]`).
    static func firstControl(_ s: CPs) -> UInt32? { s.first { $0 <= 0x20 || $0 == 0x7F } }

    static func controlCharError(_ s: CPs, _ c: UInt32) -> PyException {
        .invalidURL("URL can't contain control characters. \(PyStr.repr(s)) (found at least \(PyStr.repr([c])))")
    }
}
