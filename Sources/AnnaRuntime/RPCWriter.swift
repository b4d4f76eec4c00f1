import AnnaCore
import AnnaJSON

/// Writes JSON-RPC 2.0 response lines exactly as the reference bridge
/// prints them (BR-REQ-2, BR-JSON-1): PY-DEFAULT encoding, keys
/// `jsonrpc, id, result|error`, `data` only when non-empty.
public enum RPCWriter {
    public static func result(id: JSON, style: JSONStyle = .pyDefault, into out: inout ByteBuffer, _ body: (inout ByteBuffer) -> Void) {
        out.append("{\"jsonrpc\": \"2.0\", \"id\": ")
        JSONWriter.write(id, style: style, into: &out)
        out.append(", \"result\": ")
        body(&out)
        out.append(UInt8(ascii: "}"))
    }

    /// `style` is PY-DEFAULT for the bridge's stdout; plugin-bound answers
    /// use PY-UNESCAPED (EX-REV-5).
    public static func error(id: JSON, code: Int, message: JStr, data: JObject? = nil,
                             style: JSONStyle = .pyDefault, into out: inout ByteBuffer) {
        out.append("{\"jsonrpc\": \"2.0\", \"id\": ")
        JSONWriter.write(id, style: style, into: &out)
        out.append(", \"error\": {\"code\": ")
        out.appendDecimal(code)
        out.append(", \"message\": ")
        JSONWriter.writeString(message, asciiOnly: style.asciiOnly, into: &out)
        if let data, !data.isEmpty {
            out.append(", \"data\": ")
            JSONWriter.writeObject(data, style: style, into: &out)
        }
        out.append("}}")
    }

    /// BR-REQ-5: `internal: <text>` with a traceback string. Its content is
    /// implementation-specific (clients rely only on its presence).
    static func internalError(id: JSON, text: JStr, kind: String, method: String, into out: inout ByteBuffer) {
        let traceback = "Traceback (most recent call last):\n  annaruntime bridge, handling \(method)\n\(kind): \(text)\n" as JStr
        error(id: id, code: -32603, message: "internal: \(text)",
              data: JObject(uniqueEntries: [("traceback", .string(traceback))]), into: &out)
    }
}
