import AnnaJSON

/// The `ui` subtree (02-manifest.md §2.3-2.8), all models extra = forbid.
extension ManifestValidation {
    static let uiFields: [StaticString] = [
        "bundle", "views", "host_api", "csp_overrides", "state_merge", "form_factors",
    ]

    mutating func uiSection(_ raw: JSON) -> UiSection? {
        guard let o = modelObject(raw, "UiManifestSection", extra: .forbid) else { return nil }
        let bundle = required(o, "bundle") { $0.uiBundle($1) }
        var s = UiSection(bundle: bundle ?? UiBundle(entry: .empty))
        var ok = bundle != nil
        ok = field(o, "views", into: &s.views) { v, x in v.list(x) { $0.uiView($1) } } && ok
        ok = field(o, "host_api", into: &s.hostApi) { $0.hostApi($1) } && ok
        ok = field(o, "csp_overrides", into: &s.cspOverrides) { v, x in
            v.dict(x) { $0.stringList($1) }.map { $0.map { (key: $0.key, values: $0.value) } }
        } && ok
        ok = field(o, "state_merge", into: &s.stateMerge) { $0.string($1, max: 20) } && ok
        ok = field(o, "form_factors", into: &s.formFactors) { v, x in
            v.list(x) { $0.literal($1, ["desktop", "mobile"], expected: "'desktop' or 'mobile'") }
        } && ok
        ok = forbidExtras(o, declared: ManifestValidation.uiFields) && ok
        return ok ? s : nil
    }

    static let bundleFields: [StaticString] = ["format", "entry", "external_origins"]

    mutating func uiBundle(_ raw: JSON) -> UiBundle? {
        guard let o = modelObject(raw, "UiBundleSection", extra: .forbid) else { return nil }
        var format: JStr = "static-spa"
        var ok = field(o, "format", into: &format) { $0.string($1, max: 20) }
        let entry = required(o, "entry") { $0.string($1, min: 1, max: 200) }
        ok = ok && entry != nil
        var b = UiBundle(entry: entry ?? .empty)
        b.format = format
        ok = field(o, "external_origins", into: &b.externalOrigins) { $0.stringList($1) } && ok
        ok = forbidExtras(o, declared: ManifestValidation.bundleFields) && ok
        return ok ? b : nil
    }

    static let viewFields: [StaticString] = [
        "name", "title", "default", "entry", "mobile_entry", "min_size", "default_size", "max_size",
        "resizable", "movable", "single_instance", "summary_template", "icon", "chrome", "transparent",
    ]

    mutating func uiView(_ raw: JSON) -> UiView? {
        guard let o = modelObject(raw, "UiViewSpec", extra: .forbid) else { return nil }
        let name = required(o, "name") { $0.string($1, min: 1, max: 40) }
        let title = required(o, "title") { $0.string($1, min: 1, max: 120) }
        var ok = name != nil && title != nil
        var w = UiView(name: name ?? .empty, title: title ?? .empty)
        ok = field(o, "default", into: &w.isDefault) { $0.bool($1) } && ok
        ok = field(o, "entry", into: &w.entry) { v, x in v.optional(x) { $0.string($1, max: 300) } } && ok
        ok = field(o, "mobile_entry", into: &w.mobileEntry) { v, x in v.optional(x) { $0.string($1, max: 300) } } && ok
        ok = field(o, "min_size", into: &w.minSize) { v, x in v.optional(x) { $0.uiSize($1) } } && ok
        ok = field(o, "default_size", into: &w.defaultSize) { v, x in v.optional(x) { $0.uiSize($1) } } && ok
        ok = field(o, "max_size", into: &w.maxSize) { v, x in v.optional(x) { $0.uiSize($1) } } && ok
        ok = field(o, "resizable", into: &w.resizable) { $0.bool($1) } && ok
        ok = field(o, "movable", into: &w.movable) { $0.bool($1) } && ok
        ok = field(o, "single_instance", into: &w.singleInstance) { $0.bool($1) } && ok
        ok = field(o, "summary_template", into: &w.summaryTemplate) { v, x in v.optional(x) { $0.string($1, max: 400) } } && ok
        ok = field(o, "icon", into: &w.icon) { v, x in v.optional(x) { $0.string($1, max: 200) } } && ok
        ok = field(o, "chrome", into: &w.chrome) { $0.literal($1, ["solid", "vibrancy"], expected: "'solid' or 'vibrancy'") } && ok
        ok = field(o, "transparent", into: &w.transparent) { $0.bool($1) } && ok
        ok = forbidExtras(o, declared: ManifestValidation.viewFields) && ok
        return ok ? w : nil
    }

    mutating func uiSize(_ raw: JSON) -> UiSize? {
        guard let o = modelObject(raw, "UiSize", extra: .forbid) else { return nil }
        let w = required(o, "w") { $0.sizeInt($1) }
        let h = required(o, "h") { $0.sizeInt($1) }
        let ok = forbidExtras(o, declared: ["w", "h"])
        guard ok, let w, let h else { return nil }
        return UiSize(w: w, h: h)
    }

    /// int[120..4096]; after the range check the value always fits in Int.
    mutating func sizeInt(_ raw: JSON) -> Int? {
        guard case .int(let i)? = int(raw, ge: 120, le: 4096) else { return nil }
        return i
    }

    /// Canonical order of `host_api` (§2.7); nil marks the `agent` object.
    static let hostApiFields: [(name: StaticString, list: WritableKeyPath<HostApi, [JStr]>?)] = [
        ("tools", \.tools), ("chat", \.chat), ("artifact", \.artifact), ("llm", \.llm), ("agent", nil),
        ("fs", \.fs), ("storage", \.storage), ("prefs", \.prefs), ("window", \.window), ("files", \.files),
        ("image", \.image), ("video", \.video), ("music", \.music), ("audio", \.audio), ("upload", \.upload),
        ("apps", \.apps), ("credentials", \.credentials), ("web", \.web), ("mobile", \.mobile),
    ]
    static let hostApiNames: [StaticString] = hostApiFields.map(\.name)

    mutating func hostApi(_ raw: JSON) -> HostApi? {
        guard let o = modelObject(raw, "UiHostApiSpec", extra: .forbid) else { return nil }
        var api = HostApi()
        var ok = true
        for f in ManifestValidation.hostApiFields {
            if let list = f.list {
                ok = field(o, f.name, into: &api[keyPath: list]) { $0.stringList($1) } && ok
            } else {
                ok = field(o, f.name, into: &api.agent) { $0.agentHostApi($1) } && ok
            }
        }
        ok = forbidExtras(o, declared: ManifestValidation.hostApiNames) && ok
        return ok ? api : nil
    }

    mutating func agentHostApi(_ raw: JSON) -> AgentHostApi? {
        guard let o = modelObject(raw, "AgentHostApiSpec", extra: .forbid) else { return nil }
        var a = AgentHostApi()
        var session: (auto: Bool, fixed: [JStr]?) = (false, nil)
        var ok = field(o, "session", into: &session) { $0.agentSession($1) }
        ok = field(o, "tools", into: &a.tools) { $0.stringList($1) } && ok
        ok = forbidExtras(o, declared: ["session", "tools"]) && ok
        a.sessionAuto = session.auto
        a.sessionFixedClientIds = session.fixed
        return ok ? a : nil
    }

    mutating func agentSession(_ raw: JSON) -> (auto: Bool, fixed: [JStr]?)? {
        guard let o = modelObject(raw, "AgentSessionSubmodeSpec", extra: .forbid) else { return nil }
        var auto = false
        var fixed: [JStr]? = nil
        var ok = field(o, "auto", into: &auto) { $0.bool($1) }
        ok = field(o, "fixed", into: &fixed) { v, x in v.optional(x) { $0.agentFixed($1) } } && ok
        ok = forbidExtras(o, declared: ["auto", "fixed"]) && ok
        return ok ? (auto, fixed) : nil
    }

    /// AgentFixedSubmodeSpec, reduced to its only field.
    mutating func agentFixed(_ raw: JSON) -> [JStr]? {
        guard let o = modelObject(raw, "AgentFixedSubmodeSpec", extra: .forbid) else { return nil }
        var ids: [JStr] = []
        var ok = field(o, "client_ids", into: &ids) { $0.stringList($1) }
        ok = forbidExtras(o, declared: ["client_ids"]) && ok
        return ok ? ids : nil
    }
}
