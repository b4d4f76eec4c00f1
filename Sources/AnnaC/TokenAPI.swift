import AnnaCore
import AnnaJSON
import AnnaRuntime

/// `anna_dev_token_mint` / `anna_dev_token_verify` (06 TOK-IMPL-1): the
/// reference's semantics, with an injectable clock and key path.
enum TokenAPI {
    static func keyFile(_ runtime: Runtime?, _ p: JObject) -> Result<KeyFile, APIError> {
        switch p["key_path"] {
        case nil, .null?:
            return .success(runtime?.keyFile ?? KeyFile(path: KeyFile.resolvePath(configured: nil)))
        case .string(let s)? where !s.isEmpty:
            return .success(KeyFile(path: KeyFile.resolvePath(configured: s.string)))
        default:
            return .failure(APIError("invalid_params", "'key_path' must be a non-empty string"))
        }
    }

    static func now(_ p: JObject) -> Result<Int64, APIError> {
        switch p["now"] {
        case nil, .null?: return .success(SystemClock().now().seconds)
        case .int(let i)?: return .success(Int64(i))
        case .double(let d)? where d.isFinite && abs(d) < 1e15: return .success(Int64(d.rounded(.down)))
        default: return .failure(APIError("invalid_params", "'now' must be a finite number of Unix seconds"))
        }
    }

    static func int(_ p: JObject, _ key: StaticString, default d: JSON) -> Result<JSON, APIError> {
        switch p[key] {
        case nil, .null?: return .success(d)
        case .int(let v)?: return .success(.int(v))
        case .bigInt(let v)?: return .success(.bigInt(v))
        default: return .failure(APIError("invalid_params", "'\(key)' must be an integer"))
        }
    }

    static func mint(runtime: Runtime?, params: UnsafePointer<CChar>?) -> JObject {
        switch mintResult(runtime, params) {
        case .success(let o): return o
        case .failure(let e): return e.json
        }
    }

    static func mintResult(_ runtime: Runtime?, _ params: UnsafePointer<CChar>?) -> Result<JObject, APIError> {
        let p: JObject
        switch CBridge.params(params) { case .success(let o): p = o; case .failure(let e): return .failure(e) }
        guard case .string(let wid)? = p["window_uuid"] else {
            return .failure(APIError("invalid_params", "'window_uuid' must be a string"))
        }
        guard let uid = p["user_id"], uid.isPyInt else {
            return .failure(APIError("invalid_params", "'user_id' must be an integer"))
        }
        var claims = DevToken.Claims(windowUuid: wid, userId: uid)
        switch int(p, "app_id", default: .int(0)) { case .success(let v): claims.appId = v; case .failure(let e): return .failure(e) }
        switch int(p, "version_id", default: .int(0)) { case .success(let v): claims.versionId = v; case .failure(let e): return .failure(e) }
        switch p["scopes"] {
        case nil, .null?: break
        case .array(let a)?: claims.scopes = a
        default: return .failure(APIError("invalid_params", "'scopes' must be a list"))
        }
        switch p["ttl_seconds"] {
        case nil, .null?: claims.ttlSeconds = runtime?.config.tokenTTLSeconds ?? DevToken.defaultTTL
        case .int(let t)? where t >= 0 && t <= 86_400 * 365 * 100: claims.ttlSeconds = t
        default: return .failure(APIError("invalid_params", "'ttl_seconds' must be a non-negative integer"))
        }
        let nowSeconds: Int64
        switch now(p) { case .success(let n): nowSeconds = n; case .failure(let e): return .failure(e) }
        let file: KeyFile
        switch keyFile(runtime, p) { case .success(let f): file = f; case .failure(let e): return .failure(e) }
        switch file.signer() {
        case .failure(let e): return .failure(APIError("key_file_error", e.message))
        case .success(let signer):
            let token = DevToken.mint(claims, signer: signer, nowSeconds: nowSeconds)
            return .success(JObject(uniqueEntries: [("token", .str(token)), ("expires_in", .int(claims.ttlSeconds))]))
        }
    }

    /// `{"payload": …}` or `{"error": …}`, ready for the caller.
    static func verify(runtime: Runtime?, params: UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar> {
        let p: JObject
        switch CBridge.params(params) { case .success(let o): p = o; case .failure(let e): return CBridge.encode(e.json) }
        let nowSeconds: Int64
        switch now(p) { case .success(let n): nowSeconds = n; case .failure(let e): return CBridge.encode(e.json) }
        let file: KeyFile
        switch keyFile(runtime, p) { case .success(let f): file = f; case .failure(let e): return CBridge.encode(e.json) }
        switch file.verify(p["token"] ?? .null, nowSeconds: nowSeconds) {
        case .success(let v):
            var out = ByteBuffer(capacity: v.text.count + 16)
            out.append("{\"payload\": ")
            out.append(v.text)
            out.append(UInt8(ascii: "}"))
            return out.takeCString()
        case .failure(.keyFile(let e)): return CBridge.errorObject("key_file_error", e.message)
        case .failure(.token(let e)): return CBridge.errorObject("dev_token_error", e.message)
        }
    }
}
