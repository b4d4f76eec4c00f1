import AnnaJSON

/// AppManifest and its non-UI sections (02-manifest.md §2.1, 2.2, 2.9, 2.10).
/// Field order in each function is the canonical order: it decides the
/// order of the reported errors.
extension ManifestValidation {
    static let rootFields: [StaticString] = [
        "schema", "permissions", "host_capabilities", "storage", "required_executas",
        "optional_executas", "system_prompt_addendum", "user_message_prefix_template", "tags", "ui", "dev",
    ]

    mutating func appManifest(_ raw: JSON) -> AppManifest? {
        guard let o = modelObject(raw, "AppManifest", extra: .forbid) else { return nil }
        var m = AppManifest()
        var ok = true
        ok = field(o, "schema", into: &m.schema) { $0.int($1, ge: 1, le: 3) } && ok
        ok = field(o, "permissions", into: &m.permissions) { $0.stringList($1) } && ok
        ok = field(o, "host_capabilities", into: &m.hostCapabilities) { $0.stringList($1) } && ok
        ok = field(o, "storage", into: &m.storage) { v, x in v.optional(x) { $0.storage($1) } } && ok
        ok = field(o, "required_executas", into: &m.requiredExecutas) { v, x in v.list(x) { $0.executaRef($1) } } && ok
        ok = field(o, "optional_executas", into: &m.optionalExecutas) { v, x in v.list(x) { $0.executaRef($1) } } && ok
        ok = field(o, "system_prompt_addendum", into: &m.systemPromptAddendum) { v, x in
            v.optional(x) { $0.string($1, max: 4000) }
        } && ok
        ok = field(o, "user_message_prefix_template", into: &m.userMessagePrefixTemplate) { v, x in
            v.optional(x) { $0.string($1, max: 500) }
        } && ok
        ok = field(o, "tags", into: &m.tags) { $0.stringList($1) } && ok
        ok = field(o, "ui", into: &m.ui) { v, x in v.optional(x) { $0.uiSection($1) } } && ok
        ok = field(o, "dev", into: &m.dev) { v, x in v.optional(x) { $0.devConfig($1) } } && ok
        ok = forbidExtras(o, declared: ManifestValidation.rootFields) && ok
        return ok ? m : nil
    }

    /// ManifestExecutaRef ignores unknown keys (M-GEN-3), lone surrogates included.
    mutating func executaRef(_ raw: JSON) -> ExecutaRef? {
        guard let o = modelObject(raw, "ManifestExecutaRef", extra: .ignore) else { return nil }
        let toolId = required(o, "tool_id") { $0.string($1, min: 1, max: 200) }
        var ref = ExecutaRef(toolId: toolId ?? .empty)
        var ok = toolId != nil
        ok = field(o, "min_version", into: &ref.minVersion) { v, x in v.optional(x) { $0.string($1, max: 40) } } && ok
        ok = field(o, "version", into: &ref.version) { v, x in v.optional(x) { $0.string($1, max: 40) } } && ok
        return ok ? ref : nil
    }

    static let storageFields: [StaticString] = ["kv", "files", "scopes"]

    mutating func storage(_ raw: JSON) -> StorageSection? {
        guard let o = modelObject(raw, "StorageManifestSection", extra: .forbid) else { return nil }
        var s = StorageSection()
        var ok = true
        ok = field(o, "kv", into: &s.kv) { $0.bool($1) } && ok
        ok = field(o, "files", into: &s.files) { $0.bool($1) } && ok
        ok = field(o, "scopes", into: &s.scopes) { v, x in
            guard let pairs = v.dict(x, { $0.string($1) }) else { return nil }
            return v.checkScopes(pairs, x)
        } && ok
        ok = forbidExtras(o, declared: ManifestValidation.storageFields) && ok
        return ok ? s : nil
    }

    /// M-STOR-1: runs only once the map is well typed; the first bad entry
    /// in input order is the single error, reported on the whole map.
    mutating func checkScopes(_ pairs: [(key: JStr, value: JStr)], _ raw: JSON) -> [(scope: JStr, mode: JStr)]? {
        for (scope, mode) in pairs {
            if !(scope.equals("user") || scope.equals("app") || scope.equals("tool")) {
                report(.valueError("storage.scopes: unknown scope \(Py.repr(scope))"), input: raw)
                return nil
            }
            if !(mode.equals("r") || mode.equals("w") || mode.equals("rw")) {
                report(.valueError("storage.scopes.\(scope): mode must be r|w|rw, got \(Py.repr(mode))"), input: raw)
                return nil
            }
        }
        return pairs.map { (scope: $0.key, mode: $0.value) }
    }

    static let devFields: [StaticString] = ["fixtures", "mocks", "seed_storage", "user_id"]

    /// AppDevConfig keeps undeclared keys (M-GEN-4): the result holds the
    /// four declared fields (null when unset) followed by the extras in
    /// input order, which is exactly its dump.
    mutating func devConfig(_ raw: JSON) -> JObject? {
        guard let o = modelObject(raw, "AppDevConfig", extra: .allow) else { return nil }
        var fixtures: JSON = .null
        var mocks: JSON = .null
        var seed: JSON = .null
        var userId: JSON = .null
        var ok = true
        ok = field(o, "fixtures", into: &fixtures) { v, x in
            v.optional(x) { $0.stringList($1) }.map { $0.map { JSON.array($0.map(JSON.string)) } ?? .null }
        } && ok
        ok = field(o, "mocks", into: &mocks) { v, x in v.anyDict(x) } && ok
        ok = field(o, "seed_storage", into: &seed) { v, x in v.anyDict(x) } && ok
        ok = field(o, "user_id", into: &userId) { v, x in
            v.optional(x) { $0.int($1) }.map { $0 ?? .null }
        } && ok
        guard ok else { return nil }
        var out = JObject(minimumCapacity: o.count + 4)
        out.append("fixtures", fixtures)
        out.append("mocks", mocks)
        out.append("seed_storage", seed)
        out.append("user_id", userId)
        for e in o.entries where !ManifestValidation.isDeclared(e.key, ManifestValidation.devFields) {
            out.set(e.key, e.value)
        }
        return out
    }

    /// `dict[str, Any] | None`: any JSON object (or null) is kept as is.
    mutating func anyDict(_ raw: JSON) -> JSON? {
        switch raw {
        case .null, .object: return raw
        default:
            report(.dictType, input: raw)
            return nil
        }
    }
}
