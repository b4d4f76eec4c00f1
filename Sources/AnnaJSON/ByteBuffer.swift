#if canImport(Glibc)
import Glibc
#endif

/// A growable byte buffer on the C heap. Its bytes can be handed to a C
/// caller as a NUL-terminated string without a copy (`takeCString`), which
/// is how every `char *` the library returns is produced; the caller
/// releases it with `anna_string_free` (= `free`).
public struct ByteBuffer: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    @usableFromInline var _count: Int = 0
    public var count: Int { _count }
    @usableFromInline var released = false

    // The two fatalErrors below are malloc/realloc failures only: every
    // buffer is sized by input the runtime has already capped (16 MiB lines,
    // 256 KiB states), so no input can ask for an impossible size; running
    // out of memory would trap in Swift's own allocations anyway.
    public init(capacity: Int = 256) {
        let cap = Swift.max(capacity, 16)
        guard let p = malloc(cap) else { fatalError("out of memory") }
        base = p.assumingMemoryBound(to: UInt8.self)
        self.capacity = cap
        _count = 0
    }

    deinit { if !released { free(base) } }

    @usableFromInline
    mutating func grow(_ needed: Int) {
        var cap = capacity
        while cap < needed { cap = cap &* 2 }
        guard let p = realloc(base, cap) else { fatalError("out of memory") }
        base = p.assumingMemoryBound(to: UInt8.self)
        capacity = cap
    }

    @inlinable @inline(__always)
    public mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    @inlinable @inline(__always)
    public mutating func append(_ byte: UInt8) {
        if count == capacity { grow(count + 1) }
        base[count] = byte
        _count += 1
    }

    @inlinable
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).update(from: src, count: bytes.count)
        _count += bytes.count
    }

    @inlinable
    public mutating func append(_ s: StaticString) {
        append(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Disfavoured so that string literals take the StaticString overload
    /// (a pointer and a length, no String machinery).
    @_disfavoredOverload
    public mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { append($0) }
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    public mutating func appendDecimal(_ v: Int) {
        if v >= 0 && v < 10 { append(UInt8(48 + v)); return }
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes of scratch
        let negative = v < 0
        var m = v.magnitude
        withUnsafeMutableBytes(of: &tmp) { raw in
            var i = 24
            while m > 0 {
                i -= 1
                raw[i] = UInt8(48 + m % 10)
                m /= 10
            }
            if negative { i -= 1; raw[i] = UInt8(ascii: "-") }
            append(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + i, count: 24 - i))
        }
    }

    public mutating func removeAll() { _count = 0 }

    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    public var bytes: [UInt8] { withBytes { Array($0) } }
    public var string: String { withBytes { String(decoding: $0, as: UTF8.self) } }

    /// Hands the bytes to C as a NUL-terminated malloc'd string; the
    /// buffer is consumed.
    public consuming func takeCString() -> UnsafeMutablePointer<CChar> {
        append(0)
        released = true
        return UnsafeMutableRawPointer(base).assumingMemoryBound(to: CChar.self)
    }
}
