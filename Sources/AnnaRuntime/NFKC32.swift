/// `unicodedata.ucd_3_2_0.normalize("NFKC", s)`, the normalisation step of
/// nameprep (RFC 3491 pins Unicode 3.2). Compatibility decomposition,
/// canonical reordering and canonical composition over the generated 3.2
/// tables; Hangul syllables are handled arithmetically.
enum NFKC32 {
    static let sBase: UInt32 = 0xAC00, lBase: UInt32 = 0x1100, vBase: UInt32 = 0x1161, tBase: UInt32 = 0x11A7
    static let lCount: UInt32 = 19, vCount: UInt32 = 21, tCount: UInt32 = 28
    static let nCount = vCount * tCount, sCount = lCount * vCount * tCount

    static let decomposition: [UInt32: [UInt32]] = WebTables.multiMap(WebTables.nfkd32Map)

    static let composition: [UInt64: UInt32] = {
        var m: [UInt64: UInt32] = [:]
        let t = WebTables.compose32Triples
        var i = 0
        while i + 2 < t.count { m[UInt64(t[i]) << 32 | UInt64(t[i + 1])] = t[i + 2]; i += 3 }
        return m
    }()

    static func ccc(_ c: UInt32) -> UInt32 {
        let t = WebTables.ccc32Ranges
        var lo = 0, hi = t.count / 3
        while lo < hi {
            let mid = (lo + hi) / 2
            if c < t[3 * mid] { hi = mid } else if c > t[3 * mid + 1] { lo = mid + 1 } else { return t[3 * mid + 2] }
        }
        return 0
    }

    static func normalize(_ s: CPs) -> CPs { compose(reorder(decompose(s))) }

    static func decompose(_ s: CPs) -> CPs {
        var out: CPs = []
        out.reserveCapacity(s.count)
        for c in s {
            if c >= sBase && c < sBase + sCount {
                let i = c - sBase
                out.append(lBase + i / nCount)
                out.append(vBase + (i % nCount) / tCount)
                if i % tCount != 0 { out.append(tBase + i % tCount) }
            } else if let d = decomposition[c] {
                out.append(contentsOf: d)
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// Stable sort of each run of non-starters by combining class.
    static func reorder(_ s: CPs) -> CPs {
        var out = s
        var i = 0
        while i < out.count {
            if ccc(out[i]) == 0 { i += 1; continue }
            var j = i
            while j < out.count && ccc(out[j]) != 0 { j += 1 }
            let run = out[i..<j].enumerated().sorted { (a, b) in
                let ca = ccc(a.element), cb = ccc(b.element)
                return ca != cb ? ca < cb : a.offset < b.offset
            }.map { $0.element }
            out.replaceSubrange(i..<j, with: run)
            i = j
        }
        return out
    }

    static func pair(_ a: UInt32, _ b: UInt32) -> UInt32? {
        if a >= lBase && a < lBase + lCount && b >= vBase && b < vBase + vCount {
            return sBase + ((a - lBase) * vCount + (b - vBase)) * tCount
        }
        if a >= sBase && a < sBase + sCount && (a - sBase) % tCount == 0 && b > tBase && b < tBase + tCount {
            return a + (b - tBase)
        }
        return composition[UInt64(a) << 32 | UInt64(b)]
    }

    /// The canonical composition algorithm of UAX #15.
    static func compose(_ s: CPs) -> CPs {
        guard let first = s.first else { return s }
        var out: CPs = [first]
        var starterPos = 0
        var lastClass: UInt32 = ccc(first) == 0 ? 0 : 256
        for c in s.dropFirst() {
            let cc = ccc(c)
            if lastClass < cc || lastClass == 0, let comp = pair(out[starterPos], c) {
                out[starterPos] = comp
                continue
            }
            if cc == 0 { starterPos = out.count }
            lastClass = cc
            out.append(c)
        }
        return out
    }
}
