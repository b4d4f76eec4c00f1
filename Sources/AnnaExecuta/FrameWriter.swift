import AnnaJSON

/// The one writer every frame goes through: responses, reverse-RPC
/// requests and progress notifications share a lock so lines never
/// interleave, and a reused buffer so a warm frame costs no allocation.
final class FrameWriter: @unchecked Sendable {
    private let output: any ExecutaOutput
    private let lock = Lock()
    private var buffer = ByteBuffer(capacity: 4096)
    private var broken = false

    /// A buffer that grew past this for one large frame is dropped
    /// afterwards rather than kept for the life of the plugin.
    private static let keepCapacity = 1 << 20

    init(_ output: any ExecutaOutput) { self.output = output }

    /// Encodes one frame with `encode`, appends `\n` and writes it whole.
    /// Returns false if the peer is gone (the frame is dropped).
    @discardableResult
    func send(_ encode: (inout ByteBuffer) -> Void) -> Bool {
        lock.withLock {
            if broken { return false }
            buffer.removeAll()
            encode(&buffer)
            buffer.append(UInt8(ascii: "\n"))
            let ok = buffer.withBytes { output.write(UnsafeRawBufferPointer($0)) }
            if !ok { broken = true }
            if buffer.count > FrameWriter.keepCapacity { buffer = ByteBuffer(capacity: 4096) }
            return ok
        }
    }
}

/// JSON-RPC envelopes written straight into the output buffer, in the key
/// order the reference uses. A response carries `result` XOR `error` and
/// never a `method` key (10 PC-ENV-1/2).
enum Frame {
    static let style = JSONStyle.pyDefault

    static func result(id: JSON, into out: inout ByteBuffer, _ body: (inout ByteBuffer) -> Void) {
        out.append(#"{"jsonrpc": "2.0", "id": "#)
        JSONWriter.write(id, style: style, into: &out)
        out.append(#", "result": "#)
        body(&out)
        out.append(UInt8(ascii: "}"))
    }

    static func result(id: JSON, _ value: JSON, into out: inout ByteBuffer) {
        result(id: id, into: &out) { JSONWriter.write(value, style: style, into: &$0) }
    }

    static func error(id: JSON, code: Int, message: String, data: JSON? = nil, into out: inout ByteBuffer) {
        out.append(#"{"jsonrpc": "2.0", "id": "#)
        JSONWriter.write(id, style: style, into: &out)
        out.append(#", "error": {"code": "#)
        out.appendDecimal(code)
        out.append(#", "message": "#)
        JSONWriter.writeString(JStr(message), asciiOnly: style.asciiOnly, into: &out)
        if let data {
            out.append(#", "data": "#)
            JSONWriter.write(data, style: style, into: &out)
        }
        out.append("}}")
    }

    /// `{"success": true, "data": …}` (10 PC-INV-1).
    static func invokeSuccess(id: JSON, data: JSON, into out: inout ByteBuffer) {
        result(id: id, into: &out) { out in
            out.append(#"{"success": true, "data": "#)
            JSONWriter.write(data, style: style, into: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// `{"success": false, "error": "<text>"[, "details": …]}`; the text is
    /// what the runtime shows as the `tool_failed` message (10 PC-INV-2).
    static func invokeFailure(id: JSON, message: String, details: JSON?, into out: inout ByteBuffer) {
        result(id: id, into: &out) { out in
            out.append(#"{"success": false, "error": "#)
            JSONWriter.writeString(JStr(message), asciiOnly: style.asciiOnly, into: &out)
            if let details {
                out.append(#", "details": "#)
                JSONWriter.write(details, style: style, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func request(id: String, method: String, params: JObject, into out: inout ByteBuffer) {
        out.append(#"{"jsonrpc": "2.0", "id": "#)
        JSONWriter.writeString(JStr(id), asciiOnly: true, into: &out)
        out.append(#", "method": "#)
        JSONWriter.writeString(JStr(method), asciiOnly: style.asciiOnly, into: &out)
        out.append(#", "params": "#)
        JSONWriter.writeObject(params, style: style, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// A notification: no `id` at all, so no host ever answers it.
    static func notification(method: String, params: JObject, into out: inout ByteBuffer) {
        out.append(#"{"jsonrpc": "2.0", "method": "#)
        JSONWriter.writeString(JStr(method), asciiOnly: style.asciiOnly, into: &out)
        out.append(#", "params": "#)
        JSONWriter.writeObject(params, style: style, into: &out)
        out.append(UInt8(ascii: "}"))
    }
}
