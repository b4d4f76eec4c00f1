import AnnaJSON

/// pydantic's lax ("python mode") coercions for the scalar manifest fields
/// (02-manifest.md §3). Each returns the coerced value or the issue to
/// report; the caller attaches `loc` and the original input.
enum ManifestCoercion {
    // MARK: integers (M-COERCE-INT-*)

    /// An integer field's value as `.int` / `.bigInt`.
    static func int(_ v: JSON) -> Result<JSON, ManifestIssue> {
        switch v {
        case .int, .bigInt: return .success(v)
        case .bool(let b): return .success(.int(b ? 1 : 0))
        case .double(let d): return floatAsInt(d).map { .int($0) }
        case .string(let s):
            if s.hasLoneSurrogate { return .failure(.stringUnicode) }
            return intFromString(s)
        case .null, .array, .object: return .failure(.intType)
        }
    }

    /// Only integral floats strictly inside the signed 64-bit range convert;
    /// the bounds are compared as doubles, so ±2^63 itself is too large.
    static func floatAsInt(_ d: Double) -> Result<Int, ManifestIssue> {
        if !d.isFinite { return .failure(.finiteNumber) }
        if d.rounded(.towardZero) != d { return .failure(.intFromFloat) }
        if d > -9223372036854775808.0 && d < 9223372036854775808.0 { return .success(Int(d)) }
        return .failure(.intParsingSize)
    }

    /// Checks `ge <= v <= le` for a coerced integer (bounds are optional).
    static func range(_ v: JSON, ge: Int?, le: Int?) -> ManifestIssue? {
        if let ge, let c = v.compareInt(ge), c < 0 { return .greaterThanEqual(ge) }
        if let le, let c = v.compareInt(le), c > 0 { return .lessThanEqual(le) }
        return nil
    }

    /// String → integer, in two passes as pydantic-core does it:
    ///
    /// 1. the raw text as a JSON integer (`-?(0|[1-9][0-9]*)`, nothing
    ///    else, no whitespace). Scanning more than 4300 digits is the only
    ///    way to get `int_parsing_size`, even if junk follows the digits.
    /// 2. otherwise a cleaned copy: trimmed (Unicode White_Space), one
    ///    leading `+` or `-`, leading zeros and underscores among them
    ///    dropped, a `.000…` suffix dropped, and single `_` separators
    ///    removed; the result must then be a JSON integer. Every failure
    ///    here, including too many digits, is `int_parsing`.
    ///
    /// The quirks this implies (`"0-1"` is -1, `"0__9"` is 9, `"_1"` fails)
    /// were confirmed against the reference by exhaustive comparison of all
    /// strings up to 6 characters over `01_-+.` plus random longer ones.
    static func intFromString(_ s: JStr) -> Result<JSON, ManifestIssue> {
        s.withBytes { buf -> Result<JSON, ManifestIssue> in
            switch strictInt(buf[...]) {
            case .value(let v): return .success(v)
            case .tooLong: return .failure(.intParsingSize)
            case .invalid: break
            }
            guard let cleaned = cleanIntText(buf) else { return .failure(.intParsing) }
            return cleaned.withUnsafeBufferPointer { c -> Result<JSON, ManifestIssue> in
                if case .value(let v) = strictInt(c[...]) { return .success(v) }
                return .failure(.intParsing)
            }
        }
    }

    enum StrictInt {
        case value(JSON)
        case tooLong
        case invalid
    }

    static let maxIntDigits = 4300

    static func strictInt(_ b: Slice<UnsafeBufferPointer<UInt8>>) -> StrictInt {
        var i = b.startIndex
        let end = b.endIndex
        var negative = false
        if i < end && b[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < end else { return .invalid }
        if b[i] == UInt8(ascii: "0") {
            return i + 1 == end ? .value(.int(0)) : .invalid
        }
        let digitsStart = i
        while i < end && b[i] >= UInt8(ascii: "0") && b[i] <= UInt8(ascii: "9") {
            i += 1
            if i - digitsStart > maxIntDigits { return .tooLong }
        }
        if i == digitsStart || i != end { return .invalid }
        let digits = String(decoding: UnsafeBufferPointer(rebasing: b[digitsStart..<end]), as: UTF8.self)
        return .value(PyBigInt.make(negative: negative, digits: digits))
    }

    /// Pass 2 of `intFromString`; nil when the text cannot be an integer.
    static func cleanIntText(_ buf: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var lo = 0
        var hi = buf.count
        while lo < hi {
            let (cp, len) = decodeScalar(buf, lo)
            if !Py.isIntSpace(cp) { break }
            lo += len
        }
        while hi > lo {
            var p = hi - 1
            while p > lo && buf[p] & 0xC0 == 0x80 { p -= 1 }
            let (cp, _) = decodeScalar(buf, p)
            if !Py.isIntSpace(cp) { break }
            hi = p
        }
        let plus = UInt8(ascii: "+"), minus = UInt8(ascii: "-")
        if lo < hi && buf[lo] == plus {
            lo += 1
            if lo < hi && buf[lo] == minus { return nil }
        }
        var negative = false
        if lo < hi && buf[lo] == minus {
            lo += 1
            if lo < hi && (buf[lo] == minus || buf[lo] == plus) { return nil }
            negative = true
        }
        guard let start = skipLeadingZeros(buf, lo, hi) else { return nil }
        lo = start
        if let dot = (lo..<hi).first(where: { buf[$0] == UInt8(ascii: ".") }), dot + 1 < hi,
           (dot + 1..<hi).allSatisfy({ buf[$0] == UInt8(ascii: "0") }) {
            hi = dot
        }
        var out: [UInt8] = []
        out.reserveCapacity(hi - lo + 1)
        if negative { out.append(minus) }
        let underscore = UInt8(ascii: "_")
        var hasUnderscore = false, doubled = false
        for i in lo..<hi where buf[i] == underscore {
            hasUnderscore = true
            if i + 1 < hi && buf[i + 1] == underscore { doubled = true }
        }
        let stripUnderscores = hasUnderscore && !doubled && lo < hi
            && buf[lo] != underscore && buf[hi - 1] != underscore
        for i in lo..<hi where !(stripUnderscores && buf[i] == underscore) { out.append(buf[i]) }
        return out
    }

    /// Drops a run of leading `0`s (and `_`s inside that run), keeping one
    /// character when the run is everything or is followed by `.`, so
    /// `"000"` → `"0"`, `"00.0"` → `"0.0"`, `"0_"` → `"_"` (which then fails).
    /// nil when the text does not start with a digit or `-`.
    static func skipLeadingZeros(_ buf: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Int? {
        guard lo < hi else { return nil }
        let c0 = buf[lo]
        if (c0 >= UInt8(ascii: "1") && c0 <= UInt8(ascii: "9")) || c0 == UInt8(ascii: "-") { return lo }
        guard c0 == UInt8(ascii: "0") else { return nil }
        var i = lo + 1
        while i < hi {
            let c = buf[i]
            switch c {
            case UInt8(ascii: "0"), UInt8(ascii: "_"): i += 1
            case UInt8(ascii: "1")...UInt8(ascii: "9"), UInt8(ascii: "-"): return i
            case UInt8(ascii: "."): return i - 1
            default: return nil
            }
        }
        return hi - 1
    }

    /// Decodes one scalar of well-formed UTF-8 (callers have excluded lone
    /// surrogates); a truncated sequence yields U+FFFD rather than reading
    /// past the end.
    static func decodeScalar(_ buf: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
        let b0 = UInt32(buf[i])
        let len = b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4
        guard i + len <= buf.count else { return (0xFFFD, 1) }
        switch len {
        case 1: return (b0, 1)
        case 2: return (((b0 & 0x1F) << 6) | (UInt32(buf[i + 1]) & 0x3F), 2)
        case 3: return (((b0 & 0x0F) << 12) | ((UInt32(buf[i + 1]) & 0x3F) << 6) | (UInt32(buf[i + 2]) & 0x3F), 3)
        default:
            return (((b0 & 0x07) << 18) | ((UInt32(buf[i + 1]) & 0x3F) << 12)
                    | ((UInt32(buf[i + 2]) & 0x3F) << 6) | (UInt32(buf[i + 3]) & 0x3F), 4)
        }
    }

    // MARK: booleans (M-COERCE-BOOL-*)

    static func bool(_ v: JSON) -> Result<Bool, ManifestIssue> {
        switch v {
        case .bool(let b): return .success(b)
        case .int(let i): return intAsBool(i)
        case .bigInt: return .failure(.boolType)
        case .double(let d):
            // Floats go through the float→int conversion first: an integral
            // float in range is judged like an int, anything else is a type error.
            guard case .success(let i) = floatAsInt(d) else { return .failure(.boolType) }
            return intAsBool(i)
        case .string(let s):
            if s.hasLoneSurrogate { return .failure(.stringUnicode) }
            return stringAsBool(s)
        case .null, .array, .object: return .failure(.boolType)
        }
    }

    static func intAsBool(_ i: Int) -> Result<Bool, ManifestIssue> {
        switch i {
        case 0: return .success(false)
        case 1: return .success(true)
        default: return .failure(.boolParsing)
        }
    }

    static let trueWords: [StaticString] = ["1", "t", "y", "on", "yes", "true"]
    static let falseWords: [StaticString] = ["0", "f", "n", "no", "off", "false"]

    /// Exact words, ASCII case-insensitive, no trimming.
    static func stringAsBool(_ s: JStr) -> Result<Bool, ManifestIssue> {
        s.withBytes { buf -> Result<Bool, ManifestIssue> in
            guard buf.count <= 5 else { return .failure(.boolParsing) }
            for w in trueWords where equalsIgnoringASCIICase(buf, w) { return .success(true) }
            for w in falseWords where equalsIgnoringASCIICase(buf, w) { return .success(false) }
            return .failure(.boolParsing)
        }
    }

    static func equalsIgnoringASCIICase(_ buf: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        guard buf.count == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for i in 0..<buf.count {
            var c = buf[i]
            if c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") { c |= 0x20 }
            if c != w[i] { return false }
        }
        return true
    }

    // MARK: strings and literals (M-COERCE-STR-*, M-COERCE-LIT-1)

    /// A string field. Length limits count code points. Fields with a
    /// length constraint need a real Unicode string, so a lone surrogate
    /// fails them (`string_unicode`) before the length is checked; plain
    /// `str` fields (list items, map keys and values) keep it.
    static func string(_ v: JSON, min: Int = 0, max: Int? = nil) -> Result<JStr, ManifestIssue> {
        guard case .string(let s) = v else { return .failure(.stringType) }
        if min == 0 && max == nil { return .success(s) }
        if s.hasLoneSurrogate { return .failure(.stringUnicode) }
        let n = s.codePointCount
        if n < min { return .failure(.stringTooShort(min)) }
        if let max, n > max { return .failure(.stringTooLong(max)) }
        return .success(s)
    }

    /// A literal choice between ASCII words (case-sensitive, exact).
    static func literal(_ v: JSON, _ choices: [StaticString], expected: StaticString) -> Result<JStr, ManifestIssue> {
        guard case .string(let s) = v else { return .failure(.literalError(expected: expected)) }
        if s.hasLoneSurrogate { return .failure(.stringUnicode) }
        for c in choices where s.equals(c) { return .success(s) }
        return .failure(.literalError(expected: expected))
    }
}
