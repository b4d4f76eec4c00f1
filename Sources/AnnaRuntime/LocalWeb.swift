import AnnaCore
import AnnaJSON

/// The keyless local web.fetch / web.image_fetch (05 §12.3-12.5), reached
/// after the dispatcher's argument checks (WebHandlers): `max_chars`,
/// `timeout_ms` and `max_bytes` arrive clamped. HTTPS goes through the
/// system libssl, loaded at run time (TLSLibrary); without it an https
/// URL fails after connecting (see HTTPClient).
public final class LocalWeb: WebBackend, Sendable {
    let fetcher: WebFetcher
    let imageFetcher: WebImageFetcher

    public convenience init() {
        self.init(resolver: SystemResolver(), connector: TCPConnector())
    }

    /// Tests inject a resolver and a scripted peer.
    init(resolver: Resolver, connector: Connector, exchangeLimit: Double = 120) {
        let guardian = SSRFGuard(resolver: resolver)
        let client = HTTPClient(resolver: resolver, connector: connector, exchangeLimit: exchangeLimit)
        fetcher = WebFetcher(guardian: guardian, client: client)
        imageFetcher = WebImageFetcher(guardian: guardian, client: client)
    }

    static func meta() -> JSON {
        .object(JObject(uniqueEntries: [("provider", "native"), ("dev", .bool(true))]))
    }

    public func fetch(args: JObject) -> HandlerResult {
        let urls = args["urls"]?.array ?? []
        let maxChars = LocalWeb.intArg(args["max_chars"], 20_000)
        let timeoutMs = LocalWeb.intArg(args["timeout_ms"], 15_000)
        let fetcher = self.fetcher
        // WEB-FETCH-2: every URL on its own thread, pages in input order.
        let slots = urls.map { _ in OneShot<JObject>() }
        for (i, u) in urls.enumerated().dropFirst() {
            let slot = slots[i]
            let work: @Sendable () -> Void = { slot.fulfill(fetcher.page(u, maxChars: maxChars, timeoutMs: timeoutMs)) }
            if !Sys.startThread(stackSize: 1 << 20, work) { work() }
        }
        if let first = urls.first, let slot = slots.first {
            slot.fulfill(fetcher.page(first, maxChars: maxChars, timeoutMs: timeoutMs))
        }
        let pages: [JSON] = slots.map { .object($0.wait(timeoutNanos: nil) ?? JObject()) }
        return .success(JObject(uniqueEntries: [("pages", .array(pages)), ("quota_consumed", .int(0)), ("_meta", LocalWeb.meta())]))
    }

    public func imageFetch(args: JObject) -> HandlerResult {
        // WebHandlers only calls this with an http(s) string URL.
        guard case .string(let url) = args["url"] ?? .null else { return .failure(.invalidArg("url must be an http(s) URL")) }
        return imageFetcher.fetch(url: url, maxBytes: LocalWeb.intArg(args["max_bytes"], 5_242_880))
    }

    static func intArg(_ v: JSON?, _ d: Int) -> Int {
        if case .int(let i) = v ?? .null { return i }
        return d
    }
}
