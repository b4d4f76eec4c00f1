/// Incremental access to a JSON text, for callers that know the shape they
/// expect (the bridge's `session.call` envelope) and want to materialise
/// only some members. Same grammar and limits as `JSONParser`.
public struct JSONScanner {
    var p: JSONParser

    /// The bytes must be valid UTF-8 (checked by the caller).
    public init(_ buf: UnsafeBufferPointer<UInt8>) { p = JSONParser(buf) }

    public mutating func skipWhitespace() { p.skipWhitespace() }

    /// Consumes `c` (after whitespace) if it is next.
    public mutating func consume(_ c: UInt8) -> Bool {
        p.skipWhitespace()
        guard p.peek() == c else { return false }
        p.pos += 1
        return true
    }

    public var next: UInt8? { p.peek() }
    public var isAtEnd: Bool { p.pos == p.end }

    /// A string literal (the next byte must be `"`).
    public mutating func string() throws(JSONParseError) -> JStr {
        p.skipWhitespace()
        guard p.peek() == UInt8(ascii: "\"") else { throw .syntax(offset: p.pos) }
        return try p.parseString()
    }

    /// The raw bytes of a string literal without escapes (nil when it has
    /// escapes or is not a string: callers fall back to the full parser).
    /// Valid only while the scanned buffer is.
    public mutating func rawString() -> UnsafeBufferPointer<UInt8>? {
        p.skipWhitespace()
        guard p.peek() == UInt8(ascii: "\"") else { return nil }
        let start = p.pos + 1
        var i = start
        while i < p.end {
            let c = p.base[i]
            if c == UInt8(ascii: "\"") {
                p.pos = i + 1
                return UnsafeBufferPointer(start: p.base + start, count: i - start)
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { return nil }
            i += 1
        }
        return nil
    }

    /// Any JSON value; `depth` counts the containers already open around it.
    public mutating func value(depth: Int) throws(JSONParseError) -> JSON {
        p.skipWhitespace()
        p.depth = depth
        return try p.parseValue()
    }
}
