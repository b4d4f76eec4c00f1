import AnnaCore
import AnnaJSON

/// `urlparse`, `urlunparse` and `urljoin` of CPython 3.11.7: a redirect's
/// `Location` is resolved with `urljoin(current, location)` (WEB-FETCH-3)
/// and urllib's redirect handler parses it with `urlparse` first, whose
/// `ValueError` is what the reference reports for a malformed one.
struct PyURLParse: Equatable {
    var scheme: CPs
    var netloc: CPs
    var path: CPs
    var params: CPs
    var query: CPs
    var fragment: CPs

    static let usesRelative: Set<String> = ["", "ftp", "http", "gopher", "nntp", "imap", "wais", "file", "https",
                                             "shttp", "mms", "prospero", "rtsp", "rtsps", "rtspu", "sftp", "svn",
                                             "svn+ssh", "ws", "wss"]
    static let usesNetloc: Set<String> = ["", "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file", "mms",
                                           "https", "shttp", "snews", "prospero", "rtsp", "rtsps", "rtspu", "rsync",
                                           "svn", "svn+ssh", "sftp", "nfs", "git", "git+ssh", "ws", "wss"]
    static let usesParams: Set<String> = ["", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp",
                                           "rtsps", "rtspu", "sip", "sips", "mms", "sftp", "tel"]

    /// The scheme list lookups compare whole strings; a scheme is ASCII
    /// after urlsplit unless it is the caller's default.
    static func key(_ s: CPs) -> String { PyStr.string(s) }

    /// `urlparse(url, scheme)`.
    static func parse(_ url: CPs, scheme: CPs = []) throws(PyException) -> PyURLParse {
        let s = try PyURLSplit.split(url, scheme: scheme)
        var path = s.path, params: CPs = []
        if usesParams.contains(key(s.scheme)) && PyStr.contains(0x3B, path) {
            (path, params) = splitParams(path)
        }
        return PyURLParse(scheme: s.scheme, netloc: s.netloc, path: path, params: params, query: s.query, fragment: s.fragment)
    }

    /// `_splitparams`: `;params` of the last path segment.
    static func splitParams(_ url: CPs) -> (CPs, CPs) {
        let i: Int
        if let slash = PyStr.rfind(0x2F, in: url) {
            guard let semi = PyStr.find(0x3B, in: url, from: slash) else { return (url, []) }
            i = semi
        } else {
            guard let semi = PyStr.find(0x3B, in: url) else { return (url, []) }
            i = semi
        }
        return (Array(url[0..<i]), Array(url[(i + 1)...]))
    }

    /// `urlunparse`.
    func unparse() -> CPs {
        var url = path
        if !params.isEmpty { url = url + [0x3B] + params }
        return PyURLParse.unsplit(scheme: scheme, netloc: netloc, path: url, query: query, fragment: fragment)
    }

    /// `urlunsplit`.
    static func unsplit(scheme: CPs, netloc: CPs, path: CPs, query: CPs, fragment: CPs) -> CPs {
        var url = path
        let slashSlash = url.count >= 2 && url[0] == 0x2F && url[1] == 0x2F
        if !netloc.isEmpty || (!scheme.isEmpty && usesNetloc.contains(key(scheme)) && !slashSlash) {
            if !url.isEmpty && url[0] != 0x2F { url = [0x2F] + url }
            url = [0x2F, 0x2F] + netloc + url
        }
        if !scheme.isEmpty { url = scheme + [0x3A] + url }
        if !query.isEmpty { url = url + [0x3F] + query }
        if !fragment.isEmpty { url = url + [0x23] + fragment }
        return url
    }

    /// `urljoin(base, url)`.
    static func join(_ base: CPs, _ url: CPs) throws(PyException) -> CPs {
        if base.isEmpty { return url }
        if url.isEmpty { return base }
        let b = try parse(base)
        var r = try parse(url, scheme: b.scheme)
        if r.scheme != b.scheme || !usesRelative.contains(key(r.scheme)) { return url }
        if usesNetloc.contains(key(r.scheme)) {
            if !r.netloc.isEmpty { return r.unparse() }
            r.netloc = b.netloc
        }
        if r.path.isEmpty && r.params.isEmpty {
            r.path = b.path
            r.params = b.params
            if r.query.isEmpty { r.query = b.query }
            return r.unparse()
        }
        var baseParts = PyStr.split(b.path, 0x2F)
        if baseParts.last != [] { baseParts.removeLast() }
        var segments: [CPs]
        if r.path.first == 0x2F {
            segments = PyStr.split(r.path, 0x2F)
        } else {
            segments = baseParts + PyStr.split(r.path, 0x2F)
            // Empty inner segments are dropped (no doubled slashes).
            if segments.count > 2 {
                let inner = segments[1..<(segments.count - 1)].filter { !$0.isEmpty }
                segments = [segments[0]] + inner + [segments[segments.count - 1]]
            }
        }
        var resolved: [CPs] = []
        let dot: CPs = [0x2E], dotdot: CPs = [0x2E, 0x2E]
        for seg in segments {
            if seg == dotdot {
                if !resolved.isEmpty { resolved.removeLast() }
            } else if seg == dot {
                continue
            } else {
                resolved.append(seg)
            }
        }
        if let last = segments.last, last == dot || last == dotdot { resolved.append([]) }
        var joined: CPs = []
        for (i, seg) in resolved.enumerated() {
            if i > 0 { joined.append(0x2F) }
            joined.append(contentsOf: seg)
        }
        r.path = joined.isEmpty ? [0x2F] : joined
        return r.unparse()
    }
}
