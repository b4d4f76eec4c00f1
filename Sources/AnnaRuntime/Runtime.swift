import AnnaCore
import AnnaJSON
import Synchronization

/// One runtime: a window store, its sessions, the key file, the host-call
/// plumbing and (later) the executa pool. Speaks the bridge's JSON-RPC
/// methods (09 §5) in-process; the stdio bridge and the C ABI are thin
/// layers over `handle`. Thread-safe.
public final class Runtime: Sendable {
    public let config: RuntimeConfig
    public let store: WindowStore
    public let keyFile: KeyFile
    let sessions = Mutex<SessionTable>(SessionTable())
    /// Outbound host calls; delegated methods reach it only while a sink is installed.
    public let hostCallRegistry: HostCallRegistry
    /// Validated manifests by their encoding: sessions of one app share one
    /// ACL object (validation once, and little memory per session).
    let manifests = Mutex<[JStr: ManifestACL]>([:])
    public let executas = ExecutaRegistry()
    public let jobs: JobTable
    public let pool: ExecutaPool

    /// `sess-<n>` handles (n from 1, never reused: BR-M-CREATE-3), keyed by n.
    struct SessionTable {
        /// Slot n-1 holds `sess-n`; closed sessions leave nil (8 bytes each).
        var slots: [DispatcherSession?] = []
        var open = 0
        var next: Int { slots.count + 1 }

        subscript(n: Int) -> DispatcherSession? { n >= 1 && n <= slots.count ? slots[n - 1] : nil }
    }

    /// The n of a well-formed `sess-<n>`; nil for anything else.
    static func sessionNumber(_ id: JStr) -> Int? {
        id.withBytes { b -> Int? in
            guard b.count > 5, b.count <= 23, b[0] == 0x73, b[1] == 0x65, b[2] == 0x73, b[3] == 0x73, b[4] == 0x2D,
                  b[5] != 0x30 else { return nil }
            var n = 0
            for i in 5..<b.count {
                let d = b[i] &- 0x30
                guard d < 10 else { return nil }
                n = n &* 10 &+ Int(d)
            }
            return n > 0 ? n : nil
        }
    }

    public init(config: RuntimeConfig, clock: any Clock = SystemClock()) throws(RuntimeConfig.Invalid) {
        if let problem = config.checkSchemaBundle() { throw problem }
        self.config = config
        self.store = WindowStore(options: config.storeOptions, clock: clock)
        self.keyFile = KeyFile(path: KeyFile.resolvePath(configured: config.devKeyPath))
        self.hostCallRegistry = HostCallRegistry(timeoutMs: config.hostCallTimeoutMs)
        self.jobs = JobTable(store: store)
        self.pool = ExecutaPool(registry: executas, store: store)
        store.jobs = jobs
        store.executa = pool
        jobs.setRunner(pool)
        store.web = LocalWeb()
    }

    // MARK: host calls

    /// Installs (or with nil removes) the receiver of outbound host calls.
    /// Without one, delegated methods answer `not_implemented` (D-DELEG-2).
    public func setHostSink(_ sink: HostCallRegistry.Sink?) {
        store.hostCaller = sink == nil ? nil : hostCallRegistry
        hostCallRegistry.setSink(sink)
    }

    // MARK: sessions

    public func session(_ id: JStr) -> DispatcherSession? {
        guard let n = Runtime.sessionNumber(id) else { return nil }
        return sessions.withLock { $0[n] }
    }

    public var openSessionCount: Int { sessions.withLock { $0.open } }

    /// Mints a window token for a session (BR-M-CREATE-3).
    func mintToken(_ s: DispatcherSession) -> Result<String, Sys.OSError> {
        keyFile.signer().map { signer in
            var claims = DevToken.Claims(windowUuid: s.window.windowUuid, userId: s.window.userId)
            claims.appId = .int(s.window.appId)
            claims.versionId = .int(s.window.versionId)
            claims.ttlSeconds = config.tokenTTLSeconds
            return DevToken.mint(claims, signer: signer, nowSeconds: store.clock.now().seconds)
        }
    }

    /// Creates a window (SS-2) and registers it under the next `sess-N`.
    func createSession(userId: JSON, manifest: JSON, view: JSON, entryPayload: JSON, runtimeState: JSON,
                       appSlug: JSON) -> Result<(JStr, DispatcherSession), RPCFailure> {
        let acl: ManifestACL
        switch manifestACL(manifest) {
        case .success(let a): acl = a
        case .failure(let e): return .failure(.internal(e.rendered, kind: "ValidationError"))
        }
        let m = acl.manifest
        let entry: JObject, state: JObject
        switch PyDict.from(entryPayload.isTruthy ? entryPayload : .object(JObject())) {
        case .success(let o): entry = o
        case .failure(let f): return .failure(.internal(f.message, kind: f.pythonClass))
        }
        switch PyDict.from(runtimeState.isTruthy ? runtimeState : .object(JObject())) {
        case .success(let o): state = o
        case .failure(let f): return .failure(.internal(f.message, kind: f.pythonClass))
        }
        let window = WindowRecord(windowUuid: JStr(UUID4.string()), userId: userId,
                                  view: ViewProjection.initialView(requested: view, manifest: m),
                                  entryPayload: entry, runtimeState: state, appSlug: appSlug, now: store.clock.now())
        let session = DispatcherSession(store: store, window: window, acl: acl)
        let id: JStr = sessions.withLock { t in
            t.slots.append(session)
            t.open += 1
            return JStr("sess-\(t.slots.count)")
        }
        return .success((id, session))
    }

    func manifestACL(_ manifest: JSON) -> Result<ManifestACL, ManifestValidationError> {
        var buf = ByteBuffer(capacity: 512)
        JSONWriter.write(manifest, style: .pyDefault, into: &buf)
        let key = buf.withBytes { JStr(wtf8Buffer: $0) }
        if let hit = manifests.withLock({ $0[key] }) { return .success(hit) }
        switch ManifestValidator.validate(manifest) {
        case .failure(let e): return .failure(e)
        case .success(let m):
            let acl = ManifestACL(m)
            manifests.withLock { cache in
                if cache.count >= 256 { cache.removeAll() }
                cache[key] = acl
            }
            return .success(acl)
        }
    }

    /// BR-M-CLOSE-1. The reference keeps a closed window in its store
    /// forever (SS-6); here nothing references it after this, so it is freed.
    func closeSession(_ id: JStr) {
        guard let n = Runtime.sessionNumber(id) else { return }
        let closed: DispatcherSession? = sessions.withLock { t in
            guard let s = t[n] else { return nil }
            t.slots[n - 1] = nil
            t.open -= 1
            return s
        }
        if let closed { jobs.closeWindow(closed.window.windowUuid) }
    }
}

extension PyDict.Failure {
    var pythonClass: String {
        switch self {
        case .value: return "ValueError"
        case .type: return "TypeError"
        }
    }
}

extension Runtime {
    /// Stops everything that runs in the background (plugin processes,
    /// job threads) and fails waiting host calls.
    public func shutdown() {
        hostCallRegistry.failAll(HostError("host_unavailable", "the runtime is shutting down"))
        pool.shutdown()
        // The store points at its hooks and they point back at the store:
        // break the cycle so a freed runtime frees everything.
        store.executa = nil
        store.jobs = nil
        store.web = nil
        store.hostCaller = nil
        jobs.setRunner(nil)
    }
}
