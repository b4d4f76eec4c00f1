/// Strings that occur in nearly every request (envelope keys, bridge
/// method names, common argument names). The parser returns these shared
/// instances instead of decoding a new `String` each time: on the
/// microsecond request path, string construction is a visible cost.
enum KeyInterning {
    static let words: [String] = [
        "jsonrpc", "2.0", "id", "method", "params", "session_id", "ns", "args", "session.call",
        "result", "error", "code", "message", "data", "key", "value", "scope", "owner", "prefix",
        "cursor", "limit", "storage", "get", "set", "list", "delete", "window", "hello", "ready",
        "set_title", "title", "tools", "invoke", "tool_id", "timeoutMs", "llm", "complete", "messages",
        "role", "content", "type", "text", "user", "assistant", "maxTokens", "ping", "session.create",
        "session.drain_events", "session.close", "session.refresh_token", "manifest", "user_id",
        "success", "context", "invoke_id", "arguments", "tool", "w", "h", "resize",
    ]

    /// Candidates grouped by UTF-8 length.
    static let byLength: [[(bytes: [UInt8], value: JStr)]] = {
        var t = [[(bytes: [UInt8], value: JStr)]](repeating: [], count: 24)
        for w in words { t[w.utf8.count].append((Array(w.utf8), JStr(w))) }
        return t
    }()

    @inline(__always)
    static func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> JStr? {
        guard n > 0 && n < 24 else { return nil }
        for c in byLength[n] where c.bytes.withUnsafeBufferPointer({ memcmpBytes($0.baseAddress!, p, n) == 0 }) {
            return c.value
        }
        return nil
    }
}
