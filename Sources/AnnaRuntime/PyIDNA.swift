import AnnaCore
import AnnaJSON

/// Python's `idna` codec (IDNA 2003: nameprep + punycode), which
/// `socket.getaddrinfo` applies to a `str` host before the C resolver sees
/// it. Its errors are `UnicodeError`s (a `ValueError`): `TRANSPORT_ERROR:
/// UnicodeError` in web.fetch, `invalid_arg` in web.image_fetch.
enum PyIDNA {
    /// `host.encode("idna")`.
    static func encode(_ host: CPs) throws(PyException) -> [UInt8] {
        if host.isEmpty { return [] }
        if PyStr.isAscii(host) {
            let labels = PyStr.split(host, 0x2E)
            for l in labels.dropLast() where !(l.count > 0 && l.count < 64) {
                throw .idna("label empty or too long")
            }
            if let last = labels.last, last.count >= 64 { throw .idna("label too long") }
            return PyStr.ascii(host)
        }
        var labels: [CPs] = [[]]
        for c in host {
            // The codec splits on any of the four IDNA full stops.
            if c == 0x2E || c == 0x3002 || c == 0xFF0E || c == 0xFF61 { labels.append([]) } else { labels[labels.count - 1].append(c) }
        }
        var trailingDot = false
        if let last = labels.last, last.isEmpty {
            trailingDot = true
            labels.removeLast()
        }
        var out: [UInt8] = []
        for l in labels {
            if !out.isEmpty { out.append(0x2E) }
            out.append(contentsOf: try toASCII(l))
        }
        if trailingDot { out.append(0x2E) }
        return out
    }

    /// RFC 3490 ToASCII with UseSTD3ASCIIRules false, as encodings.idna.
    static func toASCII(_ label: CPs) throws(PyException) -> [UInt8] {
        if PyStr.isAscii(label) {
            guard label.count > 0 && label.count < 64 else { throw .idna("label empty or too long") }
            return PyStr.ascii(label)
        }
        let prepped = try nameprep(label)
        if PyStr.isAscii(prepped) {
            guard prepped.count > 0 && prepped.count < 64 else { throw .idna("label empty or too long") }
            return PyStr.ascii(prepped)
        }
        if PyStr.hasPrefix(prepped, PyStr.cps("xn--")) { throw .idna("Label starts with ACE prefix") }
        // "xn--" plus at least one byte per code point: 60 or more cannot
        // fit in 63 bytes, whatever punycode makes of them.
        if prepped.count >= 60 { throw .idna("label empty or too long") }
        let encoded = Array("xn--".utf8) + Punycode.encode(prepped)
        guard encoded.count > 0 && encoded.count < 64 else { throw .idna("label empty or too long") }
        return encoded
    }

    /// RFC 3491 nameprep: map (B.1, B.2), normalise, prohibit, check bidi.
    static func nameprep(_ label: CPs) throws(PyException) -> CPs {
        var mapped: CPs = []
        for c in label where !WebTables.isB1(c) {
            if let m = WebTables.b2[c] { mapped.append(contentsOf: m) } else { mapped.append(c) }
        }
        let normalized = NFKC32.normalize(mapped)
        for c in normalized where WebTables.isProhibited(c) {
            throw .idna("Invalid character \(PyStr.repr([c]))")
        }
        if normalized.contains(where: WebTables.isRandAL) {
            if normalized.contains(where: WebTables.isL) { throw .idna("Violation of BIDI requirement 2") }
            guard let f = normalized.first, let l = normalized.last, WebTables.isRandAL(f), WebTables.isRandAL(l) else {
                throw .idna("Violation of BIDI requirement 3")
            }
        }
        return normalized
    }
}

/// RFC 3492 punycode encoder (what `str.encode("punycode")` produces).
enum Punycode {
    static let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700, initialBias = 72, initialN: UInt32 = 128

    static func encode(_ input: CPs) -> [UInt8] {
        var out: [UInt8] = input.filter { $0 < 0x80 }.map { UInt8($0) }
        let basic = out.count
        var handled = basic
        if basic > 0 { out.append(0x2D) }
        var n = initialN
        var delta = 0
        var bias = initialBias
        while handled < input.count {
            guard let m = input.filter({ $0 >= n }).min() else { break }
            // Overflow is impossible for a label: at most 63 output bytes
            // are kept, but clamp arithmetic anyway (outside input).
            delta = delta &+ Int(m - n) &* (handled + 1)
            n = m
            for c in input {
                if c < n { delta = delta &+ 1 }
                if c == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        out.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    out.append(digit(q))
                    bias = adapt(delta, handled + 1, handled == basic)
                    delta = 0
                    handled += 1
                }
            }
            delta = delta &+ 1
            n = n &+ 1
        }
        return out
    }

    static func digit(_ d: Int) -> UInt8 {
        let v = min(max(d, 0), 35)
        return v < 26 ? UInt8(0x61 + v) : UInt8(0x30 + v - 26)
    }

    static func adapt(_ deltaIn: Int, _ numPoints: Int, _ first: Bool) -> Int {
        var delta = first ? deltaIn / damp : deltaIn / 2
        delta += delta / numPoints
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }
}
