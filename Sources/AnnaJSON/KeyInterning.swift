/// Strings that occur in nearly every request (envelope keys, bridge
/// method names, common argument names). The parser returns these shared
/// instances instead of decoding a new `String` each time: on the
/// microsecond request path, string construction is a visible cost.
/// The table is flat and never freed, so a lookup copies nothing (no
/// reference counting).
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

    struct Table {
        let bytes: UnsafeMutablePointer<UInt8>
        /// For each length 0..<24: the range of entries with that length.
        let ranges: UnsafeMutablePointer<(Int, Int)>
        let offsets: UnsafeMutablePointer<Int>
        let values: UnsafeMutablePointer<JStr>
    }

    nonisolated(unsafe) static let table: Table = {
        let sorted = words.sorted { $0.utf8.count < $1.utf8.count }
        let total = sorted.reduce(0) { $0 + $1.utf8.count }
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: max(total, 1))
        let offsets = UnsafeMutablePointer<Int>.allocate(capacity: sorted.count)
        let values = UnsafeMutablePointer<JStr>.allocate(capacity: sorted.count)
        let ranges = UnsafeMutablePointer<(Int, Int)>.allocate(capacity: 24)
        ranges.initialize(repeating: (0, 0), count: 24)
        var off = 0
        for (i, w) in sorted.enumerated() {
            let n = w.utf8.count
            if ranges[n].1 == 0 { ranges[n] = (i, i) }
            ranges[n].1 = i + 1
            offsets[i] = off
            for b in w.utf8 { bytes[off] = b; off += 1 }
            (values + i).initialize(to: JStr(w))
        }
        return Table(bytes: bytes, ranges: ranges, offsets: offsets, values: values)
    }()

    @inline(__always)
    static func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> JStr? {
        guard n > 0 && n < 24 else { return nil }
        let t = table
        let (lo, hi) = t.ranges[n]
        var i = lo
        while i < hi {
            if bytesEqual(t.bytes + t.offsets[i], p, n) { return t.values[i] }
            i += 1
        }
        return nil
    }
}
