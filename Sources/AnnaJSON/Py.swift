/// Python's `str()`, `repr()`, `int()` and `str.strip()` applied to decoded
/// JSON values: the places where the reference's Python formatting leaks
/// into messages, titles, keys and error texts (11-json-compat.md §3-4, 9).
public enum Py {
    // MARK: str / repr

    /// `str(v)` (J-STR-1).
    public static func str(_ v: JSON) -> JStr {
        if case .string(let s) = v { return s }
        var out: [UInt8] = []
        appendRepr(v, to: &out)
        return JStr(wtf8: out)
    }

    /// `repr(v)` (J-REPR-1/2).
    public static func repr(_ v: JSON) -> JStr {
        var out: [UInt8] = []
        appendRepr(v, to: &out)
        return JStr(wtf8: out)
    }

    public static func repr(_ s: JStr) -> JStr {
        var out: [UInt8] = []
        appendRepr(s, to: &out)
        return JStr(wtf8: out)
    }

    static func appendRepr(_ v: JSON, to out: inout [UInt8]) {
        switch v {
        case .null: out.append(contentsOf: "None".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "True" : "False").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .bigInt(let b): out.append(contentsOf: b.text.utf8)
        case .double(let d): out.append(contentsOf: PyFloat.repr(d).utf8)
        case .string(let s): appendRepr(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, x) in a.enumerated() {
                if i > 0 { out.append(contentsOf: ", ".utf8) }
                appendRepr(x, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (i, e) in o.entries.enumerated() {
                if i > 0 { out.append(contentsOf: ", ".utf8) }
                appendRepr(e.key, to: &out)
                out.append(contentsOf: ": ".utf8)
                appendRepr(e.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func appendRepr(_ s: JStr, to out: inout [UInt8]) {
        let cps = s.codePoints
        var hasSingle = false, hasDouble = false
        for c in cps {
            if c == 0x27 { hasSingle = true } else if c == 0x22 { hasDouble = true }
        }
        let quote: UInt8 = (hasSingle && !hasDouble) ? 0x22 : 0x27
        out.append(quote)
        func hexEscape(_ c: UInt32, _ prefix: UInt8, _ width: Int) {
            out.append(0x5C)
            out.append(prefix)
            var shift = (width - 1) * 4
            while shift >= 0 {
                out.append(hexDigits[Int((c >> UInt32(shift)) & 0xF)])
                shift -= 4
            }
        }
        for c in cps {
            switch c {
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case UInt32(quote): out.append(0x5C); out.append(quote)
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0..<0x20, 0x7F: hexEscape(c, UInt8(ascii: "x"), 2)
            case 0x20..<0x7F: out.append(UInt8(c))
            default:
                if isPrintable(c) {
                    appendWTF8(c, to: &out)
                } else if c <= 0xFF {
                    hexEscape(c, UInt8(ascii: "x"), 2)
                } else if c <= 0xFFFF {
                    hexEscape(c, UInt8(ascii: "u"), 4)
                } else {
                    hexEscape(c, UInt8(ascii: "U"), 8)
                }
            }
        }
        out.append(quote)
    }

    /// Python 3.11 `str.isprintable()` for one code point.
    public static func isPrintable(_ cp: UInt32) -> Bool {
        !inRanges(cp, pyNonPrintableRanges)
    }

    static func inRanges(_ cp: UInt32, _ table: [UInt32]) -> Bool {
        // table = [lo0, hi0, lo1, hi1, ...] sorted; binary search on pairs.
        var lo = 0, hi = table.count / 2
        while lo < hi {
            let mid = (lo + hi) / 2
            if cp < table[2 * mid] { hi = mid }
            else if cp > table[2 * mid + 1] { lo = mid + 1 }
            else { return true }
        }
        return false
    }

    /// Decimal value of a Unicode Nd digit (Python `unicodedata.decimal`).
    public static func decimalValue(_ cp: UInt32) -> UInt32? {
        if cp >= 0x30 && cp <= 0x39 { return cp - 0x30 }
        if cp < 0x660 { return nil }
        var lo = 0, hi = pyDecimalZeros.count / 2
        while lo < hi {
            let mid = (lo + hi) / 2
            if cp < pyDecimalZeros[2 * mid] { hi = mid }
            else if cp > pyDecimalZeros[2 * mid + 1] { lo = mid + 1 }
            else { return cp - pyDecimalZeros[2 * mid] }
        }
        return nil
    }

    // MARK: whitespace

    /// Python `str.isspace()` as used by `str.strip()` (errata J-STRIP-1).
    public static func isStripSpace(_ cp: UInt32) -> Bool {
        switch cp {
        case 0x09...0x0D, 0x1C...0x1F, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A,
             0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// The whitespace `int()` strips: `str.strip()`'s set minus U+001C-U+001F.
    public static func isIntSpace(_ cp: UInt32) -> Bool {
        isStripSpace(cp) && !(cp >= 0x1C && cp <= 0x1F)
    }

    /// `s.strip()`.
    public static func strip(_ s: JStr) -> JStr {
        strip(s, isStripSpace)
    }

    static func strip(_ s: JStr, _ isSpace: (UInt32) -> Bool) -> JStr {
        s.withBytes { buf -> JStr in
            var start = 0
            var end = buf.count
            while start < end {
                let (cp, len) = decodeWTF8(buf, start)
                if !isSpace(cp) { break }
                start += len
            }
            while end > start {
                // step back to the start of the last code point
                var p = end - 1
                while p > start && buf[p] & 0xC0 == 0x80 { p -= 1 }
                let (cp, _) = decodeWTF8(buf, p)
                if !isSpace(cp) { break }
                end = p
            }
            if start == 0 && end == buf.count { return s }
            return JStr(wtf8Buffer: UnsafeBufferPointer(rebasing: buf[start..<end]))
        }
    }

    // MARK: int()

    /// Failure of Python `int(x)`; the three exception classes are
    /// distinguishable on the wire (J-INT-1..3).
    public enum IntError: Error, Sendable {
        case value(JStr)      // ValueError
        case overflow(JStr)   // OverflowError (±infinity)
        case type(JStr)       // TypeError

        public var message: JStr {
            switch self {
            case .value(let m), .overflow(let m), .type(let m): return m
            }
        }
    }

    /// Python `int(x)` for a decoded JSON value; the result is `.int` or
    /// `.bigInt`.
    public static func int(_ v: JSON) -> Result<JSON, IntError> {
        switch v {
        case .int, .bigInt: return .success(v)
        case .bool(let b): return .success(.int(b ? 1 : 0))
        case .double(let d):
            if d.isNaN { return .failure(.value("cannot convert float NaN to integer")) }
            if d.isInfinite { return .failure(.overflow("cannot convert float infinity to integer")) }
            return .success(PyBigInt.truncating(d))
        case .string(let s): return parseIntString(s)
        case .null, .array, .object:
            return .failure(.type("int() argument must be a string, a bytes-like object or a real number, not '\(v.pyTypeName)'"))
        }
    }

    static func parseIntString(_ s: JStr) -> Result<JSON, IntError> {
        let fail = Result<JSON, IntError>.failure(.value("invalid literal for int() with base 10: \(repr(s))"))
        let body = strip(s, isIntSpace).codePoints
        var i = 0
        var negative = false
        if i < body.count && (body[i] == 0x2B || body[i] == 0x2D) {
            negative = body[i] == 0x2D
            i += 1
        }
        var digits = ""
        var lastWasDigit = false
        while i < body.count {
            let c = body[i]
            if c == 0x5F {   // '_' only between digits
                guard lastWasDigit, i + 1 < body.count, decimalValue(body[i + 1]) != nil else { return fail }
                lastWasDigit = false
            } else if let d = decimalValue(c) {
                digits.unicodeScalars.append(Unicode.Scalar(UInt8(48 + d)))
                lastWasDigit = true
            } else {
                return fail
            }
            i += 1
        }
        if digits.isEmpty { return fail }
        if digits.utf8.count > JSONParser.maxIntegerDigits {
            return .failure(.value("Exceeds the limit (4300 digits) for integer string conversion: value has \(digits.utf8.count) digits; use sys.set_int_max_str_digits() to increase the limit"))
        }
        return .success(PyBigInt.make(negative: negative, digits: digits))
    }
}
