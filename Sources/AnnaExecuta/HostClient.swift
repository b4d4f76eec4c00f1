import AnnaJSON

/// Calls from the plugin into the host (reverse RPC, 07 §9). Every
/// request carries `params.context.invoke_id` of the invoke it serves, so
/// the runtime runs it in the right session (07 EX-CTX-1), and a string id
/// (`"sdk-<n>"`) that cannot be mistaken for one of the host's integer ids.
public struct HostClient: Sendable {
    let connection: Connection
    public let invokeId: String?

    /// Methods the reference runtime accepts (07 EX-REV-2); others are
    /// answered -32601 by the host. `call` does not enforce this list, so
    /// a newer host's methods stay reachable.
    public static let whitelist: [String] = [
        "sampling/createMessage", "embeddings/create", "web/search", "web/fetch",
        "agent/session.create", "agent/session.run", "agent/session.cancel",
        "agent/session.history", "agent/session.delete", "agent/complete",
        "storage/get", "storage/set", "storage/delete", "storage/list",
        "files/upload_begin", "files/upload_complete", "files/download_url",
        "files/list", "files/delete", "image/generate", "image/edit", "host/uploadFile",
    ]

    /// Sends `method` with `params` (plus `context.invoke_id`) and waits
    /// for the host's `result`. Throws `HostCallError` for an error answer,
    /// no answer within `timeout` (default: the plugin's host-call
    /// timeout), a closed connection, or an invoke without context.
    public func call(_ method: String, _ params: JObject = JObject(), timeout: Duration? = nil) async throws(HostCallError) -> JSON {
        guard let invokeId else { throw .noInvokeContext(method) }
        var p = params
        var context = p.field("context")?.object ?? JObject()
        context.set("invoke_id" as StaticString, .str(invokeId))
        p.set("context" as StaticString, .object(context))
        return try await connection.call(method: method, params: p, timeout: timeout ?? connection.hostCallTimeout)
    }

    public var storage: Storage { Storage(host: self) }
    public var sampling: Sampling { Sampling(host: self) }

    /// The app window's key/value storage (04 §10), with the same grants
    /// as the app's own `storage.*` calls.
    public struct Storage: Sendable {
        let host: HostClient

        /// The stored value, or null when the key is absent.
        public func get(_ key: String) async throws(HostCallError) -> JSON {
            let r = try await host.call("storage/get", ["key": .str(key)])
            return r["value"] ?? .null
        }

        public func set(_ key: String, _ value: JSON) async throws(HostCallError) {
            _ = try await host.call("storage/set", ["key": .str(key), "value": value])
        }

        public func delete(_ key: String) async throws(HostCallError) {
            _ = try await host.call("storage/delete", ["key": .str(key)])
        }

        /// `{"items": [{"key", "etag", "size_bytes", …}], "next_cursor": …}`.
        public func list(prefix: String? = nil, cursor: String? = nil, limit: Int? = nil) async throws(HostCallError) -> JSON {
            var p = JObject()
            if let prefix { p.append("prefix", .str(prefix)) }
            if let cursor { p.append("cursor", .str(cursor)) }
            if let limit { p.append("limit", .int(limit)) }
            return try await host.call("storage/list", p)
        }
    }

    /// LLM sampling through the host (`sampling/createMessage`).
    public struct Sampling: Sendable {
        let host: HostClient

        /// Sends `params` as given (`messages`, `maxTokens`, …).
        public func createMessage(_ params: JObject, timeout: Duration? = nil) async throws(HostCallError) -> JSON {
            try await host.call("sampling/createMessage", params, timeout: timeout)
        }

        /// One user message of text content (the only kind the runtime
        /// accepts, 07 EX-SAMP-1).
        public func createMessage(prompt: String, maxTokens: Int? = nil, timeout: Duration? = nil) async throws(HostCallError) -> JSON {
            var p: JObject = [
                "messages": [["role": "user", "content": ["type": "text", "text": .str(prompt)]]],
            ]
            if let maxTokens { p.append("maxTokens", .int(maxTokens)) }
            return try await createMessage(p, timeout: timeout)
        }
    }
}
