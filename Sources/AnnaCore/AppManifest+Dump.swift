import AnnaJSON

/// The reference's canonical re-serialisation of a validated manifest
/// (M-DUMP-1: every field, defaults filled in, canonical order), i.e.
/// `model_dump(by_alias=True)`: the schema version appears as `schema`.
extension AppManifest {
    public func dump() -> JSON {
        var o = JObject(minimumCapacity: 11)
        o.append("schema", schema)
        o.append("permissions", .strings(permissions))
        o.append("host_capabilities", .strings(hostCapabilities))
        o.append("storage", storage.map { $0.dump() } ?? .null)
        o.append("required_executas", .array(requiredExecutas.map { $0.dump() }))
        o.append("optional_executas", .array(optionalExecutas.map { $0.dump() }))
        o.append("system_prompt_addendum", .orNull(systemPromptAddendum))
        o.append("user_message_prefix_template", .orNull(userMessagePrefixTemplate))
        o.append("tags", .strings(tags))
        o.append("ui", ui.map { $0.dump() } ?? .null)
        o.append("dev", dev.map { .object($0) } ?? .null)
        return .object(o)
    }
}

extension ExecutaRef {
    public func dump() -> JSON {
        ["tool_id": .string(toolId), "min_version": .orNull(minVersion), "version": .orNull(version)]
    }
}

extension StorageSection {
    public func dump() -> JSON {
        var scopesObject = JObject(minimumCapacity: scopes.count)
        for (scope, mode) in scopes { scopesObject.set(scope, .string(mode)) }
        return ["kv": .bool(kv), "files": .bool(files), "scopes": .object(scopesObject)]
    }
}

extension UiSection {
    public func dump() -> JSON {
        var csp = JObject(minimumCapacity: cspOverrides.count)
        for (key, values) in cspOverrides { csp.set(key, .strings(values)) }
        return [
            "bundle": bundle.dump(),
            "views": .array(views.map { $0.dump() }),
            "host_api": hostApi.dump(),
            "csp_overrides": .object(csp),
            "state_merge": .string(stateMerge),
            "form_factors": .strings(formFactors),
        ]
    }
}

extension UiBundle {
    public func dump() -> JSON {
        ["format": .string(format), "entry": .string(entry), "external_origins": .strings(externalOrigins)]
    }
}

extension UiView {
    /// All 15 UiViewSpec fields in table order (§2.5), nulls included.
    public func dump() -> JSON {
        var o = JObject(minimumCapacity: 15)
        o.append("name", .string(name))
        o.append("title", .string(title))
        o.append("default", .bool(isDefault))
        o.append("entry", .orNull(entry))
        o.append("mobile_entry", .orNull(mobileEntry))
        o.append("min_size", minSize?.json ?? .null)
        o.append("default_size", defaultSize?.json ?? .null)
        o.append("max_size", maxSize?.json ?? .null)
        o.append("resizable", .bool(resizable))
        o.append("movable", .bool(movable))
        o.append("single_instance", .bool(singleInstance))
        o.append("summary_template", .orNull(summaryTemplate))
        o.append("icon", .orNull(icon))
        o.append("chrome", .string(chrome))
        o.append("transparent", .bool(transparent))
        return .object(o)
    }
}

extension HostApi {
    public func dump() -> JSON {
        var o = JObject(minimumCapacity: 19)
        for f in ManifestValidation.hostApiFields {
            if let list = f.list {
                o.append(f.name, .strings(self[keyPath: list]))
            } else {
                o.append(f.name, agent.dump())
            }
        }
        return .object(o)
    }
}

extension AgentHostApi {
    public func dump() -> JSON {
        let fixed: JSON = sessionFixedClientIds.map { ["client_ids": .strings($0)] } ?? .null
        return ["session": ["auto": .bool(sessionAuto), "fixed": fixed], "tools": .strings(tools)]
    }
}

extension JSON {
    fileprivate static func strings(_ list: [JStr]) -> JSON { .array(list.map(JSON.string)) }
    fileprivate static func orNull(_ s: JStr?) -> JSON { s.map(JSON.string) ?? .null }
}
