/// The four Python `json.dumps` configurations that reach the wire
/// (11-json-compat.md §2).
public struct JSONStyle: Sendable {
    /// Escape every non-ASCII code point as `\uXXXX` (`ensure_ascii=True`).
    public var asciiOnly: Bool
    /// `","`/`":"` instead of `", "`/`": "`.
    public var compact: Bool
    /// Sort object keys by code point at every depth.
    public var sortKeys: Bool

    public init(asciiOnly: Bool, compact: Bool, sortKeys: Bool) {
        self.asciiOnly = asciiOnly
        self.compact = compact
        self.sortKeys = sortKeys
    }

    @inlinable
    public var isPyDefault: Bool { asciiOnly && !compact && !sortKeys }

    /// Bridge stdout, size guards, plugin-bound requests.
    public static let pyDefault = JSONStyle(asciiOnly: true, compact: false, sortKeys: false)
    /// Storage etags.
    public static let pySorted = JSONStyle(asciiOnly: true, compact: false, sortKeys: true)
    /// Dev token payloads.
    public static let pyCompactSorted = JSONStyle(asciiOnly: true, compact: true, sortKeys: true)
    /// Outbound host requests, reverse-RPC responses, job result sizes.
    public static let pyUnescaped = JSONStyle(asciiOnly: false, compact: false, sortKeys: false)
}

public enum JSONWriter {
    @usableFromInline static let hex: StaticString = "0123456789abcdef"

    public static func encode(_ value: JSON, style: JSONStyle = .pyDefault) -> [UInt8] {
        var out = ByteBuffer()
        write(value, style: style, into: &out)
        return out.bytes
    }

    public static func encodeString(_ value: JSON, style: JSONStyle = .pyDefault) -> String {
        var out = ByteBuffer()
        write(value, style: style, into: &out)
        return out.string
    }

    /// Byte length of the encoding (equal to its character count when
    /// `asciiOnly`).
    public static func encodedCount(_ value: JSON, style: JSONStyle = .pyDefault) -> Int {
        var out = ByteBuffer()
        write(value, style: style, into: &out)
        return out.count
    }

    public static func write(_ value: JSON, style: JSONStyle, into out: inout ByteBuffer) {
        switch value {
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .int(let i): out.appendDecimal(i)
        case .bigInt(let b): out.append(b.text)
        case .double(let d): out.append(PyFloat.json(d))
        case .string(let s): writeString(s, asciiOnly: style.asciiOnly, into: &out)
        case .array(let a):
            if a.isEmpty { out.append("[]"); return }
            out.append(UInt8(ascii: "["))
            var first = true
            for v in a {
                if !first { out.append(style.compact ? "," : ", ") }
                first = false
                write(v, style: style, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            writeObject(o, style: style, into: &out)
        }
    }

    public static func writeObject(_ o: JObject, style: JSONStyle, into out: inout ByteBuffer) {
        if o.isEmpty { out.append("{}"); return }
        if let cached = o.cachedPyDefault, style.isPyDefault { out.append(cached); return }
        out.append(UInt8(ascii: "{"))
        var first = true
        func entry(_ k: JStr, _ v: JSON, _ out: inout ByteBuffer) {
            if !first { out.append(style.compact ? "," : ", ") }
            first = false
            writeString(k, asciiOnly: style.asciiOnly, into: &out)
            out.append(style.compact ? ":" : ": ")
            write(v, style: style, into: &out)
        }
        if style.sortKeys {
            for e in o.entries.sorted(by: { $0.key < $1.key }) { entry(e.key, e.value, &out) }
        } else {
            for e in o.entries { entry(e.key, e.value, &out) }
        }
        out.append(UInt8(ascii: "}"))
    }

    @inline(__always)
    static func loadWord(_ buf: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt64 {
        UnsafeRawPointer(buf.baseAddress!).loadUnaligned(fromByteOffset: i, as: UInt64.self)
    }

    /// True if any byte of `w` is < 0x20, `"`, `\`, 0x7F or >= 0x80 (SWAR).
    @inline(__always)
    static func needsEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101010101010101, highs: UInt64 = 0x8080808080808080
        @inline(__always) func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        let below20 = (w &- ones &* 0x20) & ~w & highs
        return below20 != 0 || w & highs != 0 || hasZero(w ^ (ones &* 0x22)) || hasZero(w ^ (ones &* 0x5C))
            || hasZero(w ^ (ones &* 0x7F))
    }

    @inline(__always)
    static func appendU(_ v: UInt32, into out: inout ByteBuffer) {
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "u"))
        let h = hex.utf8Start
        out.append(h[Int((v >> 12) & 0xF)])
        out.append(h[Int((v >> 8) & 0xF)])
        out.append(h[Int((v >> 4) & 0xF)])
        out.append(h[Int(v & 0xF)])
    }

    /// J-ENC-1. With `asciiOnly == false` non-ASCII is written raw, except
    /// lone surrogates, which cannot be UTF-8 and are escaped (the
    /// reference fails there: errata U-1/U-2, a documented divergence).
    public static func writeString(_ s: JStr, asciiOnly: Bool, into out: inout ByteBuffer) {
        out.append(UInt8(ascii: "\""))
        s.withBytes { buf in
            let n = buf.count
            var i = 0
            var runStart = 0
            while i < n {
                // Skip 8 plain bytes at a time (no control, quote, backslash,
                // DEL or non-ASCII byte): the usual case for keys and values.
                if i + 8 <= n && asciiOnly && !needsEscape(loadWord(buf, i)) {
                    i += 8
                    continue
                }
                let c = buf[i]
                if c >= 0x20 && c != 0x22 && c != 0x5C && c < 0x7F {
                    i += 1
                    continue
                }
                if c >= 0x80 && !asciiOnly {
                    // Raw UTF-8 unless it is a surrogate (ED A0..BF xx).
                    if c == 0xED && i + 1 < n && buf[i + 1] >= 0xA0 {
                        out.append(UnsafeBufferPointer(rebasing: buf[runStart..<i]))
                        let (cp, len) = decodeWTF8(buf, i)
                        appendU(cp, into: &out)
                        i += len
                        runStart = i
                    } else {
                        i += 1
                    }
                    continue
                }
                if c == 0x7F && !asciiOnly { i += 1; continue }
                out.append(UnsafeBufferPointer(rebasing: buf[runStart..<i]))
                switch c {
                case 0x22: out.append("\\\""); i += 1
                case 0x5C: out.append("\\\\"); i += 1
                case 0x0A: out.append("\\n"); i += 1
                case 0x0D: out.append("\\r"); i += 1
                case 0x09: out.append("\\t"); i += 1
                case 0x08: out.append("\\b"); i += 1
                case 0x0C: out.append("\\f"); i += 1
                default:
                    if c < 0x80 {
                        appendU(UInt32(c), into: &out)
                        i += 1
                    } else {
                        let (cp, len) = decodeWTF8(buf, i)
                        if cp >= 0x10000 {
                            let v = cp - 0x10000
                            appendU(0xD800 + (v >> 10), into: &out)
                            appendU(0xDC00 + (v & 0x3FF), into: &out)
                        } else {
                            appendU(cp, into: &out)
                        }
                        i += len
                    }
                }
                runStart = i
            }
            out.append(UnsafeBufferPointer(rebasing: buf[runStart..<n]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
