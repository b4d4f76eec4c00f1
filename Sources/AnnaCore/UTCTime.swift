import AnnaJSON

/// A UTC instant in microseconds since the Unix epoch. All runtime times
/// are UTC; none depends on the host's time zone (the reference's
/// `deadlineMs`/`message_id`/`artifact_id` do: J-DT-4, a documented divergence).
public struct UTCTime: Sendable, Comparable {
    public var micros: Int64
    public init(micros: Int64) { self.micros = micros }

    public var seconds: Int64 { floorDiv(micros, 1_000_000) }
    public var millis: Int64 { floorDiv(micros, 1000) }

    public static func < (a: UTCTime, b: UTCTime) -> Bool { a.micros < b.micros }

    /// `YYYY-MM-DDTHH:MM:SS[.ffffff]` (Python `datetime.isoformat()`:
    /// the fraction is omitted when the microsecond is 0).
    public var isoformat: String {
        let secs = seconds
        let us = Int(micros - secs * 1_000_000)
        let days = floorDiv(secs, 86_400)
        let sod = Int(secs - days * 86_400)
        let (y, m, d) = UTCTime.civil(fromDays: days)
        var s = pad(Int(y), 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T"
        s += pad(sod / 3600, 2) + ":" + pad(sod / 60 % 60, 2) + ":" + pad(sod % 60, 2)
        if us != 0 { s += "." + pad(us, 6) }
        return s
    }

    /// J-DT-1: event `ts`, job timestamps.
    public var isoformatZ: String { isoformat + "Z" }

    /// Writes `isoformat` (plus `Z` when asked) without building strings.
    public func writeISO(into out: inout ByteBuffer, z: Bool) {
        let secs = seconds
        let us = Int(micros - secs * 1_000_000)
        let days = floorDiv(secs, 86_400)
        let sod = Int(secs - days * 86_400)
        let (y, m, d) = UTCTime.civil(fromDays: days)
        if (0...9999).contains(y) {
            // Every real clock: fixed-width fields, formatted in a stack
            // buffer and appended once.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 28) { b in
                func put(_ v: Int, _ width: Int, at i: Int) {
                    var v = v
                    for k in stride(from: i + width - 1, through: i, by: -1) { b[k] = UInt8(truncatingIfNeeded: 48 + v % 10); v /= 10 }
                }
                put(Int(y), 4, at: 0); b[4] = UInt8(ascii: "-")
                put(m, 2, at: 5); b[7] = UInt8(ascii: "-")
                put(d, 2, at: 8); b[10] = UInt8(ascii: "T")
                put(sod / 3600, 2, at: 11); b[13] = UInt8(ascii: ":")
                put(sod / 60 % 60, 2, at: 14); b[16] = UInt8(ascii: ":")
                put(sod % 60, 2, at: 17)
                var n = 19
                if us != 0 { b[19] = UInt8(ascii: "."); put(us, 6, at: 20); n = 26 }
                if z { b[n] = UInt8(ascii: "Z"); n += 1 }
                out.append(UnsafeBufferPointer(rebasing: b[0..<n]))
            }
            return
        }
        func digits(_ v: Int, _ width: Int, _ out: inout ByteBuffer) {
            var div = 1
            for _ in 1..<width { div *= 10 }
            var v = v
            if v >= div * 10 { out.appendDecimal(v); return }
            while div > 0 {
                out.append(UInt8(48 + v / div))
                v %= div
                div /= 10
            }
        }
        digits(Int(y), 4, &out); out.append(UInt8(ascii: "-"))
        digits(m, 2, &out); out.append(UInt8(ascii: "-"))
        digits(d, 2, &out); out.append(UInt8(ascii: "T"))
        digits(sod / 3600, 2, &out); out.append(UInt8(ascii: ":"))
        digits(sod / 60 % 60, 2, &out); out.append(UInt8(ascii: ":"))
        digits(sod % 60, 2, &out)
        if us != 0 { out.append(UInt8(ascii: ".")); digits(us, 6, &out) }
        if z { out.append(UInt8(ascii: "Z")) }
    }

    func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// Howard Hinnant's days-from-civil inverse (proleptic Gregorian).
    static func civil(fromDays z0: Int64) -> (Int64, Int, Int) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, Int(m), Int(d))
    }

    static func days(fromCivil y0: Int64, _ m: Int, _ d: Int) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mm = Int64(m)
        let doy = (153 * (mm > 2 ? mm - 3 : mm + 9) + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Builds an instant from civil UTC fields (used by `since` parsing).
    public static func from(year: Int64, month: Int, day: Int, hour: Int = 0, minute: Int = 0,
                            second: Int = 0, micro: Int = 0) -> UTCTime {
        let days = UTCTime.days(fromCivil: year, month, day)
        let secs = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return UTCTime(micros: secs * 1_000_000 + Int64(micro))
    }
}

@inline(__always)
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

/// Source of "now"; injectable so tests and token vectors are deterministic.
public protocol Clock: Sendable {
    func now() -> UTCTime
}
