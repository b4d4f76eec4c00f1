import AnnaCore
import AnnaJSON

/// Python `str` operations on code-point arrays.
///
/// The URL and HTTP code mirrors CPython step by step, and Python strings
/// are code-point sequences that may hold lone surrogates (a JSON `"\ud800"`
/// reaches `urlsplit` unchanged), so the web code works on `[UInt32]`
/// rather than Swift `String`. Every index is bounds-checked: the input is
/// outside data.
typealias CPs = [UInt32]

enum PyStr {
    static func cps(_ s: JStr) -> CPs { s.codePoints }
    static func cps(_ s: String) -> CPs { s.unicodeScalars.map { $0.value } }
    static func jstr(_ c: CPs) -> JStr { JStr(codePoints: c) }
    /// For OS calls and Swift APIs only (a surrogate becomes U+FFFD).
    static func string(_ c: CPs) -> String {
        var s = String.UnicodeScalarView()
        for v in c { s.append(Unicode.Scalar(v) ?? "\u{FFFD}") }
        return String(s)
    }

    static func isAscii(_ c: CPs) -> Bool { c.allSatisfy { $0 < 0x80 } }
    static func isAsciiDigit(_ v: UInt32) -> Bool { v >= 0x30 && v <= 0x39 }
    static func isAsciiAlpha(_ v: UInt32) -> Bool { (v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A }
    static func isHexDigit(_ v: UInt32) -> Bool { isAsciiDigit(v) || ((v | 0x20) >= 0x61 && (v | 0x20) <= 0x66) }

    static func find(_ c: UInt32, in s: CPs, from: Int = 0) -> Int? {
        var i = max(from, 0)
        while i < s.count { if s[i] == c { return i }; i += 1 }
        return nil
    }

    static func rfind(_ c: UInt32, in s: CPs) -> Int? {
        var i = s.count - 1
        while i >= 0 { if s[i] == c { return i }; i -= 1 }
        return nil
    }

    static func contains(_ c: UInt32, _ s: CPs) -> Bool { find(c, in: s) != nil }

    static func hasPrefix(_ s: CPs, _ p: CPs) -> Bool { s.count >= p.count && Array(s[0..<p.count]) == p }

    /// `s.partition(sep)` for a one-character separator.
    static func partition(_ s: CPs, _ sep: UInt32) -> (CPs, Bool, CPs) {
        guard let i = find(sep, in: s) else { return (s, false, []) }
        return (Array(s[0..<i]), true, Array(s[(i + 1)...]))
    }

    /// `s.rpartition(sep)` for a one-character separator.
    static func rpartition(_ s: CPs, _ sep: UInt32) -> (CPs, Bool, CPs) {
        guard let i = rfind(sep, in: s) else { return ([], false, s) }
        return (Array(s[0..<i]), true, Array(s[(i + 1)...]))
    }

    /// `s.split(sep)` for a one-character separator (always >= 1 part).
    static func split(_ s: CPs, _ sep: UInt32) -> [CPs] {
        var out: [CPs] = []
        var cur: CPs = []
        for c in s {
            if c == sep { out.append(cur); cur = [] } else { cur.append(c) }
        }
        out.append(cur)
        return out
    }

    /// `s.split(None, maxsplit)`: runs of Python whitespace separate and
    /// leading whitespace is skipped; once `maxsplit` parts are taken, the
    /// rest (after its leading whitespace) is one part, trailing whitespace
    /// included, as CPython's `split_whitespace` does.
    static func splitWhitespace(_ s: CPs, maxsplit: Int) -> [CPs] {
        var out: [CPs] = []
        var i = 0
        let n = s.count
        var count = maxsplit
        while count > 0 {
            count -= 1
            while i < n && Py.isStripSpace(s[i]) { i += 1 }
            if i == n { break }
            let j = i
            i += 1
            while i < n && !Py.isStripSpace(s[i]) { i += 1 }
            out.append(Array(s[j..<i]))
        }
        if i < n {
            while i < n && Py.isStripSpace(s[i]) { i += 1 }
            if i != n { out.append(Array(s[i..<n])) }
        }
        return out
    }

    /// `s.strip()` with Python's whitespace set.
    static func strip(_ s: CPs) -> CPs {
        var a = 0, b = s.count
        while a < b && Py.isStripSpace(s[a]) { a += 1 }
        while b > a && Py.isStripSpace(s[b - 1]) { b -= 1 }
        return Array(s[a..<b])
    }

    /// `repr(s)`.
    static func repr(_ s: CPs) -> JStr { Py.repr(jstr(s)) }

    /// `bytes.decode("iso-8859-1")`.
    static func latin1(_ b: [UInt8]) -> CPs { b.map { UInt32($0) } }

    /// `bytes.decode("utf-8", errors="replace")`. Swift's decoder replaces
    /// maximal invalid subparts with U+FFFD, which is CPython's rule too.
    static func utf8Replace(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

    static func ascii(_ s: CPs) -> [UInt8] { s.map { UInt8(truncatingIfNeeded: $0) } }

    // MARK: str.lower()

    /// Python `str.lower()`: CPython 3.11's mappings (Unicode 14, from the
    /// generated table), U+0130's two-code-point form and the context-
    /// dependent final sigma. Anything unmapped, surrogates included, stays.
    static func lower(_ s: CPs) -> CPs {
        if isAscii(s) {
            return s.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 | 0x20 : $0 }
        }
        var out: CPs = []
        out.reserveCapacity(s.count)
        for (i, v) in s.enumerated() {
            if v == 0x130 { out.append(0x69); out.append(0x307); continue }
            if v == 0x3A3 { out.append(isFinalSigma(s, i) ? 0x3C2 : 0x3C3); continue }
            out.append(WebTables.lowerMap[v] ?? v)
        }
        return out
    }

    /// Unicode Final_Sigma: preceded by a cased letter (skipping
    /// case-ignorables) and not followed by one.
    private static func isFinalSigma(_ s: CPs, _ i: Int) -> Bool {
        func cased(_ v: UInt32) -> Bool? {
            guard let sc = Unicode.Scalar(v) else { return false }
            if sc.properties.isCaseIgnorable { return nil }
            return sc.properties.isCased
        }
        var j = i - 1
        var before = false
        while j >= 0 {
            if let c = cased(s[j]) { before = c; break }
            j -= 1
        }
        if !before { return false }
        j = i + 1
        while j < s.count {
            if let c = cased(s[j]) { return !c }
            j += 1
        }
        return true
    }

    // MARK: encode errors

    /// `str(UnicodeEncodeError)` for `s.encode(codec)` failing at the first
    /// run of characters at or above `limit` (CPython reports the whole run).
    static func encodeError(_ s: CPs, codec: String, limit: UInt32) -> PyException? {
        guard let start = s.firstIndex(where: { $0 >= limit }) else { return nil }
        var end = start
        while end < s.count && s[end] >= limit { end += 1 }
        let text: JStr
        if end - start == 1 {
            text = "'\(codec)' codec can't encode character '\(charEscape(s[start]))' in position \(start): ordinal not in range(\(Int(limit)))"
        } else {
            text = "'\(codec)' codec can't encode characters in position \(start)-\(end - 1): ordinal not in range(\(Int(limit)))"
        }
        return PyException("UnicodeEncodeError", text, isValueError: true)
    }

    private static func charEscape(_ v: UInt32) -> String {
        let hex = String(v, radix: 16)
        if v < 0x100 { return "\\x" + String(repeating: "0", count: max(0, 2 - hex.count)) + hex }
        if v < 0x10000 { return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex }
        return "\\U" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }
}
