import AnnaJSON

/// storage.* over the window's runtime_state (04 §10, 03 §4.4). Every
/// scope and owner reads and writes the same per-window state (D-STORAGE-1).
enum StorageHandlers {
    /// ACL-STORE-1..7: runs first in every storage handler.
    static func checkScope(_ c: Call, _ a: JObject, write: Bool) throws(HostError) {
        let raw = a["scope"] ?? .null
        let scopeValue: JSON = raw.isTruthy ? raw : "app"
        guard case .string(let scope) = scopeValue,
              scope.equals("user") || scope.equals("app") || scope.equals("tool") else {
            throw .invalidArg("scope must be user|app|tool, got \(Py.repr(scopeValue))")
        }
        let owner = a["owner"] ?? .null
        var crossOwner = false
        if scope.equals("app") {
            switch owner {
            case .null: crossOwner = false
            case .string(let s): crossOwner = !(s.isEmpty || s.equals("self"))
            default: crossOwner = true
            }
            if !crossOwner { return }
        }
        let action = write ? "write" : "read"
        if !c.acl.storageDecl.allows(scope: scope.string, write: write, crossOwner: crossOwner) {
            throw .permissionDenied("manifest does not declare 'aps.scope.\(scope).\(action)'\(crossOwner ? " (cross-owner)" : "")")
        }
    }

    /// D-STORAGE-2: `str(args.get("key", ""))`, non-empty.
    static func key(_ a: JObject) throws(HostError) -> JStr {
        let k = a["key"].map { Py.str($0) } ?? .empty
        if k.isEmpty { throw .invalidArg("key required") }
        return k
    }

    static func get(_ c: Call) throws(HostError) -> JObject {
        let a = try c.object().get()
        try checkScope(c, a, write: false)
        let k = try key(a)
        let v = c.window.state.withLock { $0.runtimeState[k] } ?? .null
        return ["value": v]
    }

    static func set(_ c: Call) throws(HostError) -> JObject {
        let a = try c.object().get()
        try checkScope(c, a, write: true)
        let k = try key(a)
        let value = a["value"] ?? .null
        let valueSize = JSONSize.pyDefault(value)
        let w = c.window
        let tooLarge: Int? = w.state.withLock { s in
            let size = s.runtimeState.sizeAfterSet(k, valueSize: valueSize)
            if size > StateMap.maxBytes { return size }
            s.runtimeState.set(k, value, valueSize: valueSize)
            // Emitted under the window lock so events keep the order of the writes.
            emitPatch(c, k, value)
            return nil
        }
        if let size = tooLarge {
            throw HostError("too_large", "runtime_state exceeds \(StateMap.maxBytes) bytes (got \(size))")
        }
        return ["ok": true]
    }

    static func delete(_ c: Call) throws(HostError) -> JObject {
        let a = try c.object().get()
        try checkScope(c, a, write: true)
        let k = try key(a)
        let w = c.window
        let tooLarge: Int? = w.state.withLock { s in
            // D-STORAGE-13: an initial state over the cap stays un-deletable
            // until it fits, reported as invalid_arg (sic).
            let size = s.runtimeState.sizeAfterDelete(k)
            if size > StateMap.maxBytes { return size }
            s.runtimeState.remove(k)
            emitPatch(c, k, .null)
            return nil
        }
        if let size = tooLarge {
            throw .invalidArg("runtime_state exceeds \(StateMap.maxBytes) bytes (got \(size))")
        }
        return ["ok": true]
    }

    /// `runtime_state_synced` `{window_uuid, patch: {key: value}}` (D-STORAGE-6/7).
    static func emitPatch(_ c: Call, _ key: JStr, _ value: JSON) {
        let w = c.window
        c.store.events.emit(userId: w.userId, kind: "runtime_state_synced", at: c.store.clock.now()) { buf in
            buf.append("{\"window_uuid\": ")
            JSONWriter.writeString(w.windowUuid, asciiOnly: true, into: &buf)
            buf.append(", \"patch\": {")
            JSONWriter.writeString(key, asciiOnly: true, into: &buf)
            buf.append(": ")
            JSONWriter.write(value, style: .pyDefault, into: &buf)
            buf.append("}}")
        }
    }

    static func list(_ c: Call) throws(HostError) -> JObject {
        let a = try c.object().get()
        try checkScope(c, a, write: false)
        let prefixValue = a["prefix"] ?? .null
        let prefix = prefixValue.isTruthy ? Py.str(prefixValue) : .empty
        let cursorValue = a["cursor"] ?? .null
        let cursor: JStr? = cursorValue.isTruthy ? Py.str(cursorValue) : nil
        let limit: Int
        switch Py.int(a["limit"] ?? .int(100)) {
        case .success(let v):
            guard case .int(let l) = v, l > 0, l <= 1000 else { throw .invalidArg("limit must be in (0, 1000]") }
            limit = l
        case .failure(.overflow(let m)): throw .crashed(m)
        case .failure: throw .invalidArg("limit must be int")
        }
        return c.window.state.withLock { s -> JObject in
            let keys = s.runtimeState.sortedKeys()
            // Keys sharing a prefix are contiguous in code-point order.
            var lo = lowerBound(keys, prefix)
            if let cursor {
                lo = max(lo, upperBound(keys, cursor))
            }
            var hi = lo
            while hi < keys.count && keys[hi].hasPrefix(prefix) { hi += 1 }
            let remaining = hi - lo
            let pageEnd = lo + min(limit, remaining)
            var items = [JSON]()
            items.reserveCapacity(pageEnd - lo)
            for i in lo..<pageEnd {
                if let item = s.runtimeState.listItem(keys[i]) { items.append(.object(item)) }
            }
            let next: JSON = remaining > limit ? .string(keys[pageEnd - 1]) : .null
            return ["items": .array(items), "next_cursor": next]
        }
    }

    /// First index whose key is >= `x`.
    static func lowerBound(_ keys: [JStr], _ x: JStr) -> Int {
        var lo = 0, hi = keys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if keys[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// First index whose key is > `x`.
    static func upperBound(_ keys: [JStr], _ x: JStr) -> Int {
        var lo = 0, hi = keys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if x < keys[mid] { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
