import AnnaCore
import AnnaJSON

/// Plugin → host requests and notifications (07 §9): the whitelist, the
/// invoke each request belongs to, the route into the dispatcher (same ACL
/// as the iframe) or to the host, and the JSON-RPC error mapping.
struct ReverseRouter {
    let store: WindowStore

    /// EX-REV-2 (22 methods).
    static let whitelist: Set<String> = [
        "sampling/createMessage", "embeddings/create", "web/search", "web/fetch",
        "agent/session.create", "agent/session.run", "agent/session.cancel", "agent/session.history",
        "agent/session.delete", "agent/complete", "storage/get", "storage/set", "storage/delete", "storage/list",
        "files/upload_begin", "files/upload_complete", "files/download_url", "files/list", "files/delete",
        "image/generate", "image/edit", "host/uploadFile",
    ]

    /// EX-ROUTE-4.
    static let routes: [String: (String, String)] = [
        "sampling/createMessage": ("llm", "complete"), "agent/complete": ("llm", "complete"),
        "embeddings/create": ("llm", "embed"),
        "agent/session.create": ("agent", "session.create"), "agent/session.run": ("agent", "session.run"),
        "agent/session.cancel": ("agent", "session.cancel"), "agent/session.history": ("agent", "session.history"),
        "agent/session.delete": ("agent", "session.delete"),
        "web/search": ("web", "search"), "web/fetch": ("web", "fetch"),
        "storage/get": ("storage", "get"), "storage/set": ("storage", "set"),
        "storage/delete": ("storage", "delete"), "storage/list": ("storage", "list"),
        "image/generate": ("image", "generate"), "image/edit": ("image", "edit"),
    ]

    /// EX-ROUTE-2.
    static let files: [String: String] = [
        "files/upload_begin": "files_init", "files/upload_complete": "files_finalize",
        "files/download_url": "files_url", "files/list": "files_list", "files/delete": "files_delete",
    ]

    struct RPCError: Error {
        var code: Int
        var message: JStr
        var data: JObject?
    }

    /// EX-REV-1: a falsy or non-object `params` counts as `{}`.
    static func params(of req: JObject) -> JObject {
        let raw = req["params"] ?? .null
        return (raw.isTruthy ? raw.object : nil) ?? JObject()
    }

    /// Takes a plugin request or notification on the reader thread, as its
    /// line arrives. Notifications are handled here, so progress keeps the
    /// order it was sent in and is recorded before an answer that follows
    /// it (JOB-PROG-*). A request is attributed to its invoke now, while that
    /// invoke is still registered (a plugin may send its answer right behind
    /// it: EX-CTX-1/2), then answered here or, when answering may wait on
    /// the host, through the process's `offload`.
    func received(_ req: JObject, from p: PluginProcess) {
        let method = req["method"] ?? .null
        let params = ReverseRouter.params(of: req)
        guard let id = req["id"], !id.isNull else {
            // EX-NOTIF-1/2: only progress of a named invoke is relayed.
            if case .string(let m) = method, m.equals("executa/progress"), let origin = p.progressTarget(params),
               let sink = origin.progress {
                let t = params["type"] ?? .null
                sink(t.isTruthy ? Py.str(t) : "progress", params["data"]?.object ?? JObject())
            }
            return
        }
        let origin = p.origin(for: params).0
        // One read of the host settings: the inline decision and the route must agree.
        let host = store.hostCaller, aps = store.options.apsForwardStorage
        let via = Route(host: host, forwardStorage: aps && host != nil)
        guard via.answersInline(method) else {
            p.offload { p.write(answer(id: id, method: method, params: params, origin: origin, via: via)) }   // EX-REV-5: a plugin gone meanwhile is not an error
            return
        }
        // Storage calls never wait, so they are answered right here (two
        // thread hand-offs fewer per call), unless the answer cannot be
        // written without waiting: blocking this thread on the plugin's
        // stdin while the plugin blocks on its stdout would deadlock.
        p.writeWithoutBlocking(answer(id: id, method: method, params: params, origin: origin, via: via))
    }

    /// Where requests go, as read once per request.
    struct Route {
        let host: (any HostCaller)?
        /// EX-ROUTE-6: storage goes to the host (APS mode with a host attached).
        let forwardStorage: Bool

        /// In-memory storage methods (EX-ROUTE-5); forwarded storage may wait on the host.
        func answersInline(_ method: JSON) -> Bool {
            guard !forwardStorage, case .string(let m) = method, m.hasPrefix("storage/") else { return false }
            return m.equals("storage/get") || m.equals("storage/set") || m.equals("storage/delete") || m.equals("storage/list")
        }
    }

    /// The answer line (with its newline) to one plugin request.
    func answer(id: JSON, method: JSON, params: JObject, origin: InvokeOrigin?, via: Route) -> ByteBuffer {
        let outcome: Result<JObject, RPCError>
        do {
            outcome = .success(try route(method: method, params: params, origin: origin, via: via))
        } catch {
            outcome = .failure(error)
        }
        var out = ByteBuffer(capacity: 256)
        switch outcome {
        case .success(let r):
            RPCWriter.result(id: id, style: .pyUnescaped, into: &out) { JSONWriter.writeObject(r, style: .pyUnescaped, into: &$0) }
        case .failure(let e):
            RPCWriter.error(id: id, code: e.code, message: e.message, data: e.data, style: .pyUnescaped, into: &out)
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    func route(method: JSON, params: JObject, origin: InvokeOrigin?, via: Route) throws(RPCError) -> JObject {
        guard case .string(let m) = method, ReverseRouter.whitelist.contains(m.string), !m.hasLoneSurrogate else {
            throw RPCError(code: -32601, message: "Method not found: \(Py.repr(method))", data: nil)
        }
        let name = m.string
        // EX-CTX-1/2. An unattributable request is refused (EX-CTX-5): the
        // reference would run it in the session that spawned the plugin,
        // possibly another user's (a documented divergence).
        guard let origin else {
            throw RPCError(code: -32603, message: "No active LocalDispatcherSession for reverse-RPC dispatch",
                           data: JObject(uniqueEntries: [("errorCode", "NO_SESSION_CONTEXT"), ("method", .string(m))]))
        }
        var args = params
        args.removeValue(forKey: "context")   // EX-ROUTE-1: identity never comes from the plugin
        let host = via.host

        if let op = ReverseRouter.files[name] {   // EX-ROUTE-2
            if via.forwardStorage, let host { return try forward(host, "host.storage." + op, args) }
            throw RPCError(code: -32004,
                           message: "APS Files (\(m)) requires `anna-app dev --storage aps` with developer credentials; the local in-memory harness has no object-storage backend.",
                           data: JObject(uniqueEntries: [("errorCode", "not_implemented"), ("method", .string(m))]))
        }
        if name == "host/uploadFile" {   // EX-ROUTE-3
            let raw = args["mode"] ?? .null
            let mode: JSON = raw.isTruthy ? raw : "inline"
            switch mode {
            case .array, .object:
                throw RPCError(code: -32603, message: "reverse-RPC handler error: unhashable type: '\(mode.pyTypeName)'", data: nil)
            case .string(let s) where s.equals("inline") || s.equals("negotiate") || s.equals("confirm"):
                guard let host else {
                    throw RPCError(code: -32004,
                                   message: "host/uploadFile requires `anna-app dev` with developer credentials (real host bridge); the offline harness has no upload backend.",
                                   data: JObject(uniqueEntries: [("errorCode", "not_implemented"), ("method", "host/uploadFile")]))
                }
                var fwd = args
                fwd.removeValue(forKey: "_clientTimeoutS")
                return try forward(host, "host.upload." + s.string, fwd)
            default:
                throw RPCError(code: -32602, message: "'mode' must be one of ['confirm', 'inline', 'negotiate'], got \(Py.repr(mode))",
                               data: JObject(uniqueEntries: [("errorCode", "invalid_request"), ("method", "host/uploadFile")]))
            }
        }
        guard let (ns, dm) = ReverseRouter.routes[name] else {
            throw RPCError(code: -32601, message: "Reverse-RPC method '\(m)' has no dispatcher binding",
                           data: JObject(uniqueEntries: [("errorCode", "UNMAPPED_METHOD"), ("method", .string(m))]))
        }
        if name == "sampling/createMessage", case .array(let messages)? = args["messages"] {   // EX-SAMP-1
            for (i, msg) in messages.enumerated() {
                guard case .object(let o) = msg, case .object(let content)? = o["content"],
                      case .string(let t)? = content["type"], t.equals("text"), case .string? = content["text"] else {
                    throw RPCError(code: -32004, message: "messages[\(i)].content.type must be 'text' (Phase 1 only)",
                                   data: JObject(uniqueEntries: [("errorCode", "SAMPLING_INVALID_REQUEST"), ("method", "sampling/createMessage")]))
                }
            }
        }
        if ns == "storage", via.forwardStorage, let host {   // EX-ROUTE-6: no ACL on this path, as in the reference
            return try forward(host, "host.storage." + dm, args)
        }
        switch origin.session.call(ns: .str(ns), method: .str(dm), args: .object(args)) {   // EX-ROUTE-5
        case .success(let r): return r
        case .failure(let e):
            // EX-RMAP-1.
            let code = e.code.equals("not_implemented") ? -32004
                : (e.code.equals("invalid_arg") || e.code.equals("invalid_request")) ? -32602 : -32603
            throw RPCError(code: code, message: e.message,
                           data: JObject(uniqueEntries: [("errorCode", .string(e.code)), ("details", .object(e.details))]))
        }
    }

    /// EX-RMAP-2/3.
    func forward(_ host: any HostCaller, _ method: String, _ args: JObject) throws(RPCError) -> JObject {
        switch host.callHost(method: method, params: args) {
        case .success(let r): return r
        case .failure(let e):
            let code = (e.code.equals("invalid_arg") || e.code.equals("invalid_request")) ? -32602 : -32603
            throw RPCError(code: code, message: e.message,
                           data: JObject(uniqueEntries: [("errorCode", .string(e.code)), ("details", .object(e.details))]))
        }
    }
}
