import AnnaCore
import AnnaJSON

/// Turns one input line into a request, or the error line the bridge
/// answers for it (09 §1, §3).
public enum LineFrontEnd {
    /// BR-FRAME-3: lines longer than this are rejected.
    public static let maxFrameBytes = 16_777_216
    /// Bytes of an oversized frame inspected for its id (BR-OUT-6).
    public static let frameHeadBytes = 2048

    public enum Parsed {
        /// Blank after stripping: no answer at all (BR-FRAME-2).
        case empty
        /// An error line was written to `out`.
        case answered
        /// A JSON object to classify (request, or an answer to an outbound call).
        case object(JObject)
    }

    /// BR-FRAME-2, BR-CLS-1/2. Invalid UTF-8, nesting deeper than the
    /// parser's limit and integers over 4300 digits are answered -32700:
    /// the reference dies on those lines (J-BUG-1), a documented divergence.
    public static func parse(_ line: UnsafeBufferPointer<UInt8>, into out: inout ByteBuffer) -> Parsed {
        guard JSONParser.isValidUTF8(line) else {
            RPCWriter.error(id: .null, code: -32700, message: "parse error", into: &out)
            return .answered
        }
        let body = strip(line)
        if body.isEmpty { return .empty }
        let value: JSON
        do {
            value = try JSONParser.parse(body, validateUTF8: false)
        } catch {
            RPCWriter.error(id: .null, code: -32700, message: "parse error", into: &out)
            return .answered
        }
        guard case .object(let o) = value else {
            RPCWriter.error(id: .null, code: -32600, message: "request must be an object", into: &out)
            return .answered
        }
        return .object(o)
    }

    /// Python `str.strip()` on valid UTF-8 (errata J-STRIP-1 whitespace set).
    static func strip(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0, end = line.count
        // ASCII fast path covers every normal request.
        while start < end, line[start] < 0x80, isASCIISpace(line[start]) { start += 1 }
        while end > start, line[end - 1] < 0x80, isASCIISpace(line[end - 1]) { end -= 1 }
        if (start < end && line[start] >= 0x80) || (end > start && line[end - 1] >= 0x80) {
            let s = Py.strip(JStr(wtf8Buffer: UnsafeBufferPointer(rebasing: line[start..<end])))
            // Re-locate the stripped text inside the line (it is a sub-range).
            let n = s.utf8Count
            var lead = 0
            var p = start
            while p < end {
                let (cp, len) = decodeUTF8(line, p)
                if !Py.isStripSpace(cp) { break }
                p += len
                lead += len
            }
            start += lead
            end = start + n
        }
        return UnsafeBufferPointer(rebasing: line[start..<end])
    }

    @inline(__always)
    static func isASCIISpace(_ c: UInt8) -> Bool { (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) }

    static func decodeUTF8(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
        let c = UInt32(b[i])
        if c < 0x80 { return (c, 1) }
        if c < 0xE0 { return (((c & 0x1F) << 6) | (UInt32(b[i + 1]) & 0x3F), 2) }
        if c < 0xF0 { return (((c & 0x0F) << 12) | ((UInt32(b[i + 1]) & 0x3F) << 6) | (UInt32(b[i + 2]) & 0x3F), 3) }
        return (((c & 0x07) << 18) | ((UInt32(b[i + 1]) & 0x3F) << 12) | ((UInt32(b[i + 2]) & 0x3F) << 6) | (UInt32(b[i + 3]) & 0x3F), 4)
    }

    /// The first `"id"\s*:\s*(\d+)` in an oversized frame's head (BR-ERR-7).
    public static func frameId(_ head: UnsafeBufferPointer<UInt8>) -> JSON? {
        let pat = Array("\"id\"".utf8)
        var i = 0
        func space(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0D) }
        while i + pat.count <= head.count {
            var match = true
            for k in 0..<pat.count where head[i + k] != pat[k] { match = false; break }
            if match {
                var j = i + pat.count
                while j < head.count && space(head[j]) { j += 1 }
                if j < head.count && head[j] == UInt8(ascii: ":") {
                    j += 1
                    while j < head.count && space(head[j]) { j += 1 }
                    var digits = ""
                    while j < head.count && head[j] >= 0x30 && head[j] <= 0x39 {
                        digits.unicodeScalars.append(Unicode.Scalar(head[j]))
                        j += 1
                    }
                    if !digits.isEmpty { return PyBigInt.make(negative: false, digits: digits) }
                }
            }
            i += 1
        }
        return nil
    }

    /// BR-ERR-7.
    public static func writeOversized(id: JSON?, size: Int, into out: inout ByteBuffer) {
        RPCWriter.error(id: id ?? .null, code: -32600,
                        message: "request frame too large: \(size) bytes exceeds the 16777216-byte stdio frame limit; move large payloads to host/uploadFile or APS files",
                        data: JObject(uniqueEntries: [("errorCode", "frame_too_large"), ("frame_bytes", .int(size)),
                                                      ("max_frame_bytes", .int(maxFrameBytes))]),
                        into: &out)
    }
}

extension Runtime {
    /// The whole line protocol for in-process callers (the C ABI): one
    /// request line in, one response line out (empty for a blank line).
    /// Answers to outbound host calls do not come this way
    /// (`anna_runtime_host_reply`), so every object is a request here.
    public func handleLine(_ line: UnsafeBufferPointer<UInt8>, into out: inout ByteBuffer) {
        if line.count > LineFrontEnd.maxFrameBytes {
            let head = UnsafeBufferPointer(rebasing: line[0..<LineFrontEnd.frameHeadBytes])
            LineFrontEnd.writeOversized(id: LineFrontEnd.frameId(head), size: line.count, into: &out)
            return
        }
        // The common `session.call` envelope, scanned without building it
        // (see `FastEnvelope`); anything else, errors included, takes the
        // general path below, which answers identically.
        var e = FastEnvelope()
        if line.first == UInt8(ascii: "{"), JSONParser.isValidUTF8(line), FastEnvelope.scan(line, into: &e),
           let s = session(e.sessionId) {
            writeCall(s, ns: .string(e.ns), method: .string(e.method), args: e.args, id: e.id, into: &out)
            return
        }
        switch LineFrontEnd.parse(line, into: &out) {
        case .empty, .answered: return
        case .object(let req): handle(request: req, into: &out)
        }
    }
}
