/// Lookups over the generated tables in WebTables.swift. The tables are
/// hex text (a 100 KB array literal is slow to type-check); each is parsed
/// once, on first use, by Swift's thread-safe lazy `static let`.
extension WebTables {
    static func parseHex(_ text: String) -> [UInt32] {
        var out: [UInt32] = []
        var cur: UInt32 = 0
        var inNumber = false
        for b in text.utf8 {
            let d: UInt32
            switch b {
            case 0x30...0x39: d = UInt32(b - 0x30)
            case 0x41...0x46: d = UInt32(b - 0x41 + 10)
            default:
                if inNumber { out.append(cur) }
                cur = 0
                inNumber = false
                continue
            }
            cur = cur &* 16 &+ d
            inNumber = true
        }
        if inNumber { out.append(cur) }
        return out
    }

    /// Binary search over flat inclusive (lo, hi) pairs.
    static func inRanges(_ v: UInt32, _ t: [UInt32]) -> Bool {
        var lo = 0, hi = t.count / 2
        while lo < hi {
            let mid = (lo + hi) / 2
            if v < t[2 * mid] { hi = mid } else if v > t[2 * mid + 1] { lo = mid + 1 } else { return true }
        }
        return false
    }

    /// A `from, count, to...` table as a dictionary.
    static func multiMap(_ t: [UInt32]) -> [UInt32: [UInt32]] {
        var out: [UInt32: [UInt32]] = [:]
        var i = 0
        while i + 1 < t.count {
            let n = Int(t[i + 1])
            guard i + 2 + n <= t.count else { break }
            out[t[i]] = Array(t[(i + 2)..<(i + 2 + n)])
            i += 2 + n
        }
        return out
    }

    static let lowerMap: [UInt32: UInt32] = {
        var m: [UInt32: UInt32] = [:]
        var i = 0
        while i + 1 < lowerPairs.count { m[lowerPairs[i]] = lowerPairs[i + 1]; i += 2 }
        return m
    }()
    static let b2: [UInt32: [UInt32]] = multiMap(b2Map)

    static func nfkcGainsDelimiter(_ v: UInt32) -> Bool { inRanges(v, nfkcDelimiterRanges) }
    static func isB1(_ v: UInt32) -> Bool { inRanges(v, b1Ranges) }
    static func isProhibited(_ v: UInt32) -> Bool { inRanges(v, prohibitedRanges) }
    static func isRandAL(_ v: UInt32) -> Bool { inRanges(v, d1Ranges) }
    static func isL(_ v: UInt32) -> Bool { inRanges(v, d2Ranges) }
}
