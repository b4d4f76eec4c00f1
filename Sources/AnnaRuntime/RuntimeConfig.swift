import AnnaCore
import AnnaJSON

/// Runtime options, from the JSON given to `anna_runtime_new` (NULL or `{}`
/// = defaults). Unknown keys are an error so that a typo never silently
/// falls back to a default.
public struct RuntimeConfig: Sendable {
    /// The dispatcher/wire version this runtime implements (SB-VER-1).
    public static let dispatcherVersion = "0.30.0"

    /// Key file path; nil = `$ANNA_APP_DEV_KEY` or `~/.anna-app/dev.key`.
    public var devKeyPath: String? = nil
    public var tokenTTLSeconds = DevToken.defaultTTL
    /// Deadline for an outbound host call; 0 waits forever (the reference
    /// never times out: BR-OUT-2).
    public var hostCallTimeoutMs = 300_000
    public var storeOptions = WindowStore.Options()
    /// A schema bundle directory whose `dispatcher_version.txt` must match (SB-VER-2).
    public var schemaDir: String? = nil

    public init() {}

    static let keys = ["dev_key_path", "token_ttl_seconds", "host_call_timeout_ms", "storage_mode", "web_mode", "schema_dir"]

    public struct Invalid: Error, Sendable { public var message: String }

    public static func parse(_ text: String?) -> Result<RuntimeConfig, Invalid> {
        var c = RuntimeConfig()
        guard let text, !text.isEmpty else { return .success(c) }
        let json: JSON
        do { json = try JSONParser.parse(text) } catch {
            return .failure(Invalid(message: "config is not valid JSON"))
        }
        guard case .object(let o) = json else { return .failure(Invalid(message: "config must be a JSON object")) }
        for (k, v) in o.entries {
            switch k.string {
            case "dev_key_path":
                guard case .string(let s) = v, !s.isEmpty else { return .failure(Invalid(message: "config 'dev_key_path' must be a non-empty string")) }
                c.devKeyPath = s.string
            case "token_ttl_seconds":
                guard case .int(let n) = v, n >= 1, n <= 86_400 * 365 else {
                    return .failure(Invalid(message: "config 'token_ttl_seconds' must be an integer in [1, 31536000]"))
                }
                c.tokenTTLSeconds = n
            case "host_call_timeout_ms":
                guard case .int(let n) = v, n >= 0, n <= 86_400_000 else {
                    return .failure(Invalid(message: "config 'host_call_timeout_ms' must be an integer in [0, 86400000]"))
                }
                c.hostCallTimeoutMs = n
            case "storage_mode":
                guard case .string(let s) = v, s.equals("legacy") || s.equals("aps") else {
                    return .failure(Invalid(message: "config 'storage_mode' must be \"legacy\" or \"aps\""))
                }
                c.storeOptions.apsForwardStorage = s.equals("aps")
            case "web_mode":
                guard case .string(let s) = v, s.equals("local") || s.equals("real") else {
                    return .failure(Invalid(message: "config 'web_mode' must be \"local\" or \"real\""))
                }
                c.storeOptions.webForwardReal = s.equals("real")
            case "schema_dir":
                guard case .string(let s) = v, !s.isEmpty else { return .failure(Invalid(message: "config 'schema_dir' must be a non-empty string")) }
                c.schemaDir = s.string
            default:
                return .failure(Invalid(message: "unknown config key '\(k.string)' (known: \(keys.joined(separator: ", ")))"))
            }
        }
        return .success(c)
    }

    /// The bridge's environment (01 §7): `ANNA_APP_RUNTIME_STORAGE_MODE=aps`,
    /// `ANNA_APP_RUNTIME_WEB_MODE=real` (trimmed, case-insensitive).
    public mutating func applyBridgeEnvironment(_ env: (String) -> String? = Sys.getenv) {
        func norm(_ s: String?) -> String { (s ?? "").trimmingPythonWhitespace().lowercased() }
        storeOptions.apsForwardStorage = norm(env("ANNA_APP_RUNTIME_STORAGE_MODE")) == "aps"
        storeOptions.webForwardReal = norm(env("ANNA_APP_RUNTIME_WEB_MODE")) == "real"
    }

    /// SB-VER-2: a given schema bundle must carry our dispatcher version.
    func checkSchemaBundle() -> Invalid? {
        guard let dir = schemaDir else { return nil }
        switch Sys.readFile(dir + "/dispatcher_version.txt") {
        case .failure(let e):
            return Invalid(message: "schema bundle: cannot read \(dir)/dispatcher_version.txt: \(e.message)")
        case .success(let bytes):
            let v = String(decoding: bytes, as: UTF8.self).trimmingPythonWhitespace()
            if v != RuntimeConfig.dispatcherVersion {
                return Invalid(message: "schema bundle version \(v) does not match dispatcher version \(RuntimeConfig.dispatcherVersion)")
            }
            return nil
        }
    }
}

extension String {
    func trimmingPythonWhitespace() -> String { Py.strip(JStr(self)).string }
}
