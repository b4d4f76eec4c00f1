/// Random version-4 UUIDs (J-ID-1/2) from the system CSPRNG.
public enum UUID4 {
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func randomBytes() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        var b = [UInt8](repeating: 0, count: 16)
        let x = g.next() as UInt64, y = g.next() as UInt64
        for i in 0..<8 {
            b[i] = UInt8(truncatingIfNeeded: x >> (8 * UInt64(i)))
            b[8 + i] = UInt8(truncatingIfNeeded: y >> (8 * UInt64(i)))
        }
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        return b
    }

    /// 32 lowercase hex digits (`uuid4().hex`).
    public static func hex() -> String {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for byte in randomBytes() {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Canonical 8-4-4-4-12 lowercase form (`str(uuid4())`).
    public static func string() -> String {
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, byte) in randomBytes().enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
