import AnnaJSON

/// A window's `runtime_state`: an insertion-ordered map that keeps the
/// size of its own PY-DEFAULT encoding up to date, so the 256 KiB guard
/// (D-STORAGE-5, ST-RS-2) costs O(size of the change) instead of
/// re-serialising the whole state on every write as the reference does
/// (ST-PERF-1). Deleted slots are tombstoned and compacted in bulk, so
/// set/delete are O(1) amortised at any number of keys.
public struct StateMap: Sendable {
    public static let maxBytes = 262_144

    struct Entry: Sendable {
        var key: JStr
        var value: JSON
        var keySize: Int       // encoded key, with quotes
        var valueSize: Int     // encoded value (also `size_bytes`)
        /// The `storage.list` item for this entry, encoded once per value.
        var listItem: JObject?
        var live: Bool
    }

    var entries: [Entry] = []
    var index: [JStr: Int] = [:]
    public private(set) var count = 0
    /// Σ (keySize + 2 + valueSize) over live entries.
    var contentSize = 0
    /// Sorted live keys, rebuilt lazily after a key is added or removed.
    var sortedKeysCache: [JStr]? = nil

    public init() {}

    public init(_ obj: JObject) {
        entries.reserveCapacity(obj.count)
        for e in obj.entries { _ = apply(e.key, e.value) }
    }

    /// Size of `json.dumps(state)` in bytes (ST-RS-2).
    public var encodedSize: Int { StateMap.total(contentSize, count) }

    static func total(_ content: Int, _ n: Int) -> Int { n == 0 ? 2 : 2 + content + 2 * (n - 1) }

    public var isEmpty: Bool { count == 0 }

    public subscript(key: JStr) -> JSON? {
        guard let i = index[key] else { return nil }
        return entries[i].value
    }

    /// The state's size if `key` were set to a value of encoded size `valueSize`.
    public func sizeAfterSet(_ key: JStr, valueSize: Int) -> Int {
        if let i = index[key] {
            return StateMap.total(contentSize - entries[i].valueSize + valueSize, count)
        }
        return StateMap.total(contentSize + JSONSize.asciiString(key) + 2 + valueSize, count + 1)
    }

    public func sizeAfterDelete(_ key: JStr) -> Int {
        guard let i = index[key] else { return encodedSize }
        let e = entries[i]
        return StateMap.total(contentSize - e.keySize - 2 - e.valueSize, count - 1)
    }

    /// `state[key] = value` (existing keys keep their slot: ST-RS-6).
    @discardableResult
    mutating func apply(_ key: JStr, _ value: JSON, valueSize: Int? = nil) -> Int {
        let vs = valueSize ?? JSONSize.pyDefault(value)
        if let i = index[key] {
            contentSize += vs - entries[i].valueSize
            entries[i].value = value
            entries[i].valueSize = vs
            entries[i].listItem = nil
        } else {
            let ks = JSONSize.asciiString(key)
            entries.append(Entry(key: key, value: value, keySize: ks, valueSize: vs, listItem: nil, live: true))
            index[key] = entries.count - 1
            count += 1
            contentSize += ks + 2 + vs
            sortedKeysCache = nil
        }
        return vs
    }

    public mutating func set(_ key: JStr, _ value: JSON, valueSize: Int) {
        apply(key, value, valueSize: valueSize)
    }

    public mutating func remove(_ key: JStr) {
        guard let i = index.removeValue(forKey: key) else { return }
        contentSize -= entries[i].keySize + 2 + entries[i].valueSize
        entries[i].live = false
        entries[i].value = .null
        count -= 1
        sortedKeysCache = nil
        let dead = entries.count - count
        if dead > 32 && dead > count { compact() }
    }

    mutating func compact() {
        entries.removeAll(where: { !$0.live })
        index.removeAll(keepingCapacity: true)
        for (i, e) in entries.enumerated() { index[e.key] = i }
    }

    /// Live entries in insertion order.
    public func forEach(_ body: (JStr, JSON) -> Void) {
        for e in entries where e.live { body(e.key, e.value) }
    }

    public var object: JObject {
        var o = [JObject.Entry]()
        o.reserveCapacity(count)
        for e in entries where e.live { o.append((e.key, e.value)) }
        return JObject(uniqueEntries: o)
    }

    /// Keys in code-point order (D-STORAGE-10).
    public mutating func sortedKeys() -> [JStr] {
        if let c = sortedKeysCache { return c }
        var keys = [JStr]()
        keys.reserveCapacity(count)
        for e in entries where e.live { keys.append(e.key) }
        keys.sort()
        sortedKeysCache = keys
        return keys
    }

    /// The D-STORAGE-10 item of a key: `{key, etag, size_bytes, metadata,
    /// tags, updated_at}`, built (etag hashed, bytes encoded) once per value.
    public mutating func listItem(_ key: JStr) -> JObject? {
        guard let i = index[key] else { return nil }
        if let item = entries[i].listItem { return item }
        let e = entries[i]
        let item = JObject(uniqueEntries: [
            ("key", .string(e.key)), ("etag", .str(StateMap.etagString(StateMap.etagHash(e.value)))),
            ("size_bytes", .int(e.valueSize)), ("metadata", .null), ("tags", .null), ("updated_at", .null),
        ], cacheEncoding: true)
        entries[i].listItem = item
        return item
    }

    /// BLAKE2b-8 over the PY-SORTED encoding (J-ETAG-1), as a big-endian integer.
    public static func etagHash(_ value: JSON) -> UInt64 {
        var buf = ByteBuffer(capacity: 64)
        JSONWriter.write(value, style: .pySorted, into: &buf)
        let digest = buf.withBytes { Blake2b.hash($0, outlen: 8) }
        var v: UInt64 = 0
        for b in digest { v = v << 8 | UInt64(b) }
        return v
    }

    public static func etagString(_ hash: UInt64) -> String {
        let hex = String(hash, radix: 16)
        return "W/\"1-" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }
}
