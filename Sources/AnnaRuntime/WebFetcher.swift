import AnnaCore
import AnnaJSON

/// One URL of web.fetch (WEB-FETCH-3..7): the hop loop with per-hop SSRF
/// validation, then the page object in the reference's key order. Never
/// fails: every problem becomes a page with `ok: false`.
struct WebFetcher: Sendable {
    var guardian: SSRFGuard
    var client: HTTPClient

    static let maxRedirects = 5
    static let maxResponseBytes = 5 * 1024 * 1024
    static let redirectCodes: Set<Int> = [301, 302, 303, 307, 308]
    static let textTypes: [CPs] = [PyStr.cps("text/html"), PyStr.cps("text/plain"), PyStr.cps("application/xhtml+xml")]

    func page(_ url: JSON, maxChars: Int, timeoutMs: Int) -> JObject {
        func fail(_ error: JStr) -> JObject {
            JObject(uniqueEntries: [("url", url), ("ok", .bool(false)), ("error", .string(error))])
        }
        let start: CPs
        switch url {
        case .string(let s):
            start = PyStr.cps(s)
        case .array, .object:
            // urlsplit is lru_cached: hashing the argument fails first.
            return fail("TRANSPORT_ERROR:TypeError")
        default:
            // urlsplit coerces a falsy non-str to '' (scheme '' → blocked)
            // and calls .decode() on anything else.
            return url.isTruthy ? fail("TRANSPORT_ERROR:AttributeError") : fail("SSRF_BLOCKED")
        }
        do throws(PyException) {
            return try hops(url, start, maxChars: maxChars, timeout: Double(timeoutMs) / 1000)
        } catch {
            if error.isSSRF { return fail("SSRF_BLOCKED") }
            if error.isTimeout { return fail("TIMEOUT") }
            return fail(JStr("TRANSPORT_ERROR:\(error.className)").prefix(codePoints: 120))
        }
    }

    private func hops(_ url: JSON, _ start: CPs, maxChars: Int, timeout: Double) throws(PyException) -> JObject {
        var current = start
        let deadline = client.deadline()
        func result(_ entries: [(JStr, JSON)]) -> JObject {
            JObject(uniqueEntries: [("url", url), ("ok", .bool(false)), ("final_url", .string(PyStr.jstr(current)))] + entries)
        }
        for _ in 0...WebFetcher.maxRedirects {
            try guardian.validate(current)
            switch try client.open(current, timeout: timeout, deadline: deadline) {
            case .httpError(let code, let headers):
                if WebFetcher.redirectCodes.contains(code) {
                    guard let loc = headers.get("Location"), !loc.isEmpty else {
                        return JObject(uniqueEntries: [("url", url), ("ok", .bool(false)), ("error", .string("HTTP_\(code)"))])
                    }
                    current = try PyURLParse.join(current, loc)
                    continue
                }
                return result([("error", .string("HTTP_\(code)"))])
            case .success(let resp):
                defer { resp.close() }
                let ctype = PyStr.lower(PyStr.partition(resp.headers.get("Content-Type") ?? [], 0x3B).0)
                if !ctype.isEmpty && !WebFetcher.textTypes.contains(ctype) {
                    let msg = JStr("UNSUPPORTED_CONTENT_TYPE:") + PyStr.jstr(ctype)
                    return result([("error", .string(msg.prefix(codePoints: 120)))])
                }
                let body = try resp.read(WebFetcher.maxResponseBytes + 1)
                if body.count > WebFetcher.maxResponseBytes { return result([("error", "TOO_LARGE")]) }
                let text = PyStr.cps(PyStr.utf8Replace(body))
                var content: CPs?, title: CPs?
                if ctype == PyStr.cps("text/plain") {
                    content = text
                } else {
                    (content, title) = HTMLText.extract(text)
                }
                let titleJSON: JSON = title.map { .string(PyStr.jstr($0)) } ?? .null
                guard let c = content, !c.isEmpty else {
                    return result([("title", titleJSON), ("error", "PARSE_FAILED")])
                }
                // content[:max_chars] with Python's negative-index slicing.
                let keep = maxChars >= 0 ? min(maxChars, c.count) : max(0, c.count + max(maxChars, -c.count))
                return JObject(uniqueEntries: [
                    ("url", url), ("ok", .bool(true)), ("final_url", .string(PyStr.jstr(current))), ("title", titleJSON),
                    ("content", .string(PyStr.jstr(Array(c[0..<keep])))), ("truncated", .bool(c.count > maxChars)),
                    ("error", .null),
                ])
            }
        }
        return JObject(uniqueEntries: [("url", url), ("ok", .bool(false)), ("error", "TOO_MANY_REDIRECTS")])
    }
}
