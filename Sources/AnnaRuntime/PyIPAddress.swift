import AnnaCore
import AnnaJSON

/// `ipaddress.ip_address(str)` of CPython 3.11.7 and the address
/// properties the SSRF guard combines (WEB-SSRF-2). Parsing is Python's,
/// not inet_pton's: IPv4 is exactly four decimal octets without leading
/// zeros, IPv6 may end in an IPv4 part and carry a `%scope` suffix.
enum PyIPAddress: Equatable {
    case v4(UInt32)
    /// 128 bits as (high, low) halves; the scope id never affects a range test.
    case v6(hi: UInt64, lo: UInt64, scope: CPs?)

    static func parse(_ s: CPs) -> PyIPAddress? {
        if let v = parseV4(s) { return .v4(v) }
        return parseV6(s)
    }

    /// `IPv4Address(str)`.
    static func parseV4(_ s: CPs) -> UInt32? {
        if s.isEmpty || PyStr.contains(0x2F, s) { return nil }
        let octets = PyStr.split(s, 0x2E)
        guard octets.count == 4 else { return nil }
        var v: UInt32 = 0
        for o in octets {
            guard !o.isEmpty, o.count <= 3, o.allSatisfy(PyStr.isAsciiDigit) else { return nil }
            if o.count > 1 && o[0] == 0x30 { return nil }
            var n: UInt32 = 0
            for d in o { n = n * 10 + (d - 0x30) }
            if n > 255 { return nil }
            v = (v << 8) | n
        }
        return v
    }

    /// `IPv6Address(str)`.
    static func parseV6(_ input: CPs) -> PyIPAddress? {
        if PyStr.contains(0x2F, input) { return nil }
        let (addr, hasScope, scope) = PyStr.partition(input, 0x25)
        if hasScope && (scope.isEmpty || PyStr.contains(0x25, scope)) { return nil }
        if addr.isEmpty { return nil }
        var parts = PyStr.split(addr, 0x3A)
        if parts.count < 3 { return nil }
        if let last = parts.last, PyStr.contains(0x2E, last) {
            guard let v4 = parseV4(last) else { return nil }
            parts.removeLast()
            parts.append(hexText(UInt16(truncatingIfNeeded: v4 >> 16)))
            parts.append(hexText(UInt16(truncatingIfNeeded: v4)))
        }
        let hextets = 8
        if parts.count > hextets + 1 { return nil }
        var skip: Int? = nil
        if parts.count > 2 {
            for i in 1..<(parts.count - 1) where parts[i].isEmpty {
                if skip != nil { return nil }
                skip = i
            }
        }
        var hiCount: Int, loCount: Int, skipped: Int
        if let s = skip {
            hiCount = s
            loCount = parts.count - s - 1
            if parts[0].isEmpty {
                hiCount -= 1
                if hiCount != 0 { return nil }
            }
            if parts[parts.count - 1].isEmpty {
                loCount -= 1
                if loCount != 0 { return nil }
            }
            skipped = hextets - (hiCount + loCount)
            if skipped < 1 { return nil }
        } else {
            if parts.count != hextets || parts[0].isEmpty || parts[parts.count - 1].isEmpty { return nil }
            hiCount = parts.count
            loCount = 0
            skipped = 0
        }
        var words: [UInt16] = []
        for i in 0..<hiCount {
            guard let w = parseHextet(parts[i]) else { return nil }
            words.append(w)
        }
        words.append(contentsOf: repeatElement(0, count: skipped))
        for i in (parts.count - loCount)..<parts.count {
            guard let w = parseHextet(parts[i]) else { return nil }
            words.append(w)
        }
        guard words.count == hextets else { return nil }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for w in words[0..<4] { hi = (hi << 16) | UInt64(w) }
        for w in words[4..<8] { lo = (lo << 16) | UInt64(w) }
        return .v6(hi: hi, lo: lo, scope: hasScope ? scope : nil)
    }

    /// `_parse_hextet`: 1-4 ASCII hex digits (an empty one fails in `int()`).
    static func parseHextet(_ s: CPs) -> UInt16? {
        guard !s.isEmpty, s.count <= 4, s.allSatisfy(PyStr.isHexDigit) else { return nil }
        var v: UInt16 = 0
        for c in s {
            let d = c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10
            v = (v << 4) | UInt16(d)
        }
        return v
    }

    static func hexText(_ v: UInt16) -> CPs { PyStr.cps(String(v, radix: 16)) }

    // MARK: classification

    /// (prefix bits, prefix length) for a v4 network.
    typealias Net4 = (UInt32, Int)
    /// (high, low, prefix length) for a v6 network.
    typealias Net6 = (UInt64, UInt64, Int)

    static let private4: [Net4] = [
        (0x0000_0000, 8), (0x0A00_0000, 8), (0x7F00_0000, 8), (0xA9FE_0000, 16), (0xAC10_0000, 12),
        (0xC000_0000, 29), (0xC000_00AA, 31), (0xC000_0200, 24), (0xC0A8_0000, 16), (0xC612_0000, 15),
        (0xC633_6400, 24), (0xCB00_7100, 24), (0xF000_0000, 4), (0xFFFF_FFFF, 32),
    ]
    static let private6: [Net6] = [
        (0, 1, 128), (0, 0, 128), (0, 0x0000_FFFF_0000_0000, 96), (0x0100_0000_0000_0000, 0, 64),
        (0x2001_0000_0000_0000, 0, 23), (0x2001_0002_0000_0000, 0, 48), (0x2001_0DB8_0000_0000, 0, 32),
        (0x2001_0010_0000_0000, 0, 28), (0xFC00_0000_0000_0000, 0, 7), (0xFE80_0000_0000_0000, 0, 10),
    ]
    static let reserved6: [Net6] = [
        (0, 0, 8), (0x0100_0000_0000_0000, 0, 8), (0x0200_0000_0000_0000, 0, 7), (0x0400_0000_0000_0000, 0, 6),
        (0x0800_0000_0000_0000, 0, 5), (0x1000_0000_0000_0000, 0, 4), (0x4000_0000_0000_0000, 0, 3),
        (0x6000_0000_0000_0000, 0, 3), (0x8000_0000_0000_0000, 0, 3), (0xA000_0000_0000_0000, 0, 3),
        (0xC000_0000_0000_0000, 0, 3), (0xE000_0000_0000_0000, 0, 4), (0xF000_0000_0000_0000, 0, 5),
        (0xF800_0000_0000_0000, 0, 6), (0xFE00_0000_0000_0000, 0, 9),
    ]

    static func in4(_ v: UInt32, _ n: Net4) -> Bool {
        let mask: UInt32 = n.1 == 0 ? 0 : ~UInt32(0) << UInt32(32 - n.1)
        return v & mask == n.0
    }

    static func in6(_ hi: UInt64, _ lo: UInt64, _ n: Net6) -> Bool {
        let len = n.2
        let mhi: UInt64 = len >= 64 ? ~0 : (len == 0 ? 0 : ~UInt64(0) << UInt64(64 - len))
        let mlo: UInt64 = len <= 64 ? 0 : (len >= 128 ? ~0 : ~UInt64(0) << UInt64(128 - len))
        return hi & mhi == n.0 && lo & mlo == n.1
    }

    var isPrivate: Bool {
        switch self {
        case .v4(let v): return PyIPAddress.private4.contains { PyIPAddress.in4(v, $0) }
        case .v6(let hi, let lo, _):
            // 3.11.7: an IPv4-mapped address answers with its IPv4 verdict.
            if hi == 0 && lo >> 32 == 0xFFFF { return PyIPAddress.v4(UInt32(truncatingIfNeeded: lo)).isPrivate }
            return PyIPAddress.private6.contains { PyIPAddress.in6(hi, lo, $0) }
        }
    }

    var isLoopback: Bool {
        switch self {
        case .v4(let v): return PyIPAddress.in4(v, (0x7F00_0000, 8))
        case .v6(let hi, let lo, _): return hi == 0 && lo == 1
        }
    }

    var isLinkLocal: Bool {
        switch self {
        case .v4(let v): return PyIPAddress.in4(v, (0xA9FE_0000, 16))
        case .v6(let hi, let lo, _): return PyIPAddress.in6(hi, lo, (0xFE80_0000_0000_0000, 0, 10))
        }
    }

    var isMulticast: Bool {
        switch self {
        case .v4(let v): return PyIPAddress.in4(v, (0xE000_0000, 4))
        case .v6(let hi, let lo, _): return PyIPAddress.in6(hi, lo, (0xFF00_0000_0000_0000, 0, 8))
        }
    }

    var isUnspecified: Bool {
        switch self {
        case .v4(let v): return v == 0
        case .v6(let hi, let lo, _): return hi == 0 && lo == 0
        }
    }

    var isReserved: Bool {
        switch self {
        case .v4(let v): return PyIPAddress.in4(v, (0xF000_0000, 4))
        case .v6(let hi, let lo, _): return PyIPAddress.reserved6.contains { PyIPAddress.in6(hi, lo, $0) }
        }
    }

    /// The reference's `_is_private_ip`: any of the six properties.
    var isBlocked: Bool {
        isPrivate || isLoopback || isLinkLocal || isMulticast || isUnspecified || isReserved
    }

    /// `_is_private_ip(text)`: unparsable text is not private.
    static func isBlockedText(_ s: CPs) -> Bool { parse(s)?.isBlocked ?? false }
}
