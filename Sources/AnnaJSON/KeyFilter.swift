extension JSONParser {
    /// The keys of one object being parsed, as a 128-bit Bloom-style filter
    /// (one bit per key): a key whose bit was clear is certainly new.
    struct KeyFilter {
        var low: UInt64 = 0, high: UInt64 = 0

        /// Sets the key's bit; true when it was clear. Hashes the raw bytes
        /// when they are the key itself (no escapes: an escape always makes
        /// the raw text longer than what it decodes to); a key with escapes
        /// sets every bit, which sends every later key to the full check.
        @inline(__always)
        mutating func insert(_ raw: UnsafePointer<UInt8>, rawCount n: Int, key: JStr) -> Bool {
            guard n == key.utf8Count else {
                defer { low = ~0; high = ~0 }
                return low == 0 && high == 0
            }
            let h = KeyFilter.hash(raw, n)
            let bit: UInt64 = 1 << (h >> 58)
            if h & 1 == 0 {
                defer { low |= bit }
                return low & bit == 0
            }
            defer { high |= bit }
            return high & bit == 0
        }

        @inline(__always)
        static func hash(_ raw: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
            // First and last four bytes plus the length, through a 64-bit
            // mixer (splitmix64's finaliser): short keys differ in few low bits.
            var x: UInt64 = 0
            if n >= 4 {
                let r = UnsafeRawPointer(raw)
                x = UInt64(r.loadUnaligned(as: UInt32.self)) | UInt64(r.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)) << 32
            } else {
                for i in 0..<n { x |= UInt64(raw[i]) << (8 * UInt64(i)) }
            }
            x ^= UInt64(truncatingIfNeeded: n) << 56
            var h = x &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            return h &* 0xBF58_476D_1CE4_E5B9
        }
    }
}
