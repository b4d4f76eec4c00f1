import AnnaJSON

/// tools.invokeAsync / getJob / cancelJob / listJobs: dispatcher-side
/// validation (04 §8.1-8.4); the job table itself is a `JobHost`.
enum JobHandlers {
    static let states: [String] = ["cancelled", "expired", "failed", "queued", "running", "succeeded"]
    static let asyncDefaultMs = 1_800_000, asyncMinMs = 60_000, asyncMaxMs = 86_400_000

    static func invokeAsync(_ c: Call) throws(HostError) -> JObject {
        let a = try c.object().get()
        let rawArgs = a["args"] ?? .null
        let (toolId, method, timeoutIn) = try ToolsHandlers.commonArgs(a)
        let clientTag = try optionalTag(a["clientTag"] ?? .null)
        let toolArgs: JObject
        if !rawArgs.isTruthy { toolArgs = JObject() }
        else if case .object(let o) = rawArgs { toolArgs = o }
        else { throw .invalidArg("args must be an object") }
        guard c.acl.isToolAllowed(toolId) else {
            throw .permissionDenied("tool '\(toolId)' not whitelisted by host_api.tools")
        }
        let (plugin, tool) = try ManifestACL.splitToolId(toolId, method: method).get()
        let timeoutMs: Int
        switch timeoutIn {
        case .int(let v): timeoutMs = min(max(v, asyncMinMs), asyncMaxMs)
        case .bigInt(let b): timeoutMs = b.isNegative ? asyncMinMs : asyncMaxMs
        default: timeoutMs = asyncDefaultMs
        }
        guard let jobs = c.store.jobs else { throw .notImplemented("tools.invokeAsync is not available in this runtime") }
        let row = try jobs.create(session: c.session, toolId: toolId, pluginName: plugin, toolName: tool,
                                  arguments: toolArgs, timeoutMs: timeoutMs, clientTag: clientTag).get()
        return JObject(uniqueEntries: [("jobId", row["jobId"] ?? .null), ("state", row["state"] ?? .null),
                                       ("deadlineMs", row["deadlineMs"] ?? .null)])
    }

    static func optionalTag(_ v: JSON) throws(HostError) -> JStr? {
        switch v {
        case .null: return nil
        case .string(let s) where s.codePointCount <= 120: return s
        default: throw .invalidArg("clientTag must be a string <= 120 chars")
        }
    }

    /// D-JOB-9: `re.match(r"^tjob_[0-9a-f]{32}$")`, where `$` also matches
    /// before one trailing newline.
    static func requireJobId(_ a: JObject) throws(HostError) -> JStr {
        guard case .string(let id) = a["jobId"] ?? .null, isJobId(id) else {
            throw .invalidArg("jobId must match ^tjob_[0-9a-f]{32}$")
        }
        return id
    }

    static func isJobId(_ id: JStr) -> Bool {
        id.withBytes { b in
            guard b.count == 37 || (b.count == 38 && b[37] == 0x0A) else { return false }
            guard b[0] == 0x74, b[1] == 0x6A, b[2] == 0x6F, b[3] == 0x62, b[4] == 0x5F else { return false }
            for i in 5..<37 {
                let ch = b[i]
                if !((ch >= 0x30 && ch <= 0x39) || (ch >= 0x61 && ch <= 0x66)) { return false }
            }
            return true
        }
    }

    static func getJob(_ c: Call) throws(HostError) -> JObject {
        let a = try c.object().get()
        let id = try requireJobId(a)
        let since = a["sinceSeq"] ?? .int(0)
        switch since {
        case .int(let v) where v >= 0: break
        case .bigInt(let b) where !b.isNegative: break
        default: throw .invalidArg("sinceSeq must be a non-negative integer")
        }
        let limit = a["limit"] ?? .int(100)
        guard case .int(let l) = limit, l >= 1, l <= 500 else { throw .invalidArg("limit must be an integer in [1, 500]") }
        guard let jobs = c.store.jobs else { throw .notImplemented("tools.getJob is not available in this runtime") }
        return try jobs.get(userId: c.window.userId, jobId: id, sinceSeq: since, limit: l).get()
    }

    static func cancelJob(_ c: Call) throws(HostError) -> JObject {
        let a = try c.object().get()
        let id = try requireJobId(a)
        var reason: JStr? = nil
        switch a["reason"] ?? .null {
        case .null: break
        case .string(let s) where s.codePointCount <= 200: reason = s
        default: throw .invalidArg("reason must be a string <= 200 chars")
        }
        guard let jobs = c.store.jobs else { throw .notImplemented("tools.cancelJob is not available in this runtime") }
        return try jobs.cancel(userId: c.window.userId, jobId: id, reason: reason).get()
    }

    static func listJobs(_ c: Call) throws(HostError) -> JObject {
        let a = try c.object().get()
        var toolId: JStr? = nil
        switch a["tool_id"] ?? .null {
        case .null: break
        case .string(let s) where !s.isEmpty: toolId = s
        default: throw .invalidArg("tool_id must be a non-empty string")
        }
        var stateFilter: [JStr]? = nil
        let stateIn = a["state"] ?? .null
        if !stateIn.isNull {
            let raw: [JSON]
            if case .array(let arr) = stateIn { raw = arr } else { raw = [stateIn] }
            var out: [JStr] = []
            for s in raw {
                guard case .string(let v) = s, JobHandlers.states(contains: v) else { out = []; break }
                if !out.contains(v) { out.append(v) }
            }
            if raw.isEmpty || out.isEmpty || raw.contains(where: { v in
                guard case .string(let s) = v else { return true }
                return !JobHandlers.states(contains: s)
            }) {
                throw .invalidArg("state values must be one of ['cancelled', 'expired', 'failed', 'queued', 'running', 'succeeded']")
            }
            stateFilter = out
        }
        let clientTag = try optionalTag(a["clientTag"] ?? .null)
        var since: JStr? = nil
        switch a["since"] ?? .null {
        case .null: break
        case .string(let s): since = s
        default: throw .invalidArg("since must be an RFC3339 string")
        }
        let limit = a["limit"] ?? .int(20)
        guard case .int(let l) = limit, l >= 1, l <= 100 else { throw .invalidArg("limit must be an integer in [1, 100]") }
        guard let jobs = c.store.jobs else { throw .notImplemented("tools.listJobs is not available in this runtime") }
        return try jobs.list(userId: c.window.userId, toolId: toolId, states: stateFilter, clientTag: clientTag,
                             since: since, limit: l).get()
    }

    static func states(contains s: JStr) -> Bool { states.contains(s.string) && !s.hasLoneSurrogate }
}
