import AnnaJSON
import Synchronization

/// The in-memory window store shared by every session of one runtime
/// (OV-2): events, the hooks to the outside world, and the mode flags.
public final class WindowStore: Sendable {
    public struct Options: Sendable {
        /// `ANNA_APP_RUNTIME_STORAGE_MODE=aps`: plugin storage/files forward to the host.
        public var apsForwardStorage = false
        /// `ANNA_APP_RUNTIME_WEB_MODE=real`: web.* forward to the host.
        public var webForwardReal = false
        public init() {}
    }

    public let options: Options
    public let clock: any Clock
    public let events = EventQueue()
    let hooks = Mutex<Hooks>(Hooks())

    struct Hooks {
        var hostCaller: (any HostCaller)?
        var executa: (any ExecutaInvoker)?
        var jobs: (any JobHost)?
        var web: (any WebBackend)?
    }

    public init(options: Options = Options(), clock: any Clock) {
        self.options = options
        self.clock = clock
    }

    public var hostCaller: (any HostCaller)? {
        get { hooks.withLock { $0.hostCaller } }
        set { hooks.withLock { $0.hostCaller = newValue } }
    }
    public var executa: (any ExecutaInvoker)? {
        get { hooks.withLock { $0.executa } }
        set { hooks.withLock { $0.executa = newValue } }
    }
    public var jobs: (any JobHost)? {
        get { hooks.withLock { $0.jobs } }
        set { hooks.withLock { $0.jobs = newValue } }
    }
    public var web: (any WebBackend)? {
        get { hooks.withLock { $0.web } }
        set { hooks.withLock { $0.web = newValue } }
    }

    public func emit(_ window: WindowRecord, _ kind: StaticString, _ payload: JObject) {
        events.emit(userId: window.userId, kind: kind, payload: payload, at: clock.now())
    }

    public func emit(userId: JSON, _ kind: StaticString, _ payload: JObject) {
        events.emit(userId: userId, kind: kind, payload: payload, at: clock.now())
    }
}
