/// Exact byte length of `JSONWriter`'s output without producing it. The
/// runtime_state size guard (256 KiB of `json.dumps(state)`, D-STORAGE-5)
/// and `size_bytes` (D-STORAGE-12) are needed on every `storage.set`; measuring
/// instead of writing keeps that allocation-free.
public enum JSONSize {
    /// Length of the PY-DEFAULT (`asciiOnly`, `", "`/`": "`) encoding.
    public static func pyDefault(_ v: JSON) -> Int {
        switch v {
        case .null: return 4
        case .bool(let b): return b ? 4 : 5
        case .int(let i): return decimalCount(i)
        case .bigInt(let b): return b.text.utf8.count
        case .double(let d): return PyFloat.json(d).utf8.count
        case .string(let s): return asciiString(s)
        case .array(let a):
            if a.isEmpty { return 2 }
            var n = 2 + 2 * (a.count - 1)
            for x in a { n += pyDefault(x) }
            return n
        case .object(let o):
            if o.isEmpty { return 2 }
            var n = 2 + 2 * (o.count - 1)
            for e in o.entries { n += asciiString(e.key) + 2 + pyDefault(e.value) }
            return n
        }
    }

    @inline(__always)
    static func decimalCount(_ i: Int) -> Int {
        if i >= 0 && i < 10 { return 1 }
        var n = i < 0 ? 1 : 0
        var m = i.magnitude
        while m > 0 { n += 1; m /= 10 }
        return n
    }

    /// Length of a string literal with ASCII escaping (J-ENC-1).
    public static func asciiString(_ s: JStr) -> Int {
        s.withBytes { buf in
            var n = 2
            var i = 0
            let count = buf.count
            while i < count {
                let c = buf[i]
                if c < 0x80 {
                    switch c {
                    case 0x22, 0x5C, 0x0A, 0x0D, 0x09, 0x08, 0x0C: n += 2
                    case 0..<0x20, 0x7F: n += 6
                    default: n += 1
                    }
                    i += 1
                } else if c < 0xE0 {
                    n += 6; i += 2
                } else if c < 0xF0 {
                    n += 6; i += 3
                } else {
                    n += 12; i += 4
                }
            }
            return n
        }
    }
}
