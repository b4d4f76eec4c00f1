import AnnaJSON

/// What a tool handler gets besides its arguments: who is calling, a
/// client for calls back into the host, and progress reporting.
public struct InvokeContext: Sendable {
    /// `params.context.invoke_id` of the invoke; nil when the caller sent
    /// no context (the test kit does that).
    public let invokeId: String?
    /// The tool name the host asked for.
    public let tool: String
    /// The JSON-RPC id of the invoke request, as the host sent it.
    public let requestId: JSON
    /// Reverse calls into the host, tagged with this invoke's id.
    public let host: HostClient

    init(invokeId: String?, tool: String, requestId: JSON, connection: Connection) {
        self.invokeId = invokeId
        self.tool = tool
        self.requestId = requestId
        self.host = HostClient(connection: connection, invokeId: invokeId)
    }

    /// Sends an `executa/progress` notification for this invoke
    /// (10 PC-RT-4). `type` is `"progress"` or `"tool_update"`; `data`
    /// should be an object (the runtime replaces anything else by `{}`).
    /// The runtime relays it to async jobs only and drops it for
    /// synchronous invokes, so it never fails and never waits.
    public func progress(_ type: String, _ data: JSON) {
        var params = JObject(minimumCapacity: 3)
        params.append("context", ["invoke_id": invokeId.map { .str($0) } ?? .null])
        params.append("type", .str(type))
        params.append("data", data)
        host.connection.writer.send { Frame.notification(method: "executa/progress", params: params, into: &$0) }
    }

    /// `progress("progress", data)`.
    public func progress(_ data: JSON) { progress("progress", data) }
}
