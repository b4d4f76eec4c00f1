import AnnaJSON

/// Why a reverse call into the host failed. `code`, `message` and `data`
/// are the host's JSON-RPC error for `.rpc` (07 EX-RMAP-*: e.g. -32602
/// `key required` with `data.errorCode` `invalid_arg`); the other kinds
/// are raised by the SDK itself with the codes listed on `Kind`.
public struct HostCallError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The host answered with a JSON-RPC error.
        case rpc
        /// No answer within the call's timeout (code -32001).
        case timeout
        /// The host closed the connection, or the plugin is shutting
        /// down, before answering (code -32002).
        case closed
        /// The invoke carried no `context.invoke_id` (the test kit calls
        /// tools that way and never answers reverse calls), so there is no
        /// host to call (code -32003).
        case noInvokeContext
        /// The calling task was cancelled (code -32004 is the host's, so
        /// this uses -32005).
        case cancelled
    }

    public let method: String
    public let kind: Kind
    public let code: Int
    public let message: String
    public let data: JSON?

    public init(method: String, kind: Kind, code: Int, message: String, data: JSON? = nil) {
        self.method = method
        self.kind = kind
        self.code = code
        self.message = message
        self.data = data
    }

    /// The host's stable string code (`data.errorCode`), e.g. `invalid_arg`.
    public var errorCode: String? { data?["errorCode"]?.jstr?.string }

    /// The text a tool failure shows when the handler lets this error
    /// escape. A timeout names its channel the way the runtime recognises
    /// (`subcall_timeout {'subcall': 'storage'}`), so the app receives the
    /// `subcall_timeout` error code rather than a generic `tool_failed`
    /// (04 D-ENV-4).
    public var description: String {
        switch kind {
        case .timeout:
            return "subcall_timeout {'subcall': '\(HostCallError.channel(of: method))'}: host call '\(method)' \(message)"
        default:
            return "host call '\(method)' failed: [\(code)] \(message)"
        }
    }

    static func channel(of method: String) -> String {
        if method == "host/uploadFile" || method.hasPrefix("files/") { return "upload" }
        if let slash = method.firstIndex(of: "/") { return String(method[..<slash]) }
        return method
    }

    static func timeout(_ method: String, seconds: Double) -> HostCallError {
        HostCallError(method: method, kind: .timeout, code: -32001,
                      message: "got no answer within \(formatSeconds(seconds))s")
    }

    static func closed(_ method: String) -> HostCallError {
        HostCallError(method: method, kind: .closed, code: -32002,
                      message: "host connection closed before the answer")
    }

    static func noInvokeContext(_ method: String) -> HostCallError {
        HostCallError(method: method, kind: .noInvokeContext, code: -32003,
                      message: "invoke has no context.invoke_id, so there is no host to call (the test kit does not answer reverse calls)")
    }

    static func cancelled(_ method: String) -> HostCallError {
        HostCallError(method: method, kind: .cancelled, code: -32005, message: "cancelled")
    }

    static func formatSeconds(_ s: Double) -> String {
        guard s.isFinite, s >= 0, s < 1e12 else { return "\(s)" }
        let tenths = Int((s * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
