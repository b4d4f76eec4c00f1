#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
import AnnaCore
import AnnaJSON
import AnnaTestSupport
@testable import AnnaRuntime

/// Support for the executa pool tests: a Runtime driven through its
/// JSON-RPC entry (`Runtime.handle`) with the fault plugins of
/// tests/plugins registered, plus process and thread helpers.
///
/// Every blocking runtime call runs on a thread of its own (`offThread`),
/// so a test waiting on a plugin never holds one of the few cooperative
/// threads swift-testing runs the suites on.
enum PoolPlugins {
    static let dir = RepoFiles.root + "/tests/plugins"

    /// The interpreter for the plugins: a real python3 binary when there is
    /// one (a pyenv shim costs a bash start per spawn), else `python3`.
    static let python: String = {
        for p in ["/usr/bin/python3", "/usr/local/bin/python3"] where access(p, X_OK) == 0 { return p }
        return "python3"
    }()

    static func cmd(_ script: String = "plug.py", _ extra: [String] = []) -> [String] {
        [python, dir + "/" + script] + extra
    }

    /// True when `name` is an executable on $PATH (the default `uv run` command).
    static func onPath(_ name: String) -> Bool {
        let path = Sys.getenv("PATH") ?? ""
        return path.split(separator: ":").contains { access("\($0)/\(name)", X_OK) == 0 }
    }
}

/// Runs a blocking body on a new OS thread and resumes with its value.
func offThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { (k: CheckedContinuation<T, Never>) in
        if !Sys.startThread(stackSize: 4 << 20, { k.resume(returning: body()) }) {
            k.resume(returning: body())
        }
    }
}

/// Runs `n` bodies on `n` threads released together; results by index.
func concurrently<T: Sendable>(_ n: Int, _ body: @escaping @Sendable (Int) -> T) async -> [T] {
    await offThread {
        let results = Mutex<[Int: T]>([:])
        let ready = Atomic<Int>(0)
        let go = Atomic<Bool>(false)
        let done = OneShot<Void>()
        for i in 0..<n {
            let started = Sys.startThread(stackSize: 4 << 20) {
                ready.add(1, ordering: .sequentiallyConsistent)
                while !go.load(ordering: .sequentiallyConsistent) { sched_yield() }
                let r = body(i)
                let count = results.withLock { m -> Int in m[i] = r; return m.count }
                if count == n { done.fulfill(()) }
            }
            precondition(started, "cannot start a test thread")
        }
        while ready.load(ordering: .sequentiallyConsistent) < n { sched_yield() }
        go.store(true, ordering: .sequentiallyConsistent)
        _ = done.wait(timeoutNanos: 120_000_000_000)
        return results.withLock { m in (0..<n).map { m[$0]! } }
    }
}

/// Polls `cond` every 10 ms until it holds or `seconds` pass; true if it held.
func eventually(_ seconds: Double = 10, _ cond: () -> Bool) async -> Bool {
    let deadline = Sys.monotonicNanos() + UInt64(seconds * 1e9)
    while true {
        if cond() { return true }
        if Sys.monotonicNanos() > deadline { return false }
        try? await Task.sleep(nanoseconds: 10_000_000)
    }
}

// MARK: - processes

enum Proc {
    /// `/proc/<pid>` is gone: the process exited AND was reaped (a zombie
    /// keeps its /proc entry).
    static func gone(_ pid: pid_t) -> Bool { access("/proc/\(pid)", F_OK) != 0 }

    /// The state letter of /proc/<pid>/stat (R, S, Z, ...), nil when gone.
    static func state(_ pid: pid_t) -> Character? {
        guard let f = fopen("/proc/\(pid)/stat", "r") else { return nil }
        defer { fclose(f) }
        var buf = [CChar](repeating: 0, count: 1024)
        guard fgets(&buf, Int32(buf.count), f) != nil else { return nil }
        let s = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let close = s.lastIndex(of: ")") else { return nil }
        let rest = s[s.index(after: close)...].drop { $0 == " " }
        return rest.first
    }

    /// The targets of /proc/<pid>/fd/* (paths, `pipe:[…]`, …).
    static func openPaths(_ pid: pid_t) -> [String] {
        guard let d = opendir("/proc/\(pid)/fd") else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard Int(name) != nil else { continue }
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlink("/proc/\(pid)/fd/\(name)", &buf, buf.count - 1)
            if n > 0 { out.append(String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
        }
        return out
    }

    /// Pids whose command line contains `marker` as one argument.
    static func withArgument(_ marker: String) -> [pid_t] {
        guard let d = opendir("/proc") else { return [] }
        defer { closedir(d) }
        var out: [pid_t] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = pid_t(name) else { continue }
            guard let f = fopen("/proc/\(pid)/cmdline", "r") else { continue }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = fread(&chunk, 1, chunk.count, f)
                if n <= 0 { break }
                bytes += chunk[0..<n]
            }
            fclose(f)
            let args = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            if args.contains(marker) { out.append(pid) }
        }
        return out
    }

    static func makeTempDir() -> String {
        var template = Array("/tmp/anna-pool-test-XXXXXX".utf8CString)
        let ok = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        precondition(ok, "mkdtemp failed")
        return String(cString: template)
    }

    /// `rm -rf path` (test scratch only).
    static func remove(_ path: String) {
        guard path.hasPrefix("/tmp/anna-pool-test-"), case .success(let c) = Sys.spawn(["rm", "-rf", path], cwd: "/") else { return }
        Sys.closeFD(c.stdin); Sys.closeFD(c.stdout); Sys.closeFD(c.stderr)
        var status: Int32 = 0
        _ = waitpid(c.pid, &status, 0)
    }
}

// MARK: - JSON helpers

extension JSON {
    /// PY-DEFAULT text, for failure messages.
    var dumped: String {
        var b = ByteBuffer(capacity: 256)
        JSONWriter.write(self, style: .pyDefault, into: &b)
        let s = b.withBytes { String(decoding: $0, as: UTF8.self) }
        return s.count > 600 ? String(s.prefix(600)) + "…" : s
    }

    static func parsed(_ text: String) -> JSON {
        (try? JSONParser.parse(text)) ?? .str("<unparsable \(text)>")
    }
}

extension Optional where Wrapped == JSON {
    var dumped: String { self?.dumped ?? "<absent>" }
}

// MARK: - the runtime harness

/// A Runtime in a scratch directory with the fault plugins registered.
final class PoolHarness: Sendable {
    static let T = "tool-test-plug"
    static let T2 = "tool-test-other"
    static let TERM = "tool-test-term"
    static let START = "tool-test-start"

    struct Registration: Sendable {
        var toolId: String
        var projectDir: String? = nil   // nil = the harness's project dir
        var command: [String]? = nil
    }

    let dir: String
    let proj: String
    let rt: Runtime
    /// Every plugin pid a test saw (echo results, live processes).
    let pids = Mutex<Set<pid_t>>([])

    init(_ regs: [Registration]? = nil) {
        dir = Proc.makeTempDir()
        proj = dir + "/proj"
        mkdir(proj, 0o755)
        var c = RuntimeConfig()
        c.devKeyPath = dir + "/dev.key"
        rt = try! Runtime(config: c)
        let r = register(regs ?? [
            Registration(toolId: PoolHarness.T, command: PoolPlugins.cmd()),
            Registration(toolId: PoolHarness.T2, command: PoolPlugins.cmd()),
        ])
        precondition(r["registered"] != nil, "executas.register failed: \(r.dumped)")
    }

    // MARK: JSON-RPC

    /// One bridge request (09 §5), synchronously; the whole response object.
    func rpcSync(_ method: String, _ params: JSON) -> JSON {
        let req = JObject(uniqueEntries: [("jsonrpc", "2.0"), ("id", 1), ("method", .str(method)), ("params", params)])
        var out = ByteBuffer(capacity: 512)
        rt.handle(request: req, into: &out)
        let resp = out.withBytes { (try? JSONParser.parse($0)) ?? .null }
        return resp
    }

    /// The `result` member of a bridge response (the error object if none).
    func callSync(_ method: String, _ params: JSON) -> JSON {
        let r = rpcSync(method, params)
        return r["result"] ?? r["error"] ?? .null
    }

    func call(_ method: String, _ params: JSON) async -> JSON {
        await offThread { self.callSync(method, params) }
    }

    @discardableResult
    func register(_ regs: [Registration]) -> JSON {
        let items: [JSON] = regs.map { r in
            var e: [JObject.Entry] = [("tool_id", .str(r.toolId)), ("project_dir", .str(r.projectDir ?? proj))]
            if let c = r.command { e.append(("command", .array(c.map { .str($0) }))) }
            return .object(JObject(uniqueEntries: e))
        }
        return callSync("executas.register", ["executas": .array(items)])
    }

    static func manifest(_ tools: [String]) -> JSON {
        [
            "schema": 1,
            "required_executas": .array(tools.map { ["tool_id": .str($0)] }),
            "ui": ["bundle": ["entry": "index.html"],
                   "views": [["name": "main", "title": "Main", "default": true]],
                   "host_api": ["tools": ["required:*", "*"], "storage": ["*"]]],
        ]
    }

    /// `session.create` for `userId` with every given tool required; the session id.
    func createSession(userId: Int = 1, tools: [String] = [PoolHarness.T, PoolHarness.T2]) -> String {
        let r = callSync("session.create", ["user_id": .int(userId), "manifest": PoolHarness.manifest(tools)])
        guard let sid = r["session_id"]?.jstr?.string else { preconditionFailure("session.create failed: \(r.dumped)") }
        return sid
    }

    /// `session.call` → `{"ok": …, "result"|"error": …}`.
    func scallSync(_ sid: String, _ ns: String, _ method: String, _ args: JSON? = nil) -> JSON {
        var p: [JObject.Entry] = [("session_id", .str(sid)), ("ns", .str(ns)), ("method", .str(method))]
        if let args { p.append(("args", args)) }
        return callSync("session.call", .object(JObject(uniqueEntries: p)))
    }

    func scall(_ sid: String, _ ns: String, _ method: String, _ args: JSON? = nil) async -> JSON {
        await offThread { self.scallSync(sid, ns, method, args) }
    }

    static func toolArgs(_ toolId: String, _ tool: String, _ args: JSON?, _ timeoutMs: Int?) -> JSON {
        var a: [JObject.Entry] = [("tool_id", .str(toolId)), ("method", .str(tool))]
        if let args { a.append(("args", args)) }
        if let timeoutMs { a.append(("timeoutMs", .int(timeoutMs))) }
        return .object(JObject(uniqueEntries: a))
    }

    /// Sync `tools.invoke`; notes the pid of an answer carrying one.
    func invokeSync(_ sid: String, _ tool: String, _ args: JSON? = [:], toolId: String = PoolHarness.T,
                    timeoutMs: Int? = nil) -> JSON {
        let r = scallSync(sid, "tools", "invoke", PoolHarness.toolArgs(toolId, tool, args, timeoutMs))
        if case .int(let pid)? = r["result"]?["pid"] { pids.withLock { _ = $0.insert(pid_t(pid)) } }
        return r
    }

    func invoke(_ sid: String, _ tool: String, _ args: JSON? = [:], toolId: String = PoolHarness.T,
                timeoutMs: Int? = nil) async -> JSON {
        await offThread { self.invokeSync(sid, tool, args, toolId: toolId, timeoutMs: timeoutMs) }
    }

    /// The pid `echo` reports (nil when the call failed).
    func echoPid(_ sid: String, toolId: String = PoolHarness.T) async -> pid_t? {
        let r = await invoke(sid, "echo", [:], toolId: toolId)
        guard case .int(let p)? = r["result"]?["pid"] else { return nil }
        return pid_t(p)
    }

    /// `tools.invokeAsync` → `{"ok": …}`.
    func job(_ sid: String, _ tool: String, _ args: JSON? = [:], toolId: String = PoolHarness.T) async -> JSON {
        await scall(sid, "tools", "invokeAsync", PoolHarness.toolArgs(toolId, tool, args, nil))
    }

    /// Polls `tools.getJob` until the job is terminal (or `seconds` pass); the snapshot.
    func waitJob(_ sid: String, _ jobId: JSON, limit: Int = 100, seconds: Double = 20) async -> JSON {
        let deadline = Sys.monotonicNanos() + UInt64(seconds * 1e9)
        while true {
            let r = await scall(sid, "tools", "getJob", ["jobId": jobId, "limit": .int(limit)])
            let snap = r["result"] ?? r
            let state = snap["state"]?.jstr?.string ?? "?"
            if state != "queued" && state != "running" { return snap }
            if Sys.monotonicNanos() > deadline { return snap }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    // MARK: pool internals

    func liveProcess(_ toolId: String = PoolHarness.T) -> PluginProcess? {
        rt.pool.live.read { $0[JStr(toolId)] }
    }

    /// The live process's pid (noted for the final reaping check).
    func livePid(_ toolId: String = PoolHarness.T) -> pid_t? {
        guard let p = liveProcess(toolId) else { return nil }
        pids.withLock { _ = $0.insert(p.child.pid) }
        return p.child.pid
    }

    func pendingCount(_ toolId: String = PoolHarness.T) -> Int {
        liveProcess(toolId)?.state.withLock { $0.pending.count } ?? 0
    }

    // MARK: teardown

    /// Shuts the runtime down and checks that every plugin it ran is gone
    /// (reaped: no zombie, no orphan); removes the scratch directory.
    func close(sourceLocation: SourceLocation = #_sourceLocation) async {
        for t in rt.pool.live.read({ Array($0.keys) }) { _ = livePid(t.string) }
        await offThread { self.rt.shutdown() }
        let all = pids.withLock { $0 }
        let reaped = await eventually(10) { all.allSatisfy { Proc.gone($0) } }
        let left = all.filter { !Proc.gone($0) }
        #expect(reaped, "plugin processes left after shutdown: \(left.map { ($0, Proc.state($0).map(String.init) ?? "-") })",
                sourceLocation: sourceLocation)
        for p in left { kill(p, SIGKILL) }
        Proc.remove(dir)
    }
}

/// The expected error objects (tests/plugins/test_faults.py, which passes).
enum PoolExpect {
    static let exited: JSON = ["code": "tool_failed", "message": "executa process exited", "details": [:]]

    static func tooLarge(_ n: Int, tool: String = "sized") -> JSON {
        ["code": "result_too_large",
         "message": .str("result too large: serialized result is \(n) bytes, exceeds transport limit of 4194304 bytes; "
                         + "return a file reference (host/uploadFile or APS files) instead of inline data"),
         "details": ["plugin_name": .str(PoolHarness.T), "tool_name": .str(tool), "size": .int(n), "max": 4194304,
                     "retriable": false]]
    }

    static let noSessionContext: JSON = [
        "code": -32603, "message": "No active LocalDispatcherSession for reverse-RPC dispatch",
        "data": ["errorCode": "NO_SESSION_CONTEXT", "method": "storage/set"],
    ]
}
