import AnnaJSON

/// A token body in the form every minter writes (TOK-FMT-2: compact,
/// ASCII-escaped `json.dumps`) turned straight into the text the verify
/// answer carries (`json.dumps` default style: `", "` and `": "`), without
/// building the object in between. Only input whose round trip through
/// `json.loads`/`json.dumps` is exactly "add the spaces" is accepted: no
/// whitespace, strings in `ensure_ascii` form (short escapes where Python
/// uses them, other `\u` escapes in lowercase hex and only where Python
/// escapes), integers in canonical form with at most 18 digits, no floats,
/// no repeated keys, bounded depth. Anything else returns nil and the
/// caller takes the general parse-then-write path, which gives the same
/// text for accepted input.
public enum CompactPayload {
    static let maxDepth = 64
    /// Objects with more keys take the general path (the repeat check is quadratic).
    static let maxKeys = 32

    /// The default-style text and `int(payload.get("exp", 0))` of a top-level
    /// object; nil for input outside the accepted form or an `exp` that is
    /// not an integer (the general path applies Python's `int()`).
    public static func render(_ body: UnsafeBufferPointer<UInt8>) -> (text: [UInt8], exp: JSON)? {
        guard body.first == UInt8(ascii: "{") else { return nil }
        var r = Renderer(input: body)
        r.out.reserveCapacity(body.count + body.count / 8 + 16)
        guard r.object(depth: 1, topLevel: true), r.pos == body.count else { return nil }
        return (r.out, r.exp)
    }

    private struct Renderer {
        let input: UnsafeBufferPointer<UInt8>
        var pos = 0
        var out: [UInt8] = []
        var exp: JSON = .int(0)

        init(input: UnsafeBufferPointer<UInt8>) { self.input = input }

        var current: UInt8? { pos < input.count ? input[pos] : nil }

        mutating func value(depth: Int) -> Bool {
            guard let c = current else { return false }
            switch c {
            case UInt8(ascii: "{"): return object(depth: depth + 1, topLevel: false)
            case UInt8(ascii: "["): return array(depth: depth + 1)
            case UInt8(ascii: "\""): return string() != nil
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return integer() != nil
            }
        }

        mutating func object(depth: Int, topLevel: Bool) -> Bool {
            guard depth <= CompactPayload.maxDepth else { return false }
            out.append(UInt8(ascii: "{"))
            pos += 1
            if current == UInt8(ascii: "}") { pos += 1; out.append(UInt8(ascii: "}")); return true }
            var keys: [Range<Int>] = []
            while true {
                guard current == UInt8(ascii: "\""), let key = string() else { return false }
                // Canonical keys have one spelling, so equal text is equal keys.
                for k in keys where k.count == key.count && input[k].elementsEqual(input[key]) { return false }
                guard keys.count < CompactPayload.maxKeys else { return false }
                keys.append(key)
                guard current == UInt8(ascii: ":") else { return false }
                pos += 1
                out.append(UInt8(ascii: ":")); out.append(UInt8(ascii: " "))
                if topLevel && isExp(key) {
                    guard let v = integer() else { return false }
                    exp = .int(v)
                } else if !value(depth: depth) {
                    return false
                }
                guard let c = current else { return false }
                pos += 1
                if c == UInt8(ascii: "}") { out.append(c); return true }
                guard c == UInt8(ascii: ",") else { return false }
                out.append(c); out.append(UInt8(ascii: " "))
            }
        }

        mutating func array(depth: Int) -> Bool {
            guard depth <= CompactPayload.maxDepth else { return false }
            out.append(UInt8(ascii: "["))
            pos += 1
            if current == UInt8(ascii: "]") { pos += 1; out.append(UInt8(ascii: "]")); return true }
            while true {
                guard value(depth: depth), let c = current else { return false }
                pos += 1
                if c == UInt8(ascii: "]") { out.append(c); return true }
                guard c == UInt8(ascii: ",") else { return false }
                out.append(c); out.append(UInt8(ascii: " "))
            }
        }

        func isExp(_ key: Range<Int>) -> Bool {
            key.count == 5 && input[key.lowerBound + 1] == UInt8(ascii: "e") && input[key.lowerBound + 2] == UInt8(ascii: "x")
                && input[key.lowerBound + 3] == UInt8(ascii: "p")
        }

        /// A string in ensure_ascii form, copied; its range (quotes included).
        mutating func string() -> Range<Int>? {
            let start = pos
            pos += 1
            while let c = current {
                pos += 1
                if c == UInt8(ascii: "\"") {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<pos]))
                    return start..<pos
                }
                if c == UInt8(ascii: "\\") {
                    guard let e = current else { return nil }
                    pos += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "n"), UInt8(ascii: "r"),
                         UInt8(ascii: "t"), UInt8(ascii: "b"), UInt8(ascii: "f"):
                        continue
                    case UInt8(ascii: "u"):
                        guard let unit = hex4() else { return nil }
                        // Python writes these with a short escape or as themselves.
                        let short = unit == 0x0A || unit == 0x0D || unit == 0x09 || unit == 0x08 || unit == 0x0C
                        guard !short, unit < 0x20 || unit >= 0x7F else { return nil }
                    default:
                        return nil   // `\/` and the like: not how Python writes
                    }
                    continue
                }
                guard c >= 0x20 && c < 0x7F else { return nil }   // ensure_ascii escapes these
            }
            return nil
        }

        /// Four lowercase hex digits after `\u`.
        mutating func hex4() -> UInt32? {
            guard pos + 4 <= input.count else { return nil }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = input[pos]
                pos += 1
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = v << 4 | UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): v = v << 4 | UInt32(c - UInt8(ascii: "a") + 10)
                default: return nil
                }
            }
            return v
        }

        /// `-?(0|[1-9][0-9]*)`, not `-0`, at most 18 digits, not followed by
        /// a fraction or exponent; copied.
        mutating func integer() -> Int? {
            let start = pos
            var negative = false
            if current == UInt8(ascii: "-") { negative = true; pos += 1 }
            let digitsStart = pos
            var v = 0
            while let c = current, c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                v = v &* 10 &+ Int(c - UInt8(ascii: "0"))
                pos += 1
            }
            let n = pos - digitsStart
            guard n > 0, n <= 18 else { return nil }
            if input[digitsStart] == UInt8(ascii: "0") && (n > 1 || negative) { return nil }
            if let c = current, c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { return nil }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<pos]))
            return negative ? -v : v
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard pos + n <= input.count else { return false }
            let w = UnsafeBufferPointer(start: word.utf8Start, count: n)
            guard input[pos..<(pos + n)].elementsEqual(w) else { return false }
            out.append(contentsOf: w)
            pos += n
            return true
        }
    }
}
