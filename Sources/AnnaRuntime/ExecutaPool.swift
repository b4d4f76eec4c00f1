import AnnaCore
import AnnaJSON
import Synchronization

/// The executa pool (07): one warm process per tool id, spawned lazily on
/// first use, shared by every session, respawned after it dies.
public final class ExecutaPool: ExecutaInvoker, Sendable {
    let registry: ExecutaRegistry
    let store: WindowStore
    let workers = WorkerPool(maxThreads: 256, name: "anna-executa")
    /// Deadlines of invokes answered without a waiting thread (startInvoke).
    let deadlines = DeadlineTimer()
    let live = RWLock<[JStr: PluginProcess]>([:])
    /// One gate per tool id: concurrent first calls spawn one process
    /// (EX-SPAWN-3), without holding up warm calls to other tools.
    let spawnGates = Mutex<[JStr: SpawnGate]>([:])
    let closed = Mutex<Bool>(false)
    /// Processes that left `live` (their stdout closed) but may not be
    /// reaped yet: shutdown waits for them too, so no child outlives it.
    let dying = Mutex<[PluginProcess]>([])

    final class SpawnGate: Sendable { let lock = Mutex<Void>(()) }

    public init(registry: ExecutaRegistry, store: WindowStore) {
        self.registry = registry
        self.store = store
    }

    public func isRegistered(_ toolId: JStr) -> Bool { registry.isRegistered(toolId) }

    /// EX-TMO-1: 65 s by default, else max(1, timeout_ms/1000 + 2) s.
    static func budgetSeconds(_ timeoutMs: Int?) -> Double {
        guard let t = timeoutMs else { return 65.0 }
        return max(1.0, Double(t) / 1000 + 2.0)
    }

    public func invoke(toolId: JStr, toolName: JStr, arguments: JSON, timeoutMs: Int?, origin: InvokeOrigin) -> InvokeOutcome {
        let process: PluginProcess
        switch self.process(for: toolId) {
        case .success(let p): process = p
        case .failure(let e): return .failure(e.hostError)
        }
        let budget = ExecutaPool.budgetSeconds(timeoutMs)
        let reply = process.invoke(tool: toolName, arguments: arguments, origin: origin, budgetNanos: UInt64(budget * 1e9))
        return ExecutaPool.outcome(reply, toolId: toolId, budget: budget)
    }

    public func startInvoke(toolId: JStr, toolName: JStr, arguments: JSON, timeoutMs: Int?, origin: InvokeOrigin,
                            done: @escaping @Sendable (InvokeOutcome) -> Void) -> Bool {
        // Spawning may take a while; only warm processes are used here.
        guard let process = live.read({ $0[toolId] }), process.isAlive else { return false }
        let budget = ExecutaPool.budgetSeconds(timeoutMs)
        let start = process.startInvoke(tool: toolName, arguments: arguments, origin: origin,
                                        budgetNanos: UInt64(budget * 1e9), timer: deadlines) { reply in
            done(ExecutaPool.outcome(reply, toolId: toolId, budget: budget))
        }
        return start == .started
    }

    static func outcome(_ reply: PluginReply?, toolId: JStr, budget: Double) -> InvokeOutcome {
        switch reply {
        case .envelope(let outer)?: return .envelope(outer)
        case .cancelled?: return .failure(HostError("tool_failed", "invoke cancelled"))
        case nil:
            // EX-TMO-2: `executa '<tool_id>' timed out after <budget, 1 decimal>s`.
            let tenths = Int((budget * 10).rounded())
            return .timeout("executa '\(toolId)' timed out after \(tenths / 10).\(tenths % 10)s")
        }
    }

    enum SpawnFailure: Error {
        case notRegistered
        case shuttingDown
        /// The OS error text (EX-SPAWN-4), e.g. `[Errno 2] No such file or directory: 'uv'`.
        case os(String)

        var hostError: HostError {
            switch self {
            case .notRegistered: return .notImplemented("tools.invoke is not available in this runtime")
            case .shuttingDown: return HostError("executa_unavailable", "the runtime is shutting down")
            case .os(let text): return .crashed(JStr(text))   // D-DISP-7 text of the reference
            }
        }

        var text: String {
            switch self {
            case .notRegistered: return "executa is not registered"
            case .shuttingDown: return "the runtime is shutting down"
            case .os(let t): return t
            }
        }
    }

    /// The warm process for a tool id, or a new one (EX-POOL-1/2, EX-SPAWN-*).
    func process(for toolId: JStr) -> Result<PluginProcess, SpawnFailure> {
        if let p = live.read({ $0[toolId] }), p.isAlive { return .success(p) }
        let gate = spawnGates.withLock { g -> SpawnGate in
            if let x = g[toolId] { return x }
            let x = SpawnGate()
            g[toolId] = x
            return x
        }
        return gate.lock.withLock { _ -> Result<PluginProcess, SpawnFailure> in
            if let p = live.read({ $0[toolId] }), p.isAlive { return .success(p) }
            if closed.withLock({ $0 }) { return .failure(.shuttingDown) }
            guard let spec = registry.spec(toolId) else { return .failure(.notRegistered) }
            let argv = spec.command ?? ["uv", "run", "--project", spec.projectDir, toolId.string]
            switch Sys.spawn(argv, cwd: spec.projectDir) {
            case .failure(let e):
                return .failure(.os(e.message))   // EX-SPAWN-4: nothing cached, the next call retries
            case .success(let child):
                let p = PluginProcess(toolId: toolId, child: child,
                                      onRequest: { [weak self] proc, req in self?.received(req, from: proc) },
                                      onExit: { [weak self] proc in self?.forget(proc) },
                                      offload: { [workers] work in workers.submit(work) })
                guard p.start() else {
                    p.terminate()
                    return .failure(.os("[Errno 11] Resource temporarily unavailable: cannot start a reader thread"))
                }
                // Published under the `closed` lock: a shutdown that began
                // after the check above either sees this process in `live`
                // or makes us stop it here (BR-EOF-2: none may outlive it).
                let published = closed.withLock { isClosed -> Bool in
                    if isClosed { return false }
                    live.write { $0[toolId] = p }
                    return true
                }
                guard published else {
                    p.terminate()
                    return .failure(.shuttingDown)
                }
                return .success(p)
            }
        }
    }

    func forget(_ p: PluginProcess) {
        live.write { l in
            if let cur = l[p.toolId], cur === p { l.removeValue(forKey: p.toolId) }
        }
        dying.withLock { d in
            d.removeAll { $0.isReaped }
            if !d.contains(where: { $0 === p }) { d.append(p) }
        }
    }

    /// A plugin request or notification; requests are answered on a worker.
    func received(_ req: JObject, from p: PluginProcess) {
        ReverseRouter(store: store).received(req, from: p)
    }

    /// Stops every plugin (close stdin, SIGTERM, SIGKILL after 2 s) and
    /// reaps them; later invokes fail.
    public func shutdown() {
        closed.withLock { $0 = true }
        let warm = live.write { l -> [PluginProcess] in
            let a = Array(l.values)
            l.removeAll()
            return a
        }
        let all = warm + dying.withLock { d in
            defer { d.removeAll() }
            return d.filter { p in !warm.contains { $0 === p } }
        }
        for p in all { p.closeStdin() }
        defer { workers.shutdown(); deadlines.shutdown() }
        // Terminate in parallel so N stubborn plugins cost 2 s, not 2N s.
        let done = OneShot<Void>()
        let remaining = Atomic<Int>(all.count)
        if all.isEmpty { return }
        for p in all {
            let finish: @Sendable () -> Void = {
                p.terminate()
                // Reaped: calls still waiting end now, even if the pipe
                // stays open (a grandchild holding stdout) and no EOF comes.
                p.failPending()
                if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { done.fulfill(()) }
            }
            if !Sys.startThread(finish) { finish() }
        }
        _ = done.wait(timeoutNanos: 5_000_000_000)
    }
}
