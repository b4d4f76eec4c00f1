import AnnaCore
import AnnaJSON
import AnnaRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Conversions at the C boundary. Inputs are validated (invalid UTF-8 is
/// an error, not repaired); outputs are malloc'd for `anna_string_free`.
enum CBridge {
    static func string(_ p: UnsafePointer<CChar>) -> String? {
        let len = strlen(p)
        return p.withMemoryRebound(to: UInt8.self, capacity: len) {
            String(validating: UnsafeBufferPointer(start: $0, count: len), as: UTF8.self)
        }
    }

    static func encode(_ o: JObject) -> UnsafeMutablePointer<CChar> {
        var out = ByteBuffer(capacity: 128)
        JSONWriter.writeObject(o, style: .pyDefault, into: &out)
        return out.takeCString()
    }

    static func errorObject(_ code: String, _ message: String) -> UnsafeMutablePointer<CChar> {
        encode(errorJSON(code, message))
    }

    static func errorJSON(_ code: String, _ message: String) -> JObject {
        ["error": .object(JObject(uniqueEntries: [("code", .str(code)), ("message", .str(message))]))]
    }

    static func rpcError(_ code: Int, _ message: String) -> UnsafeMutablePointer<CChar> {
        var out = ByteBuffer(capacity: 128)
        RPCWriter.error(id: .null, code: code, message: JStr(message), into: &out)
        return out.takeCString()
    }

    /// Parses a params argument that must be a JSON object.
    static func params(_ p: UnsafePointer<CChar>?) -> Result<JObject, APIError> {
        guard let p else { return .failure(APIError("invalid_params", "params_json is NULL")) }
        let len = strlen(p)
        let parsed: JSON? = p.withMemoryRebound(to: UInt8.self, capacity: len) {
            try? JSONParser.parse(UnsafeBufferPointer(start: $0, count: len))
        }
        guard case .object(let o)? = parsed else { return .failure(APIError("invalid_params", "params_json must be a JSON object")) }
        return .success(o)
    }
}

/// An error object `{"error": {"code", "message"}}` for the token functions.
struct APIError: Error {
    let json: JObject
    init(_ code: String, _ message: String) { json = CBridge.errorJSON(code, message) }
}

enum CStrings {
    static let version: UnsafePointer<CChar> = UnsafePointer(strdup("0.1.0")!)
    static let dispatcherVersion: UnsafePointer<CChar> = UnsafePointer(strdup(RuntimeConfig.dispatcherVersion)!)
}
