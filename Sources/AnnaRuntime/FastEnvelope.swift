import AnnaJSON
#if canImport(Glibc)
import Glibc
#endif

/// The shape of nearly every request a harness sends:
/// `{"jsonrpc": "2.0", "id": …, "method": "session.call",
///   "params": {"session_id": "…", "ns": "…", "method": "…", "args": …}}`.
/// Scanning it directly, instead of building two objects to read five
/// members from, is the largest single saving on the request path. Anything
/// outside that shape (another method, a repeated or unknown key, a
/// non-string field, a missing member) returns nil and the general path
/// handles the line, so answers are the same either way.
struct FastEnvelope {
    var id: JSON = .null
    var sessionId: JStr = .empty
    var ns: JStr = .empty
    var method: JStr = .empty
    var args: JSON = .null

    /// Fills `e` from `line`; false means "not this shape".
    static func scan(_ line: UnsafeBufferPointer<UInt8>, into e: inout FastEnvelope) -> Bool {
        var s = JSONScanner(line)
        var seen = 0   // bit per member, to reject repeats
        do {
            guard s.consume(UInt8(ascii: "{")) else { return false }
            repeat {
                guard let key = s.rawString(), s.consume(UInt8(ascii: ":")) else { return false }
                if matches(key, "jsonrpc") {
                    guard seen & 1 == 0 else { return false }
                    seen |= 1
                    _ = try s.value(depth: 1)   // not checked (BR-REQ-1)
                } else if matches(key, "id") {
                    guard seen & 2 == 0 else { return false }
                    seen |= 2
                    e.id = try s.value(depth: 1)
                } else if matches(key, "method") {
                    guard seen & 4 == 0, let m = s.rawString(), matches(m, "session.call") else { return false }
                    seen |= 4
                } else if matches(key, "params") {
                    guard seen & 8 == 0, try scanParams(&s, &e) else { return false }
                    seen |= 8
                } else {
                    return false
                }
            } while s.consume(UInt8(ascii: ","))
            guard s.consume(UInt8(ascii: "}")) else { return false }
            s.skipWhitespace()
            return s.isAtEnd && seen & 12 == 12
        } catch {
            return false
        }
    }

    @inline(__always)
    static func matches(_ b: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        b.count == literal.utf8CodeUnitCount && (b.count == 0 || memcmp(b.baseAddress!, literal.utf8Start, b.count) == 0)
    }

    static func scanParams(_ s: inout JSONScanner, _ e: inout FastEnvelope) throws(JSONParseError) -> Bool {
        guard s.consume(UInt8(ascii: "{")) else { return false }
        var seen = 0
        repeat {
            guard let key = s.rawString(), s.consume(UInt8(ascii: ":")) else { return false }
            if matches(key, "session_id") {
                guard seen & 1 == 0 else { return false }
                seen |= 1
                e.sessionId = try s.string()
            } else if matches(key, "ns") {
                guard seen & 2 == 0 else { return false }
                seen |= 2
                e.ns = try s.string()
            } else if matches(key, "method") {
                guard seen & 4 == 0 else { return false }
                seen |= 4
                e.method = try s.string()
            } else if matches(key, "args") {
                guard seen & 8 == 0 else { return false }
                seen |= 8
                e.args = try s.value(depth: 2)
            } else {
                return false
            }
        } while s.consume(UInt8(ascii: ","))
        return s.consume(UInt8(ascii: "}")) && seen & 7 == 7
    }
}
