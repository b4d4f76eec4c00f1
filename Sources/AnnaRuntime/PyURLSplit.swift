import AnnaCore
import AnnaJSON

/// `urllib.parse.urlsplit` of CPython 3.11.7 and the `SplitResult`
/// properties the SSRF guard reads. The reference validates every hop with
/// these exact semantics, and their `ValueError` texts reach the wire
/// (`invalid_arg` in web.image_fetch), so this follows the library rather
/// than RFC 3986.
struct PyURLSplit: Equatable {
    var scheme: CPs
    var netloc: CPs
    var path: CPs
    var query: CPs
    var fragment: CPs

    /// WHATWG "C0 control or space": stripped from the left only.
    static func isC0OrSpace(_ c: UInt32) -> Bool { c <= 0x20 }

    static func isSchemeChar(_ c: UInt32) -> Bool {
        PyStr.isAsciiAlpha(c) || PyStr.isAsciiDigit(c) || c == 0x2B || c == 0x2D || c == 0x2E
    }

    /// `urlsplit(url, scheme)`.
    static func split(_ input: CPs, scheme defaultScheme: CPs = [], allowFragments: Bool = true) throws(PyException) -> PyURLSplit {
        var url = Array(input.drop(while: isC0OrSpace))
        // Tabs and newlines are removed anywhere (bpo-43882).
        url.removeAll { $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
        var scheme = defaultScheme
        while let f = scheme.first, isC0OrSpace(f) { scheme.removeFirst() }
        while let l = scheme.last, isC0OrSpace(l) { scheme.removeLast() }
        scheme.removeAll { $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }

        var netloc: CPs = [], query: CPs = [], fragment: CPs = []
        if let i = PyStr.find(0x3A, in: url), i > 0, PyStr.isAsciiAlpha(url[0]),
           url[0..<i].allSatisfy(isSchemeChar) {
            scheme = PyStr.lower(Array(url[0..<i]))
            url = Array(url[(i + 1)...])
        }
        if url.count >= 2 && url[0] == 0x2F && url[1] == 0x2F {
            (netloc, url) = splitNetloc(url, start: 2)
            let open = PyStr.contains(0x5B, netloc), close = PyStr.contains(0x5D, netloc)
            if open != close { throw .valueError("Invalid IPv6 URL") }
            if open && close {
                let after = PyStr.partition(netloc, 0x5B).2
                try checkBracketedHost(PyStr.partition(after, 0x5D).0)
            }
        }
        if allowFragments, let i = PyStr.find(0x23, in: url) {
            fragment = Array(url[(i + 1)...])
            url = Array(url[0..<i])
        }
        if let i = PyStr.find(0x3F, in: url) {
            query = Array(url[(i + 1)...])
            url = Array(url[0..<i])
        }
        try checkNetloc(netloc)
        return PyURLSplit(scheme: scheme, netloc: netloc, path: url, query: query, fragment: fragment)
    }

    /// `_splitnetloc`: the authority ends at the first `/`, `?` or `#`.
    static func splitNetloc(_ url: CPs, start: Int) -> (CPs, CPs) {
        var delim = url.count
        var i = start
        while i < url.count {
            let c = url[i]
            if c == 0x2F || c == 0x3F || c == 0x23 { delim = i; break }
            i += 1
        }
        let s = min(start, url.count)
        return (Array(url[s..<delim]), Array(url[delim...]))
    }

    /// `_check_bracketed_host`.
    static func checkBracketedHost(_ h: CPs) throws(PyException) {
        if h.first == 0x76 {  // "v": IPvFuture, `\Av[a-fA-F0-9]+\..+\Z`
            var i = 1
            while i < h.count && PyStr.isHexDigit(h[i]) { i += 1 }
            let ok = i > 1 && i < h.count && h[i] == 0x2E && i + 1 < h.count && !h[(i + 1)...].contains(0x0A)
            if !ok { throw .valueError("IPvFuture address is invalid") }
            return
        }
        guard let ip = PyIPAddress.parse(h) else {
            throw .valueError("\(PyStr.repr(h)) does not appear to be an IPv4 or IPv6 address")
        }
        if case .v4 = ip { throw .valueError("An IPv4 address cannot be in brackets") }
    }

    /// `_checknetloc`: a non-ASCII authority must not gain a URL delimiter
    /// under NFKC (U+2100 "℀" becomes "a/c"). Only characters whose own
    /// NFKC form holds one of `/?#@:` can do that, so a table of them
    /// (generated from CPython's unicodedata) replaces the normalisation.
    static func checkNetloc(_ netloc: CPs) throws(PyException) {
        if netloc.isEmpty || PyStr.isAscii(netloc) { return }
        let n = netloc.filter { $0 != 0x40 && $0 != 0x3A && $0 != 0x23 && $0 != 0x3F }
        if n.contains(where: WebTables.nfkcGainsDelimiter) {
            throw .valueError("netloc '\(PyStr.jstr(netloc))' contains invalid characters under NFKC normalization")
        }
    }

    // MARK: SplitResult properties

    /// `_userinfo`: (username, password), each nil when absent.
    var userinfo: (CPs?, CPs?) {
        let (info, have, _) = PyStr.rpartition(netloc, 0x40)
        guard have else { return (nil, nil) }
        let (user, havePw, pw) = PyStr.partition(info, 0x3A)
        return (user, havePw ? pw : nil)
    }

    var username: CPs? { userinfo.0 }
    var password: CPs? { userinfo.1 }

    /// `_hostinfo`: (hostname, port text), port nil when empty.
    var hostinfo: (CPs, CPs?) {
        let hostinfo = PyStr.rpartition(netloc, 0x40).2
        let (_, haveOpen, bracketed) = PyStr.partition(hostinfo, 0x5B)
        var host: CPs, port: CPs
        if haveOpen {
            let (h, _, rest) = PyStr.partition(bracketed, 0x5D)
            host = h
            port = PyStr.partition(rest, 0x3A).2
        } else {
            let (h, _, p) = PyStr.partition(hostinfo, 0x3A)
            host = h
            port = p
        }
        return (host, port.isEmpty ? nil : port)
    }

    /// `.hostname`: lower-cased except an IPv6 zone after `%`; nil if empty.
    var hostname: CPs? {
        let h = hostinfo.0
        if h.isEmpty { return nil }
        let (addr, pct, zone) = PyStr.partition(h, 0x25)
        return PyStr.lower(addr) + (pct ? [0x25] + zone : [])
    }

    /// `.port`, with its two ValueError texts.
    func port() throws(PyException) -> Int? {
        guard let p = hostinfo.1 else { return nil }
        guard p.allSatisfy(PyStr.isAsciiDigit) else {
            throw .valueError("Port could not be cast to integer value as \(PyStr.repr(p))")
        }
        let digits = p.drop(while: { $0 == 0x30 })
        if digits.count > 5 { throw .valueError("Port out of range 0-65535") }
        var v = 0
        for d in digits { v = v * 10 + Int(d - 0x30) }
        if v > 65535 { throw .valueError("Port out of range 0-65535") }
        return v
    }
}
