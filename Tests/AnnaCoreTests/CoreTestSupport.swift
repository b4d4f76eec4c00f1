import AnnaJSON
@testable import AnnaCore

struct TestClock: Clock {
    var time = UTCTime(micros: 1_795_300_000_123_456)
    func now() -> UTCTime { time }
}

func manifest(_ text: String) throws -> AppManifest {
    switch ManifestValidator.validate(try JSONParser.parse(text)) {
    case .success(let m): return m
    case .failure(let e): throw e
    }
}

func makeSession(_ manifestText: String, store: WindowStore? = nil, view: JSON = .null,
                 runtimeState: JObject = JObject(), appSlug: JSON = .null, userId: Int = 1) throws -> DispatcherSession {
    let m = try manifest(manifestText)
    let s = store ?? WindowStore(clock: TestClock())
    let w = WindowRecord(windowUuid: JStr(UUID4.string()), userId: .int(userId),
                         view: ViewProjection.initialView(requested: view, manifest: m),
                         entryPayload: JObject(), runtimeState: runtimeState, appSlug: appSlug, now: s.clock.now())
    return DispatcherSession(store: s, window: w, acl: ManifestACL(m))
}

extension DispatcherSession {
    /// Calls and renders the session result the way the bridge would.
    func wire(_ ns: String, _ method: String, _ args: String = "{}") throws -> String {
        let r = call(ns: .str(ns), method: .str(method), args: try JSONParser.parse(args))
        switch r {
        case .success(let o): return "ok " + JSONWriter.encodeString(.object(o))
        case .failure(let e): return "error " + JSONWriter.encodeString(e.json)
        }
    }
}

let uiManifest = #"{"ui":{"bundle":{"entry":"i.html"},"views":[{"name":"main","title":"Main"}],"host_api":{"storage":["*"]}}}"#
