/// BLAKE2b (RFC 7693), unkeyed, with a configurable digest length.
///
/// Storage etags are BLAKE2b with an 8-byte digest (`digest_size=8`, which
/// is part of the parameter block, so NOT a truncated BLAKE2b-512: J-ETAG-1).
/// swift-crypto has no BLAKE2, and the etag is an identifier, not a
/// security boundary, so this small implementation is checked against the
/// spec's vectors and Python's hashlib in the tests.
public struct Blake2b {
    static let iv: [UInt64] = [
        0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
        0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
    ]
    static let sigma: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ]

    /// Digest of `data` with an `outlen`-byte output (1...64).
    public static func hash(_ data: UnsafeBufferPointer<UInt8>, outlen: Int) -> [UInt8] {
        var h = iv
        h[0] ^= 0x01010000 ^ UInt64(outlen)
        var t: UInt64 = 0
        var block = [UInt64](repeating: 0, count: 16)
        let n = data.count
        var offset = 0
        // All full blocks except the last (the last block, even if full, is final).
        while n - offset > 128 {
            load(data, offset, 128, into: &block)
            t &+= 128
            compress(&h, block, t, last: false)
            offset += 128
        }
        let rem = n - offset
        load(data, offset, rem, into: &block)
        t &+= UInt64(rem)
        compress(&h, block, t, last: true)
        var out = [UInt8]()
        out.reserveCapacity(outlen)
        for i in 0..<outlen { out.append(UInt8(truncatingIfNeeded: h[i / 8] >> (8 * UInt64(i % 8)))) }
        return out
    }

    public static func hash(_ bytes: [UInt8], outlen: Int) -> [UInt8] {
        bytes.withUnsafeBufferPointer { hash($0, outlen: outlen) }
    }

    @inline(__always)
    static func load(_ data: UnsafeBufferPointer<UInt8>, _ offset: Int, _ count: Int, into block: inout [UInt64]) {
        for i in 0..<16 { block[i] = 0 }
        for i in 0..<count {
            block[i / 8] |= UInt64(data[offset + i]) << (8 * UInt64(i % 8))
        }
    }

    @inline(__always)
    static func rotr(_ x: UInt64, _ n: UInt64) -> UInt64 { (x >> n) | (x << (64 - n)) }

    static func compress(_ h: inout [UInt64], _ m: [UInt64], _ t: UInt64, last: Bool) {
        var v = h + iv
        v[12] ^= t
        if last { v[14] = ~v[14] }
        @inline(__always) func g(_ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt64, _ y: UInt64) {
            v[a] = v[a] &+ v[b] &+ x; v[d] = rotr(v[d] ^ v[a], 32)
            v[c] = v[c] &+ v[d];      v[b] = rotr(v[b] ^ v[c], 24)
            v[a] = v[a] &+ v[b] &+ y; v[d] = rotr(v[d] ^ v[a], 16)
            v[c] = v[c] &+ v[d];      v[b] = rotr(v[b] ^ v[c], 63)
        }
        for r in 0..<12 {
            let s = sigma[r % 10]
            g(0, 4, 8, 12, m[s[0]], m[s[1]])
            g(1, 5, 9, 13, m[s[2]], m[s[3]])
            g(2, 6, 10, 14, m[s[4]], m[s[5]])
            g(3, 7, 11, 15, m[s[6]], m[s[7]])
            g(0, 5, 10, 15, m[s[8]], m[s[9]])
            g(1, 6, 11, 12, m[s[10]], m[s[11]])
            g(2, 7, 8, 13, m[s[12]], m[s[13]])
            g(3, 4, 9, 14, m[s[14]], m[s[15]])
        }
        for i in 0..<8 { h[i] ^= v[i] ^ v[i + 8] }
    }
}
