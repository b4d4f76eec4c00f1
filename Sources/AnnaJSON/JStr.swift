#if canImport(Glibc)
import Glibc
#endif

/// A JSON string with Python semantics.
///
/// The reference keeps strings as sequences of code points: equality and
/// ordering are by code point, with no Unicode normalisation, and a lone
/// surrogate (`"\ud800"` in JSON) is a legal one-code-point string
/// (J-DEC-5, J-ORDER-1). Swift's `String` compares canonically-equivalent
/// strings as equal and cannot hold lone surrogates, so every semantic
/// operation here works on bytes:
///
/// * the common case keeps a Swift `String` (small strings need no heap
///   allocation, which matters on the 1 µs request path);
/// * a string that holds a lone surrogate is kept as WTF-8 bytes (UTF-8
///   generalised to encode surrogate code points as 3-byte sequences).
///
/// Byte order of (W)UTF-8 equals code-point order, so `<` on bytes is the
/// Python ordering.
public struct JStr: Sendable {
    /// Valid text as a Swift `String`; for a string holding a lone
    /// surrogate, its WTF-8 bytes, one Latin-1 scalar per byte.
    @usableFromInline var storage: String
    /// True when `storage` carries WTF-8 bytes (a lone surrogate inside).
    @usableFromInline var isWTF8: Bool

    @inlinable
    public init(_ string: String) {
        storage = string
        isWTF8 = false
    }

    /// Builds a string from generalised UTF-8. Valid UTF-8 becomes a Swift
    /// `String`; bytes carrying surrogate code points stay raw.
    public init(wtf8 bytes: [UInt8]) {
        if let s = String(validating: bytes, as: UTF8.self) {
            storage = s
            isWTF8 = false
        } else {
            storage = JStr.latin1(bytes)
            isWTF8 = true
        }
    }

    /// Builds a string from a buffer that is known to be valid UTF-8 or WTF-8.
    public init(wtf8Buffer buf: UnsafeBufferPointer<UInt8>) {
        if let s = String(validating: buf, as: UTF8.self) {
            storage = s
            isWTF8 = false
        } else {
            storage = JStr.latin1(Array(buf))
            isWTF8 = true
        }
    }

    static func latin1(_ bytes: [UInt8]) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(b)) }
        return String(s)
    }

    /// The raw WTF-8 bytes of a lone-surrogate string.
    @usableFromInline
    var wtf8Bytes: [UInt8] { storage.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) } }

    public static let empty = JStr("")

    /// The Swift string. Lone surrogates (only possible in `.wtf8`) become
    /// U+FFFD; use this only where the value feeds the OS or Swift APIs.
    public var string: String {
        isWTF8 ? String(decoding: wtf8Bytes, as: UTF8.self) : storage
    }

    /// True when the string holds a lone surrogate.
    @inlinable
    public var hasLoneSurrogate: Bool { isWTF8 }

    @inlinable
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if !isWTF8 {
            if let r = try storage.utf8.withContiguousStorageIfAvailable(body) { return r }
            var copy = storage
            return try copy.withUTF8(body)
        }
        return try wtf8Bytes.withUnsafeBufferPointer(body)
    }

    @inlinable
    public var utf8Count: Int { isWTF8 ? storage.unicodeScalars.count : storage.utf8.count }

    public var isEmpty: Bool { utf8Count == 0 }

    /// Python `len()`: number of code points.
    public var codePointCount: Int {
        withBytes { buf in
            var n = 0
            for b in buf where b & 0xC0 != 0x80 { n += 1 }
            return n
        }
    }

    /// Python `s[:n]` (code points).
    public func prefix(codePoints n: Int) -> JStr {
        if n <= 0 { return .empty }
        return withBytes { buf -> JStr in
            var seen = 0
            var i = 0
            while i < buf.count {
                if buf[i] & 0xC0 != 0x80 {
                    if seen == n { return JStr(wtf8Buffer: UnsafeBufferPointer(rebasing: buf[0..<i])) }
                    seen += 1
                }
                i += 1
            }
            return self
        }
    }

    @_disfavoredOverload
    public func hasPrefix(_ other: JStr) -> Bool {
        withBytes { a in
            other.withBytes { b in
                b.count <= a.count && (b.count == 0 || memcmpBytes(a.baseAddress!, b.baseAddress!, b.count) == 0)
            }
        }
    }

    public func hasPrefix(_ ascii: StaticString) -> Bool {
        withBytes { a in
            let n = ascii.utf8CodeUnitCount
            return n <= a.count && (n == 0 || memcmpBytes(a.baseAddress!, ascii.utf8Start, n) == 0)
        }
    }

    public func contains(_ needle: JStr) -> Bool {
        withBytes { hay in
            needle.withBytes { nd in
                if nd.count == 0 { return true }
                if nd.count > hay.count { return false }
                var i = 0
                let last = hay.count - nd.count
                while i <= last {
                    if hay[i] == nd[0] && memcmpBytes(hay.baseAddress! + i, nd.baseAddress!, nd.count) == 0 { return true }
                    i += 1
                }
                return false
            }
        }
    }

    /// Equality with an ASCII literal, without building a `JStr`.
    @inlinable
    public func equals(_ ascii: StaticString) -> Bool {
        if isWTF8 || storage.utf8.count != ascii.utf8CodeUnitCount { return false }
        return withBytes { a in
            a.count == ascii.utf8CodeUnitCount && (a.count == 0 || bytesEqual(a.baseAddress!, ascii.utf8Start, a.count))
        }
    }

    /// Decoded code points (surrogates included as their own values).
    public var codePoints: [UInt32] {
        withBytes { buf in
            var out: [UInt32] = []
            out.reserveCapacity(buf.count)
            var i = 0
            while i < buf.count {
                let (cp, len) = decodeWTF8(buf, i)
                out.append(cp)
                i += len
            }
            return out
        }
    }

    public init(codePoints: [UInt32]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(codePoints.count)
        for cp in codePoints { appendWTF8(cp, to: &bytes) }
        self.init(wtf8: bytes)
    }
}

@usableFromInline @inline(__always)
func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
    memcmp(a, b, n)
}

/// Equality of two short byte runs without a libc call: keys and method
/// names are compared on every request, and nearly all are under 24 bytes.
@usableFromInline @inline(__always)
func bytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    if n > 32 { return memcmp(a, b, n) == 0 }
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    var i = 0
    while i + 8 <= n {
        if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

/// Decodes one code point from (W)UTF-8 known to be well formed.
@inline(__always)
func decodeWTF8(_ buf: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
    let b0 = UInt32(buf[i])
    if b0 < 0x80 { return (b0, 1) }
    if b0 < 0xE0 {
        return (((b0 & 0x1F) << 6) | (UInt32(buf[i + 1]) & 0x3F), 2)
    }
    if b0 < 0xF0 {
        return (((b0 & 0x0F) << 12) | ((UInt32(buf[i + 1]) & 0x3F) << 6) | (UInt32(buf[i + 2]) & 0x3F), 3)
    }
    return (((b0 & 0x07) << 18) | ((UInt32(buf[i + 1]) & 0x3F) << 12)
            | ((UInt32(buf[i + 2]) & 0x3F) << 6) | (UInt32(buf[i + 3]) & 0x3F), 4)
}

/// Appends one code point as (W)UTF-8; surrogates get their 3-byte form.
@inline(__always)
func appendWTF8(_ cp: UInt32, to out: inout [UInt8]) {
    switch cp {
    case 0..<0x80:
        out.append(UInt8(cp))
    case 0x80..<0x800:
        out.append(UInt8(0xC0 | (cp >> 6)))
        out.append(UInt8(0x80 | (cp & 0x3F)))
    case 0x800..<0x10000:
        out.append(UInt8(0xE0 | (cp >> 12)))
        out.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (cp & 0x3F)))
    default:
        out.append(UInt8(0xF0 | (cp >> 18)))
        out.append(UInt8(0x80 | ((cp >> 12) & 0x3F)))
        out.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (cp & 0x3F)))
    }
}

extension JStr: Hashable {
    @inlinable
    public static func == (a: JStr, b: JStr) -> Bool {
        if a.isWTF8 != b.isWTF8 || a.storage.utf8.count != b.storage.utf8.count { return false }
        return a.withBytes { x in
            b.withBytes { y in
                x.count == y.count && (x.count == 0 || bytesEqual(x.baseAddress!, y.baseAddress!, x.count))
            }
        }
    }

    @inlinable
    public func hash(into hasher: inout Hasher) {
        withBytes { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension JStr: Comparable {
    /// Code-point order (J-ORDER-1).
    public static func < (a: JStr, b: JStr) -> Bool {
        a.withBytes { x in
            b.withBytes { y in
                let n = Swift.min(x.count, y.count)
                if n > 0 {
                    let c = memcmpBytes(x.baseAddress!, y.baseAddress!, n)
                    if c != 0 { return c < 0 }
                }
                return x.count < y.count
            }
        }
    }
}

extension JStr: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self.init(value) }
}

extension JStr: CustomStringConvertible {
    public var description: String { string }
}

extension JStr {
    public static func + (a: JStr, b: JStr) -> JStr {
        if !a.isWTF8 && !b.isWTF8 { return JStr(a.storage + b.storage) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(a.utf8Count + b.utf8Count)
        a.withBytes { bytes.append(contentsOf: $0) }
        b.withBytes { bytes.append(contentsOf: $0) }
        return JStr(wtf8: bytes)
    }
}

/// Lets messages be written as `"unknown view '\(name)'" as JStr` while
/// keeping lone surrogates of interpolated values intact.
extension JStr: ExpressibleByStringInterpolation {
    public struct StringInterpolation: StringInterpolationProtocol {
        var bytes: [UInt8] = []
        var plain = true
        public init(literalCapacity: Int, interpolationCount: Int) {
            bytes.reserveCapacity(literalCapacity + interpolationCount * 8)
        }
        public mutating func appendLiteral(_ literal: String) { bytes.append(contentsOf: literal.utf8) }
        public mutating func appendInterpolation(_ s: JStr) {
            if s.hasLoneSurrogate { plain = false }
            s.withBytes { bytes.append(contentsOf: $0) }
        }
        public mutating func appendInterpolation(_ s: String) { bytes.append(contentsOf: s.utf8) }
        public mutating func appendInterpolation(_ n: Int) { bytes.append(contentsOf: String(n).utf8) }
    }

    public init(stringInterpolation: StringInterpolation) {
        if stringInterpolation.plain {
            self.init(String(decoding: stringInterpolation.bytes, as: UTF8.self))
        } else {
            self.init(wtf8: stringInterpolation.bytes)
        }
    }
}
