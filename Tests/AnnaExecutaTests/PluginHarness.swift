import AnnaJSON
import Dispatch
@testable import AnnaExecuta
#if canImport(Glibc)
import Glibc
#endif

/// Runs a plugin in-process over two `pipe(2)`s and plays the host: the
/// test writes lines and awaits the plugin's frames. Blocking reads happen
/// on a dedicated thread so tests never tie up the (two-core) concurrency
/// pool the plugin's tools need.
final class PluginHarness: @unchecked Sendable {
    private let toPlugin: (read: Int32, write: Int32)
    private let fromPlugin: (read: Int32, write: Int32)
    private var inputOpen = true
    private let frames = FrameQueue()
    private var runTask: Task<Void, Never>?

    init(_ plugin: ExecutaPlugin) throws {
        Sys.ignoreSIGPIPE()
        guard let a = Sys.pipe(), let b = Sys.pipe() else { throw HarnessError.noPipe }
        toPlugin = a
        fromPlugin = b
        let frames = self.frames
        let readFD = b.read
        guard Sys.startThread({
            _ = LineReader().run(FileDescriptorInput(readFD)) { event in
                if case .line(let bytes) = event { frames.push(String(decoding: bytes, as: UTF8.self)) }
                return true
            }
            frames.close()
            Sys.close(readFD)
        }) else { throw HarnessError.noThread }
        let input = a.read, output = b.write
        runTask = Task {
            await plugin.run(inputFD: input, outputFD: output)
            Sys.close(output)
        }
    }

    /// Writes one line (a newline is appended).
    func send(_ line: String) {
        sendRaw(Array(line.utf8) + [0x0A])
    }

    func sendRaw(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Sys.writeAll(toPlugin.write, $0) }
    }

    /// The next frame the plugin wrote, as text; nil after `timeout` or at
    /// end of the plugin's output.
    func next(timeout: Duration = .seconds(5)) async -> String? {
        await frames.next(timeout: timeout)
    }

    /// The next frame parsed; fails the test if none or not JSON.
    func nextJSON(timeout: Duration = .seconds(5)) async throws -> JSON {
        guard let line = await next(timeout: timeout) else { throw HarnessError.noFrame }
        return try JSONParser.parse(line)
    }

    /// Closes the plugin's stdin (EOF).
    func closeInput() {
        if inputOpen {
            inputOpen = false
            Sys.close(toPlugin.write)
        }
    }

    /// EOF, then waits for `run` to return; true if it did within `limit`.
    @discardableResult
    func finish(within limit: Duration = .seconds(5)) async -> Bool {
        closeInput()
        let done = await waitForRun(limit)
        Sys.close(toPlugin.read)
        return done
    }

    /// Waits for `run` to return without closing anything.
    func waitForRun(_ limit: Duration) async -> Bool {
        guard let runTask else { return true }
        let flag = Flag()
        Task { await runTask.value; flag.set() }
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while !flag.isSet {
            if clock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    deinit {
        if inputOpen { Sys.close(toPlugin.write) }
    }
}

enum HarnessError: Error { case noPipe, noThread, noFrame }

final class Flag: @unchecked Sendable {
    private let lock = Lock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// Frames read from the plugin, handed to one awaiting test at a time.
final class FrameQueue: @unchecked Sendable {
    private let lock = Lock()
    private var buffered: [String] = []
    private var closed = false
    private var waiter: (token: Int, continuation: CheckedContinuation<String?, Never>)?
    private var nextToken = 0

    func push(_ line: String) {
        let w = lock.withLock { () -> CheckedContinuation<String?, Never>? in
            if let w = waiter { waiter = nil; return w.continuation }
            buffered.append(line)
            return nil
        }
        w?.resume(returning: line)
    }

    func close() {
        let w = lock.withLock { () -> CheckedContinuation<String?, Never>? in
            closed = true
            defer { waiter = nil }
            return waiter?.continuation
        }
        w?.resume(returning: nil)
    }

    func next(timeout: Duration) async -> String? {
        await withCheckedContinuation { (cont: CheckedContinuation<String?, Never>) in
            let ready = lock.withLock { () -> String?? in
                if !buffered.isEmpty { return .some(buffered.removeFirst()) }
                if closed { return .some(nil) }
                nextToken += 1
                waiter = (nextToken, cont)
                return nil
            }
            if let ready { cont.resume(returning: ready); return }
            let token = lock.withLock { nextToken }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds) {
                let w = self.lock.withLock { () -> CheckedContinuation<String?, Never>? in
                    guard let w = self.waiter, w.token == token else { return nil }
                    self.waiter = nil
                    return w.continuation
                }
                w?.resume(returning: nil)
            }
        }
    }
}

/// Canonical text of a JSON value, for exact comparisons (the JSON `==`
/// follows Python and would equate `1`, `1.0` and `true`).
func text(_ v: JSON) -> String { JSONWriter.encodeString(v, style: .pyDefault) }

func parse(_ s: String) -> JSON { (try? JSONParser.parse(s)) ?? .string(JStr("<unparseable: \(s)>")) }

/// The tools most tests use.
func basePlugin() -> ExecutaPlugin {
    ExecutaPlugin(name: "tool-test", version: "1.2.3", description: "test plugin")
        .withTool("echo", description: "echo", parameters: [.string("x", "x")]) { args, _ in args }
        .withTool("context") { _, ctx in
            ["invoke_id": ctx.invokeId.map { .str($0) } ?? .null, "tool": .str(ctx.tool), "request_id": ctx.requestId]
        }
        .withTool("get") { args, ctx in
            // Blocks on a reverse call until the test answers it.
            try await ctx.host.storage.get(args["key"]?.jstr?.string ?? "k")
        }
        .withTool("hostcall") { args, ctx in
            do throws(HostCallError) {
                return try await ctx.host.call(args["method"]?.jstr?.string ?? "storage/get",
                                                args["params"]?.object ?? JObject(),
                                                timeout: .milliseconds(args["timeout_ms"].flatMap { if case .int(let i) = $0 { i } else { nil } } ?? 5000))
            } catch {
                var o = JObject()
                o.append("kind", .str("\(error.kind)"))
                o.append("code", .int(error.code))
                o.append("message", .str(error.message))
                o.append("data", error.data ?? .null)
                o.append("errorCode", error.errorCode.map { .str($0) } ?? .null)
                o.append("description", .str(error.description))
                return .object(o)
            }
        }
        .withTool("progress") { args, ctx in
            ctx.progress("progress", ["pct": 50])
            ctx.progress("tool_update", ["msg": "hi"])
            ctx.progress(["pct": 100])
            return ["done": true]
        }
        .withTool("sleep") { args, _ in
            let ms = args["ms"].flatMap { if case .int(let i) = $0 { i } else { nil } } ?? 100
            try await Task.sleep(for: .milliseconds(ms))
            return ["slept_ms": .int(ms)]
        }
        .withTool("fail") { _, _ in throw ToolFailure("bad thing", details: ["why": "test"]) }
        .withTool("throw") { _, _ in throw CancellationError() }
        .withTool("barrier") { args, _ in
            // Returns once `n` barrier invokes are running at the same time:
            // only possible if the SDK runs invokes concurrently.
            let n = args["n"].flatMap { if case .int(let i) = $0 { i } else { nil } } ?? 2
            await Barrier.shared.arrive()
            let met = await Barrier.shared.wait(for: n, timeout: .seconds(20))
            return ["met": .bool(met)]
        }
}

/// A rendezvous for the `barrier` tool (one test uses it at a time).
actor Barrier {
    static let shared = Barrier()
    private var arrived = 0
    func arrive() { arrived += 1 }
    func wait(for n: Int, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while arrived < n {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}
