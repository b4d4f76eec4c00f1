import AnnaJSON
import Synchronization

/// One iframe window (ST-WIN-1). Immutable identity plus a mutex-guarded
/// mutable part: every handler's read-modify-write of a window happens
/// under its lock, which gives the atomicity the reference gets from its
/// single event loop (ST-RS-7).
public final class WindowRecord: Sendable {
    public let windowUuid: JStr
    /// A Python int (`.int` or `.bigInt`).
    public let userId: JSON
    public let appId = 1
    public let versionId = 1
    public let bundleId = 1
    /// The window's view name; any JSON value the creator passed (errata V-SEL-1).
    public let view: JSON
    public let entryPayload: JObject
    /// `app_slug` as given (null = absent).
    public let appSlug: JSON

    public struct State: Sendable {
        public var title: JStr? = nil
        public var runtimeState: StateMap
        public var geometry = JObject()
        public var status: JStr = "active"
        public var lastFocusAt: UTCTime
        public var closedReason: JStr? = nil
        public var closedAt: UTCTime? = nil
    }

    public let state: Mutex<State>

    public init(windowUuid: JStr, userId: JSON, view: JSON, entryPayload: JObject,
                runtimeState: JObject, appSlug: JSON, now: UTCTime) {
        self.windowUuid = windowUuid
        self.userId = userId
        self.view = view
        self.entryPayload = entryPayload
        self.appSlug = appSlug
        self.state = Mutex(State(runtimeState: StateMap(runtimeState), lastFocusAt: now))
    }
}
