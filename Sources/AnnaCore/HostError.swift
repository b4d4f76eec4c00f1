import AnnaJSON

/// A host RPC error: what an app sees as `{"code", "message", "details"}`
/// (D-ERR-1). Codes are wire facts (D-ERR-3).
public struct HostError: Error, Sendable {
    public var code: JStr
    public var message: JStr
    public var details: JObject

    public init(_ code: JStr, _ message: JStr, _ details: JObject = JObject()) {
        self.code = code
        self.message = message
        self.details = details
    }

    /// `{"code": …, "message": …, "details": …}` in the session layer's key order (SS-3).
    public var json: JSON {
        .object(JObject(uniqueEntries: [("code", .string(code)), ("message", .string(message)), ("details", .object(details))]))
    }

    public static func invalidArg(_ m: JStr) -> HostError { HostError("invalid_arg", m) }
    public static func notImplemented(_ m: JStr) -> HostError { HostError("not_implemented", m) }
    public static func permissionDenied(_ m: JStr) -> HostError { HostError("permission_denied", m) }
    /// D-DISP-7: an exception the reference does not map; its text follows Python's.
    public static func crashed(_ text: JStr) -> HostError { HostError("internal", "handler crashed: \(text)") }
}

public typealias HandlerResult = Result<JObject, HostError>
