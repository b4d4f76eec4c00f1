import Testing
import AnnaJSON
@testable import AnnaCore

@Suite struct UTCTimeTests {
    /// J-DT-1: the buffer writer (every event `ts`) and the string form
    /// agree, with and without microseconds, across leap days, the epoch
    /// and the edges of four-digit years (the writer's fast path).
    @Test func writerMatchesIsoformat() {
        var samples: [Int64] = [0, 1, 999_999, 1_000_000, -1, 951_782_400_000_000, 951_868_799_999_999,
                                253_402_300_799_999_999, 253_402_300_800_000_000, -62_135_596_800_000_000,
                                -62_135_596_800_000_001, 1_795_310_553_123_456]
        var rng = SplitMix(seed: 7)
        for _ in 0..<2000 { samples.append(Int64(bitPattern: rng.next() % 253_402_300_800_000_000)) }
        for m in samples {
            let t = UTCTime(micros: m)
            for z in [false, true] {
                var b = ByteBuffer(capacity: 8)
                t.writeISO(into: &b, z: z)
                #expect(String(decoding: b.bytes, as: UTF8.self) == (z ? t.isoformatZ : t.isoformat), "\(m)")
            }
        }
        #expect(UTCTime(micros: 951_782_400_000_001).isoformatZ == "2000-02-29T00:00:00.000001Z")
        #expect(UTCTime(micros: 0).isoformat == "1970-01-01T00:00:00")
    }
}
