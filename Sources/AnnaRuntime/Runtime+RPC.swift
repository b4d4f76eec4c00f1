import AnnaCore
import AnnaJSON

/// A bridge-level failure of one request (09 §7).
enum RPCFailure: Error {
    /// -32602 `missing required param: '<key>'` (a Python KeyError).
    case missingParam(String)
    /// -32602 with a message of its own.
    case invalidParams(JStr)
    /// -32603 `internal: <text>` with a traceback (BR-REQ-5); `kind` names
    /// the Python exception class the reference would raise.
    case `internal`(JStr, kind: String)
}

extension Runtime {
    /// Handles one request object (09 §4-5) and writes its response line
    /// (without the newline) into `out`.
    public func handle(request req: JObject, into out: inout ByteBuffer) {
        let id = req["id"] ?? .null
        let methodValue = req["method"] ?? .null
        let rawParams = req["params"] ?? .null
        let params: JSON = rawParams.isTruthy ? rawParams : .object(JObject())
        guard case .string(let method) = methodValue, let m = BridgeMethod.match(method) else {
            RPCWriter.error(id: id, code: -32601, message: "method not found: \(Py.str(methodValue))", into: &out)
            return
        }
        do {
            try respond(m, params: params, id: id, into: &out)
        } catch {
            switch error {
            case .missingParam(let k):
                RPCWriter.error(id: id, code: -32602, message: "missing required param: '\(k)'", into: &out)
            case .invalidParams(let msg):
                RPCWriter.error(id: id, code: -32602, message: msg, into: &out)
            case .internal(let text, let kind):
                RPCWriter.internalError(id: id, text: text, kind: kind, method: m.rawValue, into: &out)
            }
        }
    }

    enum BridgeMethod: String {
        case ping
        case sessionCreate = "session.create"
        case sessionCall = "session.call"
        case sessionDrainEvents = "session.drain_events"
        case sessionClose = "session.close"
        case sessionRefreshToken = "session.refresh_token"
        case executasRegister = "executas.register"

        static func match(_ s: JStr) -> BridgeMethod? {
            if s.equals("session.call") { return .sessionCall }
            if s.equals("ping") { return .ping }
            if s.equals("session.create") { return .sessionCreate }
            if s.equals("session.drain_events") { return .sessionDrainEvents }
            if s.equals("session.close") { return .sessionClose }
            if s.equals("session.refresh_token") { return .sessionRefreshToken }
            if s.equals("executas.register") { return .executasRegister }
            return nil
        }
    }

    private func respond(_ m: BridgeMethod, params: JSON, id: JSON, into out: inout ByteBuffer) throws(RPCFailure) {
        switch m {
        case .ping:
            RPCWriter.result(id: id, into: &out) { $0.append("{\"pong\": true}") }

        case .sessionCall:
            let s = try lookupSession(params)
            let p = params.object ?? JObject()   // lookupSession proved params is an object
            guard let ns = p["ns"] else { throw .missingParam("ns") }
            guard let method = p["method"] else { throw .missingParam("method") }
            writeCall(s, ns: ns, method: method, args: p["args"] ?? .null, id: id, into: &out)

        case .sessionCreate:
            let p = try getObject(params)
            let userId: JSON
            switch Py.int(p["user_id"] ?? .int(1)) {
            case .success(let v): userId = v
            case .failure(let e): throw .internal(e.message, kind: e.pythonClass)
            }
            guard let manifest = p["manifest"] else { throw .missingParam("manifest") }
            let created = createSession(userId: userId, manifest: manifest, view: p["view"] ?? .null,
                                        entryPayload: p["entry_payload"] ?? .null,
                                        runtimeState: p["runtime_state"] ?? .null, appSlug: p["app_slug"] ?? .null)
            let (sid, s) = try created.get()
            let token = try mint(s)
            let viewMeta: JSON = ViewProjection.find(s.window.view, in: s.manifest).map { .object(ViewProjection.bridgeViewMeta($0)) } ?? .null
            let result = JObject(uniqueEntries: [
                ("session_id", .string(sid)), ("window_uuid", .string(s.window.windowUuid)),
                ("token", .str(token)), ("expires_in", .int(config.tokenTTLSeconds)),
                ("view", s.window.view), ("view_meta", viewMeta),
            ])
            RPCWriter.result(id: id, into: &out) { JSONWriter.writeObject(result, style: .pyDefault, into: &$0) }

        case .sessionDrainEvents:
            _ = try lookupSession(params)
            let events = store.events.drain()
            RPCWriter.result(id: id, into: &out) { buf in
                buf.append("{\"events\": ")
                EventQueue.writeList(events, into: &buf)
                buf.append(UInt8(ascii: "}"))
            }

        case .sessionClose:
            let sid = try pyItem(params, "session_id")
            if case .string(let key) = sid { closeSession(key) } else { try requireHashable(sid) }
            RPCWriter.result(id: id, into: &out) { $0.append("{\"ok\": true}") }

        case .sessionRefreshToken:
            let s = try lookupSession(params)
            let token = try mint(s)
            let result = JObject(uniqueEntries: [("token", .str(token)), ("expires_in", .int(config.tokenTTLSeconds))])
            RPCWriter.result(id: id, into: &out) { JSONWriter.writeObject(result, style: .pyDefault, into: &$0) }

        case .executasRegister:
            let registered = try register(try getObject(params))
            RPCWriter.result(id: id, into: &out) { buf in
                buf.append("{\"registered\": ")
                JSONWriter.write(.array(registered), style: .pyDefault, into: &buf)
                buf.append(UInt8(ascii: "}"))
            }
        }
    }

    /// BR-M-CALL-2/3: `{"ok": true, "result": …}` or `{"ok": false, "error": …}`.
    func writeCall(_ s: DispatcherSession, ns: JSON, method: JSON, args: JSON, id: JSON, into out: inout ByteBuffer) {
        Runtime.writeCallResult(s.call(ns: ns, method: method, args: args), id: id, into: &out)
    }

    static func writeCallResult(_ result: HandlerResult, id: JSON, into out: inout ByteBuffer) {
        RPCWriter.result(id: id, into: &out) { buf in
            switch result {
            case .success(let r):
                buf.append("{\"ok\": true, \"result\": ")
                JSONWriter.writeObject(r, style: .pyDefault, into: &buf)
            case .failure(let e):
                buf.append("{\"ok\": false, \"error\": ")
                JSONWriter.write(e.json, style: .pyDefault, into: &buf)
            }
            buf.append(UInt8(ascii: "}"))
        }
    }

    private func mint(_ s: DispatcherSession) throws(RPCFailure) -> String {
        switch mintToken(s) {
        case .success(let t): return t
        case .failure(let e): throw .internal(JStr(e.message), kind: "OSError")
        }
    }

    /// `params.get(...)`: an AttributeError on a truthy non-object.
    private func getObject(_ params: JSON) throws(RPCFailure) -> JObject {
        if case .object(let o) = params { return o }
        throw .internal("'\(params.pyTypeName)' object has no attribute 'get'", kind: "AttributeError")
    }

    /// `params[key]` with Python's errors for non-objects and missing keys.
    private func pyItem(_ container: JSON, _ key: String) throws(RPCFailure) -> JSON {
        guard case .object(let o) = container else { throw PyErrors.notSubscriptable(container) }
        guard let v = o[JStr(key)] else { throw .missingParam(key) }
        return v
    }

    /// Arrays and objects cannot be dict keys in Python (errata BR-M-CALL-1).
    private func requireHashable(_ v: JSON) throws(RPCFailure) {
        switch v {
        case .array, .object: throw .internal("unhashable type: '\(v.pyTypeName)'", kind: "TypeError")
        default: break
        }
    }

    /// BR-M-CALL-1 / DRAIN-1 / REFRESH-1.
    private func lookupSession(_ params: JSON) throws(RPCFailure) -> DispatcherSession {
        let sid = try pyItem(params, "session_id")
        if case .string(let key) = sid, let s = session(key) { return s }
        try requireHashable(sid)
        throw .invalidParams("unknown session_id: \(Py.str(sid))")
    }

    /// BR-M-REG-1..4 (+ U-4: field types are checked here rather than at
    /// the first invoke, a documented divergence).
    private func register(_ p: JObject) throws(RPCFailure) -> [JSON] {
        let raw = p["executas"] ?? .null
        let items: [JSON]
        switch raw {
        case _ where !raw.isTruthy: items = []
        case .array(let a): items = a
        case .string(let s): items = s.codePoints.map { .string(JStr(codePoints: [$0])) }
        case .object(let o): items = o.keys.map { .string($0) }
        default: throw .internal("'\(raw.pyTypeName)' object is not iterable", kind: "TypeError")
        }
        var registered: [JSON] = []
        for item in items {
            let toolId = try pyItem(item, "tool_id")
            let projectDir = try pyItem(item, "project_dir")
            let command = item.object?["command"] ?? .null
            guard case .string(let tid) = toolId, !tid.isEmpty else {
                throw .invalidParams("invalid param: 'tool_id' must be a non-empty string")
            }
            guard case .string(let dir) = projectDir else {
                throw .invalidParams("invalid param: 'project_dir' must be a string")
            }
            var argv: [String]? = nil
            switch command {
            case .null: break
            case .array(let a) where a.isEmpty: break
            case .array(let a):
                var words: [String] = []
                for w in a {
                    guard case .string(let s) = w else { throw .invalidParams("invalid param: 'command' must be a list of strings") }
                    words.append(s.string)
                }
                argv = words
            default:
                throw .invalidParams("invalid param: 'command' must be a list of strings")
            }
            executas.register(ExecutaRegistry.Spec(toolId: tid, projectDir: dir.string, command: argv))
            registered.append(toolId)
        }
        return registered
    }
}

extension Py.IntError {
    var pythonClass: String {
        switch self {
        case .value: return "ValueError"
        case .overflow: return "OverflowError"
        case .type: return "TypeError"
        }
    }
}

/// Python's error texts for operations on the wrong JSON type.
enum PyErrors {
    /// `x[key]` with a string key on a non-dict.
    static func notSubscriptable(_ v: JSON) -> RPCFailure {
        switch v {
        case .array: return .internal("list indices must be integers or slices, not str", kind: "TypeError")
        case .string: return .internal("string indices must be integers, not 'str'", kind: "TypeError")
        default: return .internal("'\(v.pyTypeName)' object is not subscriptable", kind: "TypeError")
        }
    }
}
