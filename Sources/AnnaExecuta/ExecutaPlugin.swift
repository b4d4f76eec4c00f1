import AnnaJSON

/// An executa plugin, assembled with a chained builder and served over
/// stdio (or any `ExecutaInput`/`ExecutaOutput` pair in tests):
///
/// ```swift
/// let plugin = ExecutaPlugin(name: "tool-my-plugin", version: "1.0.0")
///     .withDescription("Says hello")
///     .withTool("hello", description: "Greets", parameters: [.string("who", required: true)]) { args, ctx in
///         ["greeting": .str("hello \(args["who"]?.jstr?.string ?? "world")")]
///     }
/// await plugin.runStdio()
/// ```
///
/// Each builder method returns a modified copy, so a partially built
/// plugin can be shared and extended.
public struct ExecutaPlugin: Sendable {
    /// A tool body. Its result becomes `{"success": true, "data": result}`;
    /// a thrown error becomes `{"success": false, "error": <text>}`.
    public typealias ToolHandler = @Sendable (_ arguments: JSON, _ context: InvokeContext) async throws -> JSON
    /// Receives the `params` of a host notification (absent → null).
    public typealias NotificationListener = @Sendable (_ params: JSON) async -> Void
    public typealias InitializeCallback = @Sendable (_ params: JSON) async throws -> Void
    public typealias ShutdownCallback = @Sendable () async -> Void

    struct Tool: Sendable {
        var name: String
        var description: String
        var parameters: [ToolParameter]
        var handler: ToolHandler
    }

    public private(set) var name: String
    public private(set) var version: String
    public private(set) var description: String
    var tools: [Tool] = []
    var listeners: [(method: String, listener: NotificationListener)] = []
    var initializeCallbacks: [InitializeCallback] = []
    var shutdownCallbacks: [ShutdownCallback] = []
    var hostCallTimeout: Duration = .seconds(60)
    var shutdownGrace: Duration = .seconds(1)
    var maxFrameBytes = LineReader.defaultMaxLine

    /// `name` is what `describe` reports; by convention it starts with
    /// `tool-` and equals the tool id the plugin is registered under.
    public init(name: String, version: String = "0.1.0", description: String = "") {
        self.name = name
        self.version = version
        self.description = description
    }

    public func withName(_ name: String) -> Self { var c = self; c.name = name; return c }
    public func withVersion(_ version: String) -> Self { var c = self; c.version = version; return c }
    public func withDescription(_ description: String) -> Self { var c = self; c.description = description; return c }

    /// Adds a tool (a later tool with the same name replaces the earlier
    /// one, keeping its position in the manifest).
    public func withTool(_ name: String, description: String = "", parameters: [ToolParameter] = [],
                         handler: @escaping ToolHandler) -> Self {
        var c = self
        let tool = Tool(name: name, description: description, parameters: parameters, handler: handler)
        if let i = c.tools.firstIndex(where: { $0.name == name }) { c.tools[i] = tool } else { c.tools.append(tool) }
        return c
    }

    /// Listens for host notifications (frames with `method` and no `id`)
    /// named `method`. Listeners run one notification at a time, in
    /// arrival order, off the reader thread.
    public func withNotificationListener(_ method: String, _ listener: @escaping NotificationListener) -> Self {
        var c = self
        c.listeners.append((method, listener))
        return c
    }

    /// Runs when the host sends `initialize`, before it is answered (a
    /// throw answers -32603). The runtime never sends `initialize`
    /// (07 EX-WIRE-1): do unconditional set-up before `run`.
    public func onInitialize(_ callback: @escaping InitializeCallback) -> Self {
        var c = self
        c.initializeCallbacks.append(callback)
        return c
    }

    /// Runs once when serving ends (stdin EOF or a `shutdown` request),
    /// after in-flight invokes finished or the shutdown grace ran out.
    public func onShutdown(_ callback: @escaping ShutdownCallback) -> Self {
        var c = self
        c.shutdownCallbacks.append(callback)
        return c
    }

    /// Default wait for a reverse call's answer (60 s).
    public func withHostCallTimeout(_ timeout: Duration) -> Self { var c = self; c.hostCallTimeout = timeout; return c }

    /// How long in-flight invokes may still run after stdin EOF (1 s: the
    /// test kit and the runtime kill the plugin 2 s after closing stdin).
    public func withShutdownGrace(_ grace: Duration) -> Self { var c = self; c.shutdownGrace = grace; return c }

    /// Longest accepted input line (16 MiB, 07 EX-FRAME-1).
    public func withMaxFrameBytes(_ bytes: Int) -> Self { var c = self; c.maxFrameBytes = Swift.max(bytes, 64); return c }

    /// The `describe` result (10 PC-DESC-1/2).
    public var manifest: JSON {
        var m = JObject(minimumCapacity: 4)
        m.append("name", .str(name))
        m.append("version", .str(version))
        m.append("description", .str(description))
        m.append("tools", .array(tools.map { t in
            ["name": .str(t.name), "description": .str(t.description), "parameters": .array(t.parameters.map(\.json))]
        }))
        return .object(m)
    }

    /// Serves the plugin on stdin/stdout until stdin EOF or `shutdown`.
    ///
    /// stdout is reserved for frames: a private duplicate of fd 1 carries
    /// them and fd 1 itself is pointed at stderr, so `print` and any
    /// library logging land on stderr (10 PC-WIRE-2). SIGPIPE is ignored
    /// so a vanished host makes writes fail instead of killing us.
    public func runStdio() async {
        Sys.ignoreSIGPIPE()
        Sys.flushStdout()
        var frameFD = Sys.dup(1)
        if frameFD >= 0 && Sys.dup2(2, 1) {
            Sys.setCloseOnExec(frameFD)
        } else {
            if frameFD >= 0 { Sys.close(frameFD) }
            frameFD = 1
            Sys.writeStderr("[anna-executa] could not reserve stdout for frames; prints will corrupt the stream\n")
        }
        Sys.lineBufferStdout()
        await run(reader: FileDescriptorInput(0), writer: FileDescriptorOutput(frameFD))
    }

    /// Serves the plugin on two file descriptors (pipes in tests).
    public func run(inputFD: Int32, outputFD: Int32) async {
        await run(reader: FileDescriptorInput(inputFD), writer: FileDescriptorOutput(outputFD))
    }

    /// Serves the plugin on any transport until end of input or a
    /// `shutdown` request, then runs the shutdown callbacks and returns.
    /// Does not touch signals or descriptors (see `runStdio`).
    public func run(reader: some ExecutaInput, writer: some ExecutaOutput) async {
        let connection = Connection(plugin: self, writer: FrameWriter(writer))
        if connection.hasListeners {
            Task { await connection.pumpNotifications() }
        }
        let end = await connection.serve(reader, maxLine: maxFrameBytes)
        connection.closeInput()
        await connection.waitIdle(grace: shutdownGrace)
        connection.finishNotifications()
        for callback in shutdownCallbacks { await callback() }
        if case .shutdown(let id) = end {
            connection.writer.send { Frame.result(id: id, ["ok": true], into: &$0) }
        }
    }
}

extension Duration {
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
