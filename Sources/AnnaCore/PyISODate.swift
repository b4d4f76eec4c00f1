import AnnaJSON

/// Python 3.11's `datetime.fromisoformat` (the C implementation), as used by
/// `tools.listJobs` `since` after every `Z` becomes `+00:00` (D-JOBSTORE-7).
/// The offset is parsed and then discarded: the wall time is compared as if
/// it were UTC, exactly like the reference. Returns nil where Python raises.
public enum PyISODate {
    public static func parseSince(_ s: JStr) -> UTCTime? {
        guard !s.hasLoneSurrogate else { return nil }
        var text = Array(s.string.utf8)
        // `since.replace("Z", "+00:00")`
        var replaced: [UInt8] = []
        replaced.reserveCapacity(text.count)
        for c in text {
            if c == UInt8(ascii: "Z") { replaced.append(contentsOf: Array("+00:00".utf8)) } else { replaced.append(c) }
        }
        text = replaced
        return parse(text)
    }

    static func digit(_ c: UInt8) -> Int? { c >= 0x30 && c <= 0x39 ? Int(c - 0x30) : nil }

    static func number(_ b: ArraySlice<UInt8>) -> Int? {
        guard !b.isEmpty else { return nil }
        var v = 0
        for c in b { guard let d = digit(c) else { return nil }; v = v * 10 + d }
        return v
    }

    /// The date part ends at the separator (one arbitrary character).
    static func separator(_ s: [UInt8]) -> Int? {
        let n = s.count
        if n == 7 { return 7 }
        guard n > 7 else { return nil }
        if s[4] == UInt8(ascii: "-") {
            if s[5] == UInt8(ascii: "W") {
                if n > 8 && s[8] == UInt8(ascii: "-") {
                    if n == 9 { return nil }
                    if n > 10 && digit(s[10]) != nil { return 8 }
                    return 10
                }
                return 8
            }
            return 10
        }
        if s[4] == UInt8(ascii: "W") {
            var idx = 7
            while idx < n, digit(s[idx]) != nil { idx += 1 }
            if idx < 9 { return idx }
            return idx % 2 == 0 ? 7 : 8
        }
        return 8
    }

    static func parse(_ raw: [UInt8]) -> UTCTime? {
        // Only the separator may be non-ASCII (CPython sanitises it to 'T').
        var s = raw
        guard s.count >= 7 else { return nil }
        if let firstNonASCII = s.firstIndex(where: { $0 >= 0x80 }) {
            // Replace one multi-byte character at that position by 'T'.
            var end = firstNonASCII + 1
            while end < s.count && s[end] & 0xC0 == 0x80 { end += 1 }
            s.replaceSubrange(firstNonASCII..<end, with: [UInt8(ascii: "T")])
            if s.contains(where: { $0 >= 0x80 }) { return nil }
            // Only valid when it sat exactly at the separator.
            guard let sep = separator(s), sep == firstNonASCII else { return nil }
        }
        guard let sep = separator(s), sep <= s.count else { return nil }
        guard let (y, m, d) = date(Array(s[0..<sep])) else { return nil }
        var hour = 0, minute = 0, second = 0, micro = 0
        if sep < s.count {
            guard sep + 1 < s.count, let t = time(Array(s[(sep + 1)...])) else { return nil }
            (hour, minute, second, micro) = t
        }
        return UTCTime.from(year: Int64(y), month: m, day: d, hour: hour, minute: minute, second: second, micro: micro)
    }

    static func date(_ s: [UInt8]) -> (Int, Int, Int)? {
        guard [7, 8, 10].contains(s.count), let year = number(s[0..<4]) else { return nil }
        let hasSep = s[4] == UInt8(ascii: "-")
        var pos = 4 + (hasSep ? 1 : 0)
        guard pos < s.count else { return nil }
        if s[pos] == UInt8(ascii: "W") {
            pos += 1
            guard pos + 2 <= s.count, let week = number(s[pos..<(pos + 2)]) else { return nil }
            pos += 2
            var day = 1
            if s.count > pos {
                if (s[pos] == UInt8(ascii: "-")) != hasSep { return nil }
                pos += hasSep ? 1 : 0
                guard pos + 1 <= s.count, let dd = number(s[pos..<(pos + 1)]), pos + 1 == s.count else { return nil }
                day = dd
            }
            return isoWeek(year, week, day)
        }
        guard pos + 2 <= s.count, let month = number(s[pos..<(pos + 2)]) else { return nil }
        pos += 2
        if (pos < s.count && s[pos] == UInt8(ascii: "-")) != hasSep { return nil }
        pos += hasSep ? 1 : 0
        guard pos + 2 == s.count, let day = number(s[pos..<(pos + 2)]) else { return nil }
        guard year >= 1, month >= 1, month <= 12, day >= 1, day <= daysIn(year, month) else { return nil }
        return (year, month, day)
    }

    static func isLeap(_ y: Int) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }
    static func daysIn(_ y: Int, _ m: Int) -> Int {
        [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    }

    static func isoWeek(_ year: Int, _ week: Int, _ day: Int) -> (Int, Int, Int)? {
        guard year >= 1, year <= 9999, week >= 1, day >= 1, day <= 7 else { return nil }
        if week > 52 {
            // Week 53 exists only in long years.
            let jan1 = (UTCTime.days(fromCivil: Int64(year), 1, 1) + 3) % 7   // 0 = Monday
            let long = jan1 == 3 || (jan1 == 2 && isLeap(year))
            guard week == 53, long else { return nil }
        }
        let jan4 = UTCTime.days(fromCivil: Int64(year), 1, 4)
        let jan4Weekday = Int(((jan4 + 3) % 7 + 7) % 7)   // 0 = Monday
        let week1Monday = jan4 - Int64(jan4Weekday)
        let days = week1Monday + Int64((week - 1) * 7 + (day - 1))
        let (y, m, d) = UTCTime.civil(fromDays: days)
        guard y >= 1, y <= 9999 else { return nil }
        return (Int(y), m, d)
    }

    /// `HH[:MM[:SS[.ffffff]]][±HH[:MM[:SS[.ffffff]]]]` (offset discarded).
    static func time(_ t: [UInt8]) -> (Int, Int, Int, Int)? {
        guard t.count >= 2 else { return nil }
        let tzPos = t.firstIndex(of: UInt8(ascii: "-")) ?? t.firstIndex(of: UInt8(ascii: "+"))
        let clock = tzPos.map { Array(t[..<$0]) } ?? t
        guard let (h, m, sec, us) = hhmmssff(clock) else { return nil }
        if let tzPos {
            let tz = Array(t[(tzPos + 1)...])
            guard ![0, 1, 3].contains(tz.count), let (th, tm, ts, tus) = hhmmssff(tz) else { return nil }
            guard th < 24, tm < 60, ts < 60, tus < 1_000_000 else { return nil }
        }
        guard h < 24, m < 60, sec < 60 else { return nil }
        return (h, m, sec, us)
    }

    static func hhmmssff(_ s: [UInt8]) -> (Int, Int, Int, Int)? {
        var comps = [0, 0, 0]
        var pos = 0
        var hasSep = false
        for comp in 0..<3 {
            guard s.count - pos >= 2, let v = number(s[pos..<(pos + 2)]) else { return nil }
            comps[comp] = v
            pos += 2
            let next: UInt8? = pos < s.count ? s[pos] : nil
            if comp == 0 { hasSep = next == UInt8(ascii: ":") }
            if next == nil || comp >= 2 { break }
            if hasSep && next != UInt8(ascii: ":") { return nil }
            pos += hasSep ? 1 : 0
        }
        var micro = 0
        if pos < s.count {
            guard s[pos] == UInt8(ascii: ".") || s[pos] == UInt8(ascii: ",") else { return nil }
            pos += 1
            let remainder = s.count - pos
            guard remainder > 0 else { return nil }
            let take = min(remainder, 6)
            guard let f = number(s[pos..<(pos + take)]) else { return nil }
            micro = f * [100_000, 10_000, 1000, 100, 10, 1][take - 1]
            for c in s[(pos + take)...] where digit(c) == nil { return nil }
        }
        return (comps[0], comps[1], comps[2], micro)
    }
}
