import AnnaJSON

/// The "needs a real backend" family (04 §12-14, 05 §10): optional
/// dispatcher-side validation, then a forward to `host.<ns>.<method>`.
enum DelegateHandlers {
    static func handle(_ m: HostMethod, _ c: Call) throws(HostError) -> JObject {
        var stream = false
        switch m {
        case .llmStream:
            let a = try c.object().get()
            guard case .array(let msgs) = a["messages"] ?? .null, !msgs.isEmpty else {
                throw .invalidArg("messages required")
            }
            stream = true
        case .agentSessionRun:
            let a = try c.object().get()
            guard case .string(let u) = a["app_session_uuid"] ?? .null, u.hasPrefix("aps_") else {
                throw .invalidArg("app_session_uuid must be an aps_-prefixed string")
            }
            guard case .string(let content) = a["content"] ?? .null, !Py.strip(content).isEmpty else {
                throw .invalidArg("content required")
            }
            stream = true
        case .agentSessionRefresh:
            try requireSessionUuid(try c.object().get())
        case .agentSessionRunStatus:
            let a = try c.object().get()
            try requireSessionUuid(a)
            guard case .string(let r) = a["run_id"] ?? .null, !r.isEmpty else { throw .invalidArg("run_id required") }
        case .agentSessionFrames:
            let a = try c.object().get()
            guard case .string(let s) = a["stream_id"] ?? .null, !s.isEmpty else { throw .invalidArg("stream_id required") }
        default:
            break
        }
        // D-LLM-STREAM-2: the stream id is allocated before the forward.
        let streamId: JStr? = stream ? JStr("strm_" + UUID4.hex().prefix(16)) : nil
        var result = try forward(c, method: "host." + m.qualifiedName, label: m.qualifiedName)
        if let streamId, !result.contains("stream_id") {
            result.append("stream_id", .string(streamId))
        }
        return result
    }

    /// D-AGENT-REF-1: `app_session_uuid` if truthy else `appSessionUuid`.
    static func requireSessionUuid(_ a: JObject) throws(HostError) {
        let primary = a["app_session_uuid"] ?? .null
        let v = primary.isTruthy ? primary : (a["appSessionUuid"] ?? .null)
        guard case .string(let u) = v, u.hasPrefix("aps_") else {
            throw .invalidArg("app_session_uuid must be an aps_-prefixed string")
        }
    }

    /// D-DELEG-1..3: no host → not_implemented; args go through Python's
    /// `dict()`; host errors propagate with their string code.
    static func forward(_ c: Call, method: String, label: String) throws(HostError) -> JObject {
        guard let host = c.store.hostCaller else {
            throw .notImplemented("\(label) not wired in this runtime")
        }
        let params: JObject
        switch PyDict.from(c.args) {
        case .success(let o): params = o
        case .failure(let f): throw .crashed(f.message)
        }
        return try host.callHost(method: method, params: params).get()
    }
}
