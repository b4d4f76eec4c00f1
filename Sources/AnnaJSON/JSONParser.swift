/// Why a JSON text was rejected.
public enum JSONParseError: Error, Equatable, Sendable {
    /// Not JSON (Python `json.JSONDecodeError`).
    case syntax(offset: Int)
    /// The text is not valid UTF-8 (the reference bridge dies here: J-DEC-6).
    case invalidUTF8
    /// Nesting deeper than `JSONParser.maxDepth` (the reference dies: J-BUG-1).
    case tooDeep
    /// An integer literal longer than Python's 4300-digit limit (J-DEC-2).
    case integerTooLong
}

/// A strict JSON parser with Python `json.loads` semantics (J-DEC-*,
/// BR-JSON-3): NaN/Infinity literals, unbounded integers, doubles that
/// overflow to infinity, last duplicate key wins at the first key's
/// position, lone surrogate escapes preserved, raw control characters in
/// strings rejected, one value per text.
public struct JSONParser {
    /// The reference bridge decodes a request whose `params` hold 980
    /// nested arrays (982 containers in all) and dies one level deeper
    /// (errata J-BUG-1); we accept the same depth and reject deeper input.
    public static let maxDepth = 982
    /// Python refuses integer literals with more digits than this.
    public static let maxIntegerDigits = 4300

    let base: UnsafePointer<UInt8>
    let end: Int
    var pos = 0
    var depth = 0

    init(_ buf: UnsafeBufferPointer<UInt8>) {
        // An empty buffer may have a nil base address; point at a constant.
        base = buf.baseAddress ?? JSONParser.emptyByte
        end = buf.count
    }

    static let emptyByte: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    /// Parses one complete JSON text (surrounding JSON whitespace allowed).
    /// The bytes must already be valid UTF-8 unless `validateUTF8` is set.
    public static func parse(_ buf: UnsafeBufferPointer<UInt8>, validateUTF8: Bool = true) throws(JSONParseError) -> JSON {
        if validateUTF8 && !isValidUTF8(buf) { throw .invalidUTF8 }
        var p = JSONParser(buf)
        p.skipWhitespace()
        let v = try p.parseValue()
        p.skipWhitespace()
        if p.pos != p.end { throw .syntax(offset: p.pos) }
        return v
    }

    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSON {
        let r: Result<JSON, JSONParseError> = bytes.withUnsafeBufferPointer { buf in
            Result { () throws(JSONParseError) -> JSON in try parse(buf) }
        }
        return try r.get()
    }

    public static func parse(_ text: String) throws(JSONParseError) -> JSON {
        var s = text
        let r: Result<JSON, JSONParseError> = s.withUTF8 { buf in
            Result { () throws(JSONParseError) -> JSON in try parse(buf, validateUTF8: false) }
        }
        return try r.get()
    }

    public static func isValidUTF8(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        // Fast path for ASCII, which is what almost every request is.
        var i = 0
        let n = buf.count
        if let base = buf.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= n && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080808080808080 == 0 { i += 8 }
        }
        while i < n && buf[i] < 0x80 { i += 1 }
        if i == n { return true }
        return String(validating: UnsafeBufferPointer(rebasing: buf[i...]), as: UTF8.self) != nil
    }

    @inline(__always)
    func peek() -> UInt8? { pos < end ? base[pos] : nil }

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < end {
            let c = base[pos]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { break }
        }
    }

    @inline(__always)
    mutating func expectLiteral(_ lit: StaticString) throws(JSONParseError) {
        let n = lit.utf8CodeUnitCount
        guard end - pos >= n else { throw .syntax(offset: pos) }
        let p = lit.utf8Start
        for i in 0..<n where base[pos + i] != p[i] { throw .syntax(offset: pos) }
        pos += n
    }

    mutating func parseValue() throws(JSONParseError) -> JSON {
        guard pos < end else { throw .syntax(offset: pos) }
        switch base[pos] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "N"): try expectLiteral("NaN"); return .double(.nan)
        case UInt8(ascii: "I"): try expectLiteral("Infinity"); return .double(.infinity)
        case UInt8(ascii: "-"):
            if pos + 1 < end && base[pos + 1] == UInt8(ascii: "I") {
                pos += 1
                try expectLiteral("Infinity")
                return .double(-.infinity)
            }
            return try parseNumber()
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        default:
            throw .syntax(offset: pos)
        }
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > JSONParser.maxDepth { throw .tooDeep }
    }

    mutating func parseObject() throws(JSONParseError) -> JSON {
        try enter()
        pos += 1
        var obj = JObject(minimumCapacity: 4)
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            pos += 1
            depth -= 1
            return .object(obj)
        }
        // Keys seen so far, as a 64-bit filter: a key whose bit is clear is
        // new and appended without scanning the object for a duplicate.
        var seen = KeyFilter()
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw .syntax(offset: pos) }
            let keyStart = pos + 1
            let key = try parseString()
            let fresh = seen.insert(base + keyStart, rawCount: pos - 1 - keyStart, key: key)
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw .syntax(offset: pos) }
            pos += 1
            skipWhitespace()
            let value = try parseValue()
            if fresh {
                obj.appendNew(key, value)
            } else {
                obj.set(key, value)   // maybe a duplicate: Python keeps the last value
            }
            skipWhitespace()
            guard let c = peek() else { throw .syntax(offset: pos) }
            pos += 1
            if c == UInt8(ascii: ",") { skipWhitespace(); continue }
            if c == UInt8(ascii: "}") { break }
            throw .syntax(offset: pos - 1)
        }
        depth -= 1
        return .object(obj)
    }

    mutating func parseArray() throws(JSONParseError) -> JSON {
        try enter()
        pos += 1
        var arr: [JSON] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            pos += 1
            depth -= 1
            return .array(arr)
        }
        while true {
            arr.append(try parseValue())
            skipWhitespace()
            guard let c = peek() else { throw .syntax(offset: pos) }
            pos += 1
            if c == UInt8(ascii: ",") { skipWhitespace(); continue }
            if c == UInt8(ascii: "]") { break }
            throw .syntax(offset: pos - 1)
        }
        depth -= 1
        return .array(arr)
    }

    mutating func parseNumber() throws(JSONParseError) -> JSON {
        let start = pos
        var negative = false
        if base[pos] == UInt8(ascii: "-") { negative = true; pos += 1 }
        let intStart = pos
        guard pos < end else { throw .syntax(offset: pos) }
        if base[pos] == UInt8(ascii: "0") {
            pos += 1
        } else if base[pos] >= UInt8(ascii: "1") && base[pos] <= UInt8(ascii: "9") {
            while pos < end && base[pos] >= UInt8(ascii: "0") && base[pos] <= UInt8(ascii: "9") { pos += 1 }
        } else {
            throw .syntax(offset: pos)
        }
        let intEnd = pos
        var isFloat = false
        // Fraction: only when followed by at least one digit (else "1." is
        // the integer 1 followed by garbage, as in Python's scanner).
        if pos + 1 < end && base[pos] == UInt8(ascii: "."), isDigit(base[pos + 1]) {
            isFloat = true
            pos += 1
            while pos < end && isDigit(base[pos]) { pos += 1 }
        }
        if pos < end && (base[pos] == UInt8(ascii: "e") || base[pos] == UInt8(ascii: "E")) {
            var q = pos + 1
            if q < end && (base[q] == UInt8(ascii: "+") || base[q] == UInt8(ascii: "-")) { q += 1 }
            if q < end && isDigit(base[q]) {
                isFloat = true
                while q < end && isDigit(base[q]) { q += 1 }
                pos = q
            }
        }
        if !isFloat {
            let nDigits = intEnd - intStart
            if nDigits <= 18 {
                var v = 0
                for i in intStart..<intEnd { v = v &* 10 &+ Int(base[i] &- 48) }
                return .int(negative ? -v : v)
            }
            if nDigits > JSONParser.maxIntegerDigits { throw .integerTooLong }
            let text = String(decoding: UnsafeBufferPointer(start: base + intStart, count: nDigits), as: UTF8.self)
            return PyBigInt.make(negative: negative, digits: text)
        }
        let text = String(decoding: UnsafeBufferPointer(start: base + start, count: pos - start), as: UTF8.self)
        guard let d = Double(text) else { throw .syntax(offset: start) }
        return .double(d)
    }

    @inline(__always)
    func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    @inline(__always)
    func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x30...0x39: return UInt32(c - 0x30)
        case 0x41...0x46: return UInt32(c - 0x41 + 10)
        case 0x61...0x66: return UInt32(c - 0x61 + 10)
        default: return nil
        }
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard end - pos >= 4 else { throw .syntax(offset: pos) }
        var v: UInt32 = 0
        for i in 0..<4 {
            guard let h = hexValue(base[pos + i]) else { throw .syntax(offset: pos) }
            v = v << 4 | h
        }
        pos += 4
        return v
    }

    mutating func parseString() throws(JSONParseError) -> JStr {
        pos += 1   // opening quote
        let start = pos
        // Fast path: no escapes. Skip 8 plain bytes at a time first.
        let raw = UnsafeRawPointer(base)
        while pos + 8 <= end {
            let w = raw.loadUnaligned(fromByteOffset: pos, as: UInt64.self)
            let ones: UInt64 = 0x0101010101010101, highs: UInt64 = 0x8080808080808080
            let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
            let special = ((w &- ones &* 0x20) & ~w) | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
            // Any control byte, quote or backslash in the word (exact for
            // "any"; a false alarm only falls back to the byte loop).
            if special & highs != 0 { break }
            pos += 8
        }
        while pos < end {
            let c = base[pos]
            if c == UInt8(ascii: "\"") {
                let n = pos - start
                pos += 1
                if let known = KeyInterning.lookup(base + start, n) { return known }
                return JStr(String(decoding: UnsafeBufferPointer(start: base + start, count: n), as: UTF8.self))
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw .syntax(offset: pos) }
            pos += 1
        }
        guard pos < end else { throw .syntax(offset: pos) }
        var bytes = [UInt8](UnsafeBufferPointer(start: base + start, count: pos - start))
        var lone = false
        while pos < end {
            let c = base[pos]
            if c == UInt8(ascii: "\"") {
                pos += 1
                if lone { return JStr(wtf8: bytes) }
                return JStr(String(decoding: bytes, as: UTF8.self))
            }
            if c < 0x20 { throw .syntax(offset: pos) }
            if c != UInt8(ascii: "\\") {
                bytes.append(c)
                pos += 1
                continue
            }
            pos += 1
            guard pos < end else { throw .syntax(offset: pos) }
            let e = base[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "/"): bytes.append(0x2F)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var cp = try parseHex4()
                if cp >= 0xD800 && cp <= 0xDBFF,
                   end - pos >= 6, base[pos] == UInt8(ascii: "\\"), base[pos + 1] == UInt8(ascii: "u") {
                    let save = pos
                    pos += 2
                    let lo = try parseHex4()
                    if lo >= 0xDC00 && lo <= 0xDFFF {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                    } else {
                        pos = save
                    }
                }
                if cp >= 0xD800 && cp <= 0xDFFF { lone = true }
                appendWTF8(cp, to: &bytes)
            default:
                throw .syntax(offset: pos - 1)
            }
        }
        throw .syntax(offset: pos)
    }
}
