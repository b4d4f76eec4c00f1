// The example plugin: the demo and the plugin tests use it, and it shows
// each SDK feature once (plain result, reverse calls, progress, failure,
// concurrency).
import AnnaExecuta
import AnnaJSON

/// An integer argument; floats with an integral value are accepted since
/// JSON writers in other languages may send `5.0`.
private func intArgument(_ args: JSON, _ key: StaticString, default value: Int) throws -> Int {
    switch args[key] {
    case nil, .null?: return value
    case .int(let i)?: return i
    case .double(let d)? where d.isFinite && d.rounded() == d && abs(d) < 1e15: return Int(d)
    default: throw ToolFailure("'\(key)' must be an integer")
    }
}

let plugin = ExecutaPlugin(name: "tool-anna-example", version: "0.1.0")
    .withDescription("Example executa plugin built with the AnnaExecuta Swift SDK")
    .withTool("echo", description: "Returns its arguments unchanged") { arguments, _ in
        arguments
    }
    .withTool("storage_roundtrip",
              description: "Stores value under key through the host, reads it back and returns it",
              parameters: [.string("key", "storage key", required: true),
                           ToolParameter("value", type: "object", description: "any JSON value to store")]) { args, ctx in
        guard let key = args["key"]?.jstr?.string, !key.isEmpty else {
            throw ToolFailure("'key' must be a non-empty string")
        }
        try await ctx.host.storage.set(key, args["value"] ?? .null)
        let value = try await ctx.host.storage.get(key)
        return ["key": .str(key), "value": value]
    }
    .withTool("progress",
              description: "Emits n progress notifications, then returns {\"count\": n}",
              parameters: [.integer("n", "number of notifications (default 3)")]) { args, ctx in
        let n = try intArgument(args, "n", default: 3)
        guard (0...10_000).contains(n) else { throw ToolFailure("'n' must be between 0 and 10000") }
        // Goes to stderr: the SDK keeps stdout for protocol frames.
        print("progress: sending \(n) notifications")
        for i in 0..<n {
            ctx.progress("progress", ["step": .int(i + 1), "total": .int(n)])
        }
        return ["count": .int(n)]
    }
    .withTool("fail",
              description: "Always fails with the given message",
              parameters: [.string("message", "failure text")]) { args, _ in
        throw ToolFailure(args["message"]?.jstr?.string ?? "requested failure")
    }
    .withTool("sleep",
              description: "Waits ms milliseconds, then returns {\"slept_ms\": ms}",
              parameters: [.integer("ms", "milliseconds to wait (default 100)")]) { args, _ in
        let ms = try intArgument(args, "ms", default: 100)
        guard (0...600_000).contains(ms) else { throw ToolFailure("'ms' must be between 0 and 600000") }
        try await Task.sleep(for: .milliseconds(ms))
        return ["slept_ms": .int(ms)]
    }

await plugin.runStdio()
