/// An integer outside the 64-bit range, kept as normalised decimal text
/// (no leading zeros, optional leading `-`). Python integers are unbounded
/// and round-trip exactly through the reference (J-DEC-2); we never do
/// arithmetic on them, only render, compare with small bounds and hash.
public struct PyBigInt: Sendable, Hashable {
    public let text: String

    public var isNegative: Bool { text.utf8.first == UInt8(ascii: "-") }

    /// Number of decimal digits (without sign).
    public var digitCount: Int { text.utf8.count - (isNegative ? 1 : 0) }

    init(normalized: String) { text = normalized }

    /// Makes a JSON integer from a sign and ASCII digits (leading zeros
    /// allowed): `.int` when it fits in 64 bits, `.bigInt` otherwise.
    public static func make(negative: Bool, digits: Substring.UTF8View) -> JSON {
        var d = digits.drop(while: { $0 == UInt8(ascii: "0") })
        if d.isEmpty { return .int(0) }
        if d.count <= 18 {
            var v = 0
            for c in d { v = v &* 10 &+ Int(c &- 48) }
            return .int(negative ? -v : v)
        }
        if d.count == 19 {
            // May or may not fit: parse with overflow detection.
            var v: UInt64 = 0
            for c in d { v = v &* 10 &+ UInt64(c &- 48) }
            if !negative && v <= UInt64(Int.max) { return .int(Int(v)) }
            if negative && v <= UInt64(Int.max) + 1 { return .int(v == UInt64(Int.max) + 1 ? Int.min : -Int(v)) }
        }
        d = d[...]
        let body = String(decoding: d, as: UTF8.self)
        return .bigInt(PyBigInt(normalized: negative ? "-" + body : body))
    }

    public static func make(negative: Bool, digits: String) -> JSON {
        make(negative: negative, digits: Substring(digits).utf8)
    }

    /// The exact integer value of a finite, integral-or-not double after
    /// truncation toward zero (Python `int(float)`).
    public static func truncating(_ d: Double) -> JSON {
        let t = d.rounded(.towardZero)
        if abs(t) < 9.2e18 { return .int(Int(t)) }
        // |t| >= 2^63 here, so t is an integer times a power of two:
        // t = significand * 2^e with e >= 0. Build the decimal in base 1e9.
        let exponent = Int(t.exponent) - 52
        var limbs: [UInt64] = []   // little-endian base 1e9
        var sig = t.significandBitPattern | (1 << 52)
        while sig > 0 { limbs.append(sig % 1_000_000_000); sig /= 1_000_000_000 }
        if exponent > 0 {
            for _ in 0..<exponent {
                var carry: UInt64 = 0
                for i in limbs.indices {
                    let v = limbs[i] * 2 + carry
                    limbs[i] = v % 1_000_000_000
                    carry = v / 1_000_000_000
                }
                if carry > 0 { limbs.append(carry) }
            }
        }
        var s = String(limbs.last ?? 0)
        for limb in limbs.dropLast().reversed() {
            let part = String(limb)
            s += String(repeating: "0", count: 9 - part.count) + part
        }
        return .bigInt(PyBigInt(normalized: t < 0 ? "-" + s : s))
    }
}

extension JSON {
    /// Compares a Python integer (`.int`, `.bigInt` or `.bool`) with an Int.
    /// Returns nil for other kinds.
    public func compareInt(_ bound: Int) -> Int? {
        switch self {
        case .int(let i): return i < bound ? -1 : (i == bound ? 0 : 1)
        case .bool(let b): let i = b ? 1 : 0; return i < bound ? -1 : (i == bound ? 0 : 1)
        case .bigInt(let b): return b.isNegative ? -1 : 1
        default: return nil
        }
    }
}
