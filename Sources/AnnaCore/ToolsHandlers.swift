import AnnaJSON

/// tools.list and tools.invoke (04 §7).
enum ToolsHandlers {
    /// D-TMO-1: the sync policy (the local store sets none of its own).
    static let defaultTimeoutMs = 65_000, minTimeoutMs = 1_000, maxTimeoutMs = 90_000

    static func list(_ c: Call) -> JObject {
        ["tools": .array(c.acl.listedTools.map { .object(JObject(uniqueEntries: [("tool_id", .string($0))])) })]
    }

    /// The argument checks shared with tools.invokeAsync (D-INVOKE-1..3).
    static func commonArgs(_ a: JObject) throws(HostError) -> (toolId: JStr, method: JStr?, timeout: JSON) {
        guard case .string(let toolId) = a["tool_id"] ?? .null, !toolId.isEmpty else {
            throw .invalidArg("tool_id is required")
        }
        var method: JStr? = nil
        switch a["method"] ?? .null {
        case .null: break
        case .string(let s): method = s
        default: throw .invalidArg("method must be a string when provided")
        }
        let timeout = a["timeoutMs"] ?? .null
        switch timeout {
        case .null, .int, .bigInt: break
        default: throw .invalidArg("timeoutMs must be an integer (milliseconds)")
        }
        return (toolId, method, timeout)
    }

    /// A validated tools.invoke, ready to go to the pool.
    struct PreparedInvoke {
        let pool: any ExecutaInvoker
        let toolId: JStr, plugin: JStr, tool: JStr
        let arguments: JSON
        /// D-TMO-2: the clamped timeout (nil when none was asked) and the one asked.
        let timeoutMs: Int?, requested: JSON
    }

    static func invoke(_ c: Call) throws(HostError) -> JObject {
        let p = try prepareInvoke(c)
        let outcome = p.pool.invoke(toolId: p.plugin, toolName: p.tool, arguments: p.arguments, timeoutMs: p.timeoutMs,
                                    origin: InvokeOrigin(session: c.session))
        return try finishInvoke(p, outcome)
    }

    /// Every check made before the plugin is called (D-INVOKE-1..9).
    static func prepareInvoke(_ c: Call) throws(HostError) -> PreparedInvoke {
        let a = try c.object().get()
        let rawArgs = a["args"] ?? .null
        let toolArgs: JSON = rawArgs.isTruthy ? rawArgs : .object(JObject())   // D-INVOKE-6
        let (toolId, method, timeoutIn) = try commonArgs(a)
        guard c.acl.isToolAllowed(toolId) else {
            throw .permissionDenied("tool '\(toolId)' not whitelisted by host_api.tools")
        }
        let (plugin, tool) = try ManifestACL.splitToolId(toolId, method: method).get()
        // D-TMO-2: clamp, keeping null as null.
        var clamped: Int? = nil
        switch timeoutIn {
        case .int(let v): clamped = min(max(v, minTimeoutMs), maxTimeoutMs)
        case .bigInt(let b): clamped = b.isNegative ? minTimeoutMs : maxTimeoutMs
        default: break
        }
        guard let pool = c.store.executa, pool.isRegistered(plugin) else {
            throw .notImplemented("tools.invoke is not available in this runtime")   // D-INVOKE-9
        }
        return PreparedInvoke(pool: pool, toolId: toolId, plugin: plugin, tool: tool, arguments: toolArgs,
                              timeoutMs: clamped, requested: timeoutIn)
    }

    /// The result (or wire error) of what the plugin answered.
    static func finishInvoke(_ p: PreparedInvoke, _ outcome: InvokeOutcome) throws(HostError) -> JObject {
        switch outcome {
        case .failure(let e):
            throw e
        case .timeout(let text):
            // D-INVOKE-10.
            var details = JObject(uniqueEntries: [("tool_id", .string(p.toolId))])
            if let clamped = p.timeoutMs {
                details.append("timeout_ms", .int(clamped))
                if !(p.requested == .int(clamped)) {
                    details.append("requested_timeout_ms", p.requested)
                    details.append("max_timeout_ms", .int(maxTimeoutMs))
                }
            }
            throw HostError("tool_timeout", text.isEmpty ? "tool '\(p.toolId)' exceeded the negotiated timeout" : text, details)
        case .envelope(let outer):
            try raiseIfResultTooLarge(outer, plugin: p.plugin, tool: p.tool)
            return try unwrap(outer, toolId: p.toolId)
        }
    }

    /// ST-INV-2.
    static func raiseIfResultTooLarge(_ outer: JSON, plugin: JStr, tool: JStr) throws(HostError) {
        guard case .object(let o) = outer, case .bool(false) = o["success"] ?? .null,
              case .object(let data) = o["data"] ?? .null,
              case .string(let code) = data["errorCode"] ?? .null, code.equals("RESULT_TOO_LARGE") else { return }
        let err = o["error"] ?? .null
        let message: JStr = err.isTruthy ? Py.str(err) : "tool result exceeds the transport size limit"
        throw HostError("result_too_large", message, JObject(uniqueEntries: [
            ("plugin_name", .string(plugin)), ("tool_name", .string(tool)),
            ("size", data["result_size_bytes"] ?? .null), ("max", data["max_payload_bytes"] ?? .null),
            ("retriable", .bool(false)),
        ]))
    }

    /// `keys=[...]` / `type=...` (D-ENV summary).
    static func summary(_ v: JSON) -> JStr {
        if case .object(let o) = v {
            return "keys=\(Py.repr(.array(o.keys.sorted().map { .string($0) })))"
        }
        return "type=\(v.pyTypeName)"
    }

    /// D-ENV-1..6: unwraps the outer (transport) and inner (plugin) envelopes.
    static func unwrap(_ outer: JSON, toolId: JStr) throws(HostError) -> JObject {
        let outerObj = outer.object
        if outerObj == nil || !(outerObj?["success"]?.isTruthy ?? false) {
            let err = outerObj?["error"] ?? .null
            let outerError: JStr = err.isTruthy ? Py.str(err) : "executa RPC failed (\(summary(outer)))"
            if let (wire, code) = try classify(outerObj, outerError) {
                throw HostError(wire, outerError, JObject(uniqueEntries: [
                    ("tool_id", .string(toolId)), ("jsonrpc_code", code), ("source", "plugin"),
                ]))
            }
            throw HostError("executa_unavailable", outerError)
        }
        let innerRaw = outerObj?["data"] ?? .null
        let inner: JSON = innerRaw.isTruthy ? innerRaw : .object(JObject())
        guard case .object(let io) = inner, io["success"]?.isTruthy ?? false else {
            let e = inner.object?["error"] ?? .null
            let text: JStr = e.isTruthy ? Py.str(e) : "tool returned failure (\(summary(inner)))"
            if text.contains("subcall_timeout") {
                var details = JObject(uniqueEntries: [("tool_id", .string(toolId))])
                for channel in ["storage", "image", "upload"] {
                    if text.contains("'subcall': '\(channel)'") || text.contains("\"subcall\": \"\(channel)\"") {
                        details.append("subcall", .str(channel))
                        break
                    }
                }
                throw HostError("subcall_timeout", text, details)
            }
            throw HostError("tool_failed", text)
        }
        if case .object(let payload) = io["data"] ?? .null { return payload }
        return JObject()
    }

    /// D-ENV-2/3: plugin JSON-RPC error classification; nil = unclassified.
    static func classify(_ outer: JObject?, _ outerError: JStr) throws(HostError) -> (JStr, JSON)? {
        if let data = outer?["data"]?.object, let je = data["jsonrpc_error"]?.object,
           let code = je["code"], !code.isNull {
            switch Py.int(code) {
            case .success(let v): return wireCode(v).map { ($0, v) }
            case .failure(.overflow(let m)): throw .crashed(m)
            case .failure: return nil
            }
        }
        guard let v = sniffLegacyCode(outerError) else { return nil }
        return wireCode(v).map { ($0, v) }
    }

    static func wireCode(_ code: JSON) -> JStr? {
        guard case .int(let c) = code else { return nil }
        if c == -32602 { return "invalid_arg" }
        if c == -32601 || c == -32603 || (c >= -32099 && c <= -32000) { return "tool_failed" }
        return nil
    }

    /// `^invoke error: \{['"]code['"]: (-?\d+)` with Python's Unicode `\d`.
    static func sniffLegacyCode(_ s: JStr) -> JSON? {
        let cps = s.codePoints
        let head = Array("invoke error: {".unicodeScalars.map { $0.value })
        guard cps.count > head.count, Array(cps[0..<head.count]) == head else { return nil }
        var i = head.count
        func quote(_ i: Int) -> Bool { i < cps.count && (cps[i] == 0x27 || cps[i] == 0x22) }
        guard quote(i) else { return nil }
        i += 1
        for ch in "code".unicodeScalars {
            guard i < cps.count, cps[i] == ch.value else { return nil }
            i += 1
        }
        guard quote(i) else { return nil }
        i += 1
        guard i + 1 < cps.count, cps[i] == 0x3A, cps[i + 1] == 0x20 else { return nil }
        i += 2
        var negative = false
        if i < cps.count && cps[i] == 0x2D { negative = true; i += 1 }
        var digits = ""
        while i < cps.count, let d = Py.decimalValue(cps[i]) {
            digits.unicodeScalars.append(Unicode.Scalar(UInt8(48 + d)))
            i += 1
        }
        if digits.isEmpty { return nil }
        return PyBigInt.make(negative: negative, digits: digits)
    }
}
