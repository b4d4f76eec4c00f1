/// Python's `repr(float)` (J-FLOAT-1).
///
/// Swift's `description` already produces the shortest digit string that
/// round-trips (the same digits Python's repr picks), but its switch-over
/// between positional and scientific notation and its exponent spelling
/// differ. We take only the digits and the decimal exponent from it and
/// lay them out with Python's rules: positional for -4 <= exp < 16,
/// otherwise `d[.ddd]e±XX`.
public enum PyFloat {
    /// JSON spelling: `NaN`, `Infinity`, `-Infinity` for non-finite values.
    public static func json(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return repr(d)
    }

    /// `repr()` / `str()` spelling: `nan`, `inf`, `-inf`.
    public static func repr(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        let (negative, digits, exp10) = shortestDigits(d)
        // value = 0.d1d2...dn * 10^exp10 ; scientific exponent x = exp10 - 1
        let x = exp10 - 1
        var out = negative ? "-" : ""
        let n = digits.count
        if x >= -4 && x < 16 {
            if exp10 <= 0 {
                out += "0." + String(repeating: "0", count: -exp10) + digits
            } else if exp10 >= n {
                out += digits + String(repeating: "0", count: exp10 - n) + ".0"
            } else {
                let i = digits.index(digits.startIndex, offsetBy: exp10)
                out += digits[..<i] + "." + digits[i...]
            }
        } else {
            out += digits.prefix(1)
            if n > 1 { out += "." + digits.dropFirst() }
            out += x < 0 ? "e-" : "e+"
            let e = String(abs(x))
            out += e.count < 2 ? "0" + e : e
        }
        return out
    }

    /// Shortest round-trip digits (no leading/trailing zeros) and the
    /// exponent such that |d| = 0.DIGITS × 10^exp.
    static func shortestDigits(_ d: Double) -> (Bool, String, Int) {
        let text = d.magnitude.description
        var digits = ""
        var pointPos: Int? = nil
        var exp = 0
        var seenE = false
        var expText = ""
        for ch in text {
            if seenE { expText.append(ch); continue }
            switch ch {
            case "0"..."9": digits.append(ch)
            case ".": pointPos = digits.count
            case "e", "E": seenE = true
            default: break
            }
        }
        if seenE { exp = Int(expText) ?? 0 }
        var intDigits = pointPos ?? digits.count
        // strip leading zeros
        while digits.first == "0" {
            digits.removeFirst()
            intDigits -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        return (d.sign == .minus, digits, intDigits + exp)
    }
}
