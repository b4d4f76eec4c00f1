import AnnaJSON

/// A validated app manifest (02-manifest.md §2). Produced only by
/// `ManifestValidator.validate`; every field holds the value after lax
/// coercion and defaults, in the reference's canonical field order.
public struct AppManifest: Sendable {
    public var schema: JSON = .int(1)                 // int[1..3], kept as validated integer
    public var permissions: [JStr] = []
    public var hostCapabilities: [JStr] = []
    public var storage: StorageSection? = nil
    public var requiredExecutas: [ExecutaRef] = []
    public var optionalExecutas: [ExecutaRef] = []
    public var systemPromptAddendum: JStr? = nil
    public var userMessagePrefixTemplate: JStr? = nil
    public var tags: [JStr] = []
    public var ui: UiSection? = nil
    /// The `dev` block after validation (declared fields first, unknown keys kept).
    public var dev: JObject? = nil

    public init() {}
}

public struct ExecutaRef: Sendable {
    public var toolId: JStr
    public var minVersion: JStr? = nil
    public var version: JStr? = nil
    public init(toolId: JStr) { self.toolId = toolId }
}

public struct StorageSection: Sendable {
    public var kv = false
    public var files = false
    /// `scope → mode` in input order (already checked by M-STOR-1).
    public var scopes: [(scope: JStr, mode: JStr)] = []
    public init() {}
}

public struct UiSection: Sendable {
    public var bundle: UiBundle
    public var views: [UiView] = []
    public var hostApi = HostApi()
    public var cspOverrides: [(key: JStr, values: [JStr])] = []
    public var stateMerge: JStr = "last_writer_wins"
    public var formFactors: [JStr] = ["desktop"]
    public init(bundle: UiBundle) { self.bundle = bundle }
}

public struct UiBundle: Sendable {
    public var format: JStr = "static-spa"
    public var entry: JStr
    public var externalOrigins: [JStr] = []
    public init(entry: JStr) { self.entry = entry }
}

public struct UiSize: Sendable, Equatable {
    /// Validated integers in [120, 4096].
    public var w: Int
    public var h: Int
    public init(w: Int, h: Int) { self.w = w; self.h = h }
    public var json: JSON { ["w": .int(w), "h": .int(h)] }
}

public struct UiView: Sendable {
    public var name: JStr
    public var title: JStr
    public var isDefault = false
    public var entry: JStr? = nil
    public var mobileEntry: JStr? = nil
    public var minSize: UiSize? = nil
    public var defaultSize: UiSize? = nil
    public var maxSize: UiSize? = nil
    public var resizable = true
    public var movable = true
    public var singleInstance = false
    public var summaryTemplate: JStr? = nil
    public var icon: JStr? = nil
    public var chrome: JStr = "solid"
    public var transparent = false
    public init(name: JStr, title: JStr) { self.name = name; self.title = title }
}

/// `ui.host_api`: one list per namespace (method names, `"*"`, tool refs or
/// provider ids), plus the structured `agent` block.
public struct HostApi: Sendable {
    public var tools: [JStr] = []
    public var chat: [JStr] = []
    public var artifact: [JStr] = []
    public var llm: [JStr] = []
    public var agent = AgentHostApi()
    public var fs: [JStr] = []
    public var storage: [JStr] = []
    public var prefs: [JStr] = []
    public var window: [JStr] = []
    public var files: [JStr] = []
    public var image: [JStr] = []
    public var video: [JStr] = []
    public var music: [JStr] = []
    public var audio: [JStr] = []
    public var upload: [JStr] = []
    public var apps: [JStr] = []
    public var credentials: [JStr] = []
    public var web: [JStr] = []
    public var mobile: [JStr] = []
    public init() {}

    /// The list for a list-valued namespace; nil for `agent` and unknown names.
    public func list(for ns: JStr) -> [JStr]? {
        switch ns.string {
        case "tools": return tools
        case "chat": return chat
        case "artifact": return artifact
        case "llm": return llm
        case "fs": return fs
        case "storage": return storage
        case "prefs": return prefs
        case "window": return window
        case "files": return files
        case "image": return image
        case "video": return video
        case "music": return music
        case "audio": return audio
        case "upload": return upload
        case "apps": return apps
        case "credentials": return credentials
        case "web": return web
        case "mobile": return mobile
        default: return nil
        }
    }
}

public struct AgentHostApi: Sendable {
    public var sessionAuto = false
    /// `session.fixed`: nil when absent/null; otherwise its `client_ids`.
    public var sessionFixedClientIds: [JStr]? = nil
    public var tools: [JStr] = []
    public init() {}
}
