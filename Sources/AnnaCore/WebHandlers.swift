import AnnaJSON

/// web.* (04 §15, 05 §12): forwarded to the host in real-web mode,
/// otherwise the keyless local implementation.
enum WebHandlers {
    static let missingSearchLibrary: JStr =
        "local web.search needs the optional 'ddgs' package (pip install 'ddgs>=9.13,<10')"
    static let missingImageSearchLibrary: JStr =
        "local web.image_search needs the optional 'ddgs' package (pip install 'ddgs>=9.13,<10')"

    static func handle(_ m: HostMethod, _ c: Call) throws(HostError) -> JObject {
        if c.store.options.webForwardReal, c.store.hostCaller != nil {
            return try DelegateHandlers.forward(c, method: "host." + m.qualifiedName, label: m.qualifiedName)
        }
        // The local implementation starts with Python's dict(args): a
        // ValueError is invalid_arg, anything else a crash (errata D-DISP-1).
        let a: JObject
        switch PyDict.from(c.args) {
        case .success(let o): a = o
        case .failure(.value(let msg)): throw .invalidArg(msg)
        case .failure(.type(let msg)): throw .crashed(msg)
        }
        switch m {
        case .webSearch:
            _ = try query(a)
            // WEB-SEARCH-6/7: no metasearch backend is embedded; this is
            // the reference's stable answer when its library is absent.
            throw .notImplemented(missingSearchLibrary)
        case .webImageSearch:
            _ = try query(a)
            if case .bool(false) = a["safe_search"] ?? .null {
                throw .invalidArg("safe_search cannot be disabled (platform policy)")
            }
            throw .notImplemented(missingImageSearchLibrary)
        case .webFetch:
            guard case .array(let urls) = a["urls"] ?? .null, !urls.isEmpty else {
                throw .invalidArg("urls must be a non-empty list")
            }
            if urls.count > 10 { throw .invalidArg("too many urls (max 10)") }
            var args = a
            args.set("max_chars", .int(try clampedInt(a["max_chars"], default: 20_000, max: 100_000)))
            args.set("timeout_ms", .int(try clampedInt(a["timeout_ms"], default: 15_000, max: 30_000)))
            guard let web = c.store.web else { throw .notImplemented("web.fetch not wired in this runtime") }
            return try web.fetch(args: args).get()
        default:
            guard case .string(let url) = a["url"] ?? .null, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw .invalidArg("url must be an http(s) URL")
            }
            var args = a
            args.set("max_bytes", .int(try clampedInt(a["max_bytes"], default: 5_242_880, max: 20_971_520)))
            guard let web = c.store.web else { throw .notImplemented("web.image_fetch not wired in this runtime") }
            return try web.imageFetch(args: args).get()
        }
    }

    /// `str(args.get("query") or "").strip()`, required.
    static func query(_ a: JObject) throws(HostError) -> JStr {
        let raw = a["query"] ?? .null
        let q = raw.isTruthy ? Py.strip(Py.str(raw)) : .empty
        if q.isEmpty { throw .invalidArg("query required") }
        return q
    }

    /// `min(int(v or default), max)` with the local implementation's error mapping.
    static func clampedInt(_ v: JSON?, default d: Int, max m: Int) throws(HostError) -> Int {
        let raw = v ?? .null
        guard raw.isTruthy else { return d }
        switch Py.int(raw) {
        case .success(.int(let i)): return min(i, m)
        case .success(.bigInt(let b)): return b.isNegative ? Int.min : m
        case .success: return d
        case .failure(.value(let msg)): throw .invalidArg(msg)
        case .failure(let e): throw .crashed(e.message)
        }
    }
}
