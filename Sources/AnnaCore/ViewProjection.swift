import AnnaJSON

/// The two JSON shapes of a view (02 §7, §8).
public enum ViewProjection {
    /// `WindowViewMeta` (V-META-1): 11 keys, nulls kept. Used by window.hello.
    public static func windowViewMeta(_ v: UiView) -> JObject {
        JObject(uniqueEntries: [
            ("name", .string(v.name)),
            ("title", .string(v.title)),
            ("entry", v.entry.map { .string($0) } ?? .null),
            ("min_size", v.minSize?.json ?? .null),
            ("default_size", v.defaultSize?.json ?? .null),
            ("max_size", v.maxSize?.json ?? .null),
            ("resizable", .bool(v.resizable)),
            ("movable", .bool(v.movable)),
            ("single_instance", .bool(v.singleInstance)),
            ("chrome", .string(v.chrome)),
            ("transparent", .bool(v.transparent)),
        ])
    }

    /// The bridge's `session.create` `view_meta` (V-BRIDGE-2): every
    /// UiViewSpec field in schema order, null-valued keys omitted.
    public static func bridgeViewMeta(_ v: UiView) -> JObject {
        var e: [JObject.Entry] = [("name", .string(v.name)), ("title", .string(v.title)), ("default", .bool(v.isDefault))]
        if let x = v.entry { e.append(("entry", .string(x))) }
        if let x = v.mobileEntry { e.append(("mobile_entry", .string(x))) }
        if let x = v.minSize { e.append(("min_size", x.json)) }
        if let x = v.defaultSize { e.append(("default_size", x.json)) }
        if let x = v.maxSize { e.append(("max_size", x.json)) }
        e.append(("resizable", .bool(v.resizable)))
        e.append(("movable", .bool(v.movable)))
        e.append(("single_instance", .bool(v.singleInstance)))
        if let x = v.summaryTemplate { e.append(("summary_template", .string(x))) }
        if let x = v.icon { e.append(("icon", .string(x))) }
        e.append(("chrome", .string(v.chrome)))
        e.append(("transparent", .bool(v.transparent)))
        return JObject(uniqueEntries: e)
    }

    /// ST-VIEW-1 / errata V-SEL-1: the view a new window gets. A non-null
    /// requested view is kept as given (any JSON type); falsy becomes "main".
    public static func initialView(requested: JSON, manifest: AppManifest) -> JSON {
        var chosen = requested
        if chosen.isNull, let ui = manifest.ui {
            if let d = ui.views.first(where: { $0.isDefault }) { chosen = .string(d.name) }
            else if let f = ui.views.first { chosen = .string(f.name) }
        }
        return chosen.isTruthy ? chosen : "main"
    }

    /// The first view whose name equals the window's view (a non-string never matches).
    public static func find(_ view: JSON, in manifest: AppManifest) -> UiView? {
        guard case .string(let name) = view, let ui = manifest.ui else { return nil }
        return ui.views.first(where: { $0.name == name })
    }

    /// V-SEL-2 as window.hello uses it.
    public static func select(_ view: JSON, in manifest: AppManifest) -> Result<UiView, HostError> {
        guard let ui = manifest.ui, !ui.views.isEmpty else { return .failure(.invalidArg("app has no UI views")) }
        if let v = find(view, in: manifest) { return .success(v) }
        return .failure(.invalidArg("unknown view '\(Py.str(view))'"))
    }
}
