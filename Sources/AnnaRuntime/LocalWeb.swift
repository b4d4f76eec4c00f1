import AnnaCore
import AnnaJSON

/// The keyless local web.fetch / web.image_fetch (05 §12.3-12.5).
/// Placeholder: the SSRF-guarded implementation replaces this file.
public final class LocalWeb: WebBackend, Sendable {
    public init() {}
    public func fetch(args: JObject) -> HandlerResult { .failure(.notImplemented("web.fetch not wired in this runtime")) }
    public func imageFetch(args: JObject) -> HandlerResult { .failure(.notImplemented("web.image_fetch not wired in this runtime")) }
}
