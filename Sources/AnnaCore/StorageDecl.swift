import AnnaJSON

/// The normalised storage declaration of a manifest (03-acl.md §4.2):
/// `host_capabilities` strings merged with the schema-3 `storage` section.
public struct StorageDecl: Sendable, Equatable {
    public var kv = false
    public var files = false
    public var admin = false
    /// Per scope (`user`, `app`, `tool`): has read / has write.
    public var read: Set<String> = []
    public var write: Set<String> = []

    static let scopeNames: Set<String> = ["user", "app", "tool"]

    public init(manifest m: AppManifest) {
        for cap in m.hostCapabilities { apply(capability: cap.string) }
        if let s = m.storage {
            kv = kv || s.kv
            files = files || s.files
            for (scope, mode) in s.scopes {
                let sc = scope.string, md = mode.string
                guard StorageDecl.scopeNames.contains(sc), md == "r" || md == "w" || md == "rw" else { continue }
                if md.contains("r") { read.insert(sc) }
                if md.contains("w") { write.insert(sc) }
            }
        }
    }

    mutating func apply(capability cap: String) {
        switch cap {
        case "aps.kv": kv = true
        case "aps.files": files = true
        case "aps": kv = true; files = true
        case "aps.scope.admin": admin = true
        default:
            let parts = cap.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4, parts[0] == "aps", parts[1] == "scope",
                  StorageDecl.scopeNames.contains(String(parts[2])) else { return }
            let scope = String(parts[2])
            if parts[3] == "read" { read.insert(scope); kv = true }
            else if parts[3] == "write" { write.insert(scope); kv = true }
        }
    }

    public var declaresAny: Bool { kv || files || admin || !read.isEmpty || !write.isEmpty }

    /// ACL-SCOPE-1..5.
    public func allows(scope: String, write isWrite: Bool, crossOwner: Bool) -> Bool {
        guard StorageDecl.scopeNames.contains(scope) else { return false }
        if admin { return true }
        if isWrite ? write.contains(scope) : read.contains(scope) { return true }
        if scope == "app" && !crossOwner && (kv || files) { return true }
        return false
    }
}
