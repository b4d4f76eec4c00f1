import AnnaJSON

/// window.* (04 §6). The gate always allows this namespace (ACL-GATE-1).
enum WindowHandlers {
    static func hello(_ c: Call) throws(HostError) -> JObject {
        let view = try ViewProjection.select(c.window.view, in: c.acl.manifest).get()
        var app = JObject(uniqueEntries: [("id", .int(c.window.appId))])
        // ST-META-2 divergence: the reference reports the slug of the first
        // window ever created; each window reports its own slug here.
        if !c.window.appSlug.isNull {
            app.append("slug", c.window.appSlug)
            app.append("name", c.window.appSlug)
        }
        let (state, geometry) = c.window.state.withLock { s in (s.runtimeState.object, s.geometry) }
        return JObject(uniqueEntries: [
            ("capabilities", ["host_api_version": "0.1.0", "scopes": .array(c.acl.scopes.map { .string($0) })]),
            ("view_meta", .object(ViewProjection.windowViewMeta(view))),
            ("app", .object(app)),
            ("entry_payload", .object(c.window.entryPayload)),
            ("runtime_state", .object(state)),
            ("geometry", .object(geometry)),
            ("is_resume", .bool(!state.isEmpty)),
        ])
    }

    static func setTitle(_ c: Call) throws(HostError) -> JObject {
        let a = try c.object().get()
        let title = a["title"].map { Py.str($0) }?.prefix(codePoints: 200) ?? .empty
        c.window.state.withLock { $0.title = title }
        c.store.emit(c.window, "title_changed", ["window_uuid": .string(c.window.windowUuid), "title": .string(title)])
        return ["title": .string(title)]
    }

    static func resize(_ c: Call) throws(HostError) -> JObject {
        let a = try c.object().get()
        func dim(_ key: StaticString) throws(HostError) -> JSON {
            switch Py.int(a[key] ?? .null) {
            case .success(let v): return v
            case .failure(.overflow(let m)): throw .crashed(m)
            case .failure: throw .invalidArg("w/h must be integers")
            }
        }
        let w = try dim("w")
        let h = try dim("h")
        let geometry: JObject = c.window.state.withLock { s in
            s.geometry.set("w", w)
            s.geometry.set("h", h)
            return s.geometry
        }
        c.store.emit(c.window, "geometry_changed", ["window_uuid": .string(c.window.windowUuid), "geometry": .object(geometry)])
        return ["w": w, "h": h]
    }

    static func focus(_ c: Call) -> JObject {
        let now = c.store.clock.now()
        c.window.state.withLock { $0.lastFocusAt = now }
        c.store.emit(c.window, "window_focus_changed",
                     ["window_uuid": .string(c.window.windowUuid), "last_focus_at": .str(now.isoformat)])
        return ["focused": true]
    }

    static func close(_ c: Call) throws(HostError) -> JObject {
        let a = try c.object().get()
        let raw = a["reason"] ?? .null
        let reason = raw.isTruthy ? Py.str(raw).prefix(codePoints: 80) : "iframe_close"
        let now = c.store.clock.now()
        c.window.state.withLock { s in
            s.status = "closed"
            s.closedAt = now
            s.closedReason = reason
        }
        c.store.emit(c.window, "close_view", ["window_uuid": .string(c.window.windowUuid), "reason": .string(reason)])
        return ["closed": true]
    }

    static func openView(_ c: Call) throws(HostError) -> JObject {
        _ = try c.object().get()
        // ST-SIB-1: the local store has no sibling windows.
        throw .notImplemented("window.open_view is not available in this runtime")
    }

    static func reportError(_ c: Call) throws(HostError) -> JObject {
        _ = try c.object().get()
        return ["acknowledged": true]
    }
}
