import AnnaJSON
#if canImport(Glibc)
import Glibc
#endif

/// A validated manifest plus everything the ACL derives from it, computed
/// once per session instead of once per call.
public final class ManifestACL: Sendable {
    public let manifest: AppManifest
    public let storageDecl: StorageDecl
    let requiredIds: Set<JStr>
    let optionalIds: Set<JStr>
    /// `tools.list` result (ACL-TOOL-6), fixed for the manifest.
    public let listedTools: [JStr]
    /// `capabilities.scopes` of window.hello (V-SCOPE).
    public let scopes: [JStr]
    /// The namespace gate's answer for every method, computed once.
    let gate: [Bool]

    public init(_ m: AppManifest) {
        manifest = m
        storageDecl = StorageDecl(manifest: m)
        requiredIds = Set(m.requiredExecutas.map { $0.toolId })
        optionalIds = Set(m.optionalExecutas.map { $0.toolId })
        var listed: [JStr] = []
        var scopes: [JStr] = []
        if let ui = m.ui {
            let declared = m.requiredExecutas.map { $0.toolId } + m.optionalExecutas.map { $0.toolId }
            for t in declared where ManifestACL.isToolAllowed(t, refs: ui.hostApi.tools,
                                                              required: requiredIds, optional: optionalIds) {
                listed.append(t)
            }
            let h = ui.hostApi
            let walk: [(String, [JStr])] = [("tools", h.tools), ("chat", h.chat), ("artifact", h.artifact),
                                             ("llm", h.llm), ("fs", h.fs), ("storage", h.storage),
                                             ("prefs", h.prefs), ("window", h.window)]
            for (ns, list) in walk { for m in list { scopes.append("\(ns).\(m)") } }
            if !scopes.contains("window.*") { scopes.append("window.*") }
        }
        listedTools = listed
        self.scopes = scopes
        gate = HostMethod.allCases.map { ManifestACL.gateAllows(m, ns: $0.namespace, method: JStr($0.name)) }
    }

    /// ACL-GATE-1..7 for a method of the table (precomputed).
    @inline(__always)
    public func allows(_ m: HostMethod) -> Bool { gate[m.rawValue] }

    /// ACL-GATE-1..7: may this manifest call `ns.method` at all?
    public func hostApiAllows(ns: String, method: JStr) -> Bool {
        ManifestACL.gateAllows(manifest, ns: ns, method: method)
    }

    static func gateAllows(_ manifest: AppManifest, ns: String, method: JStr) -> Bool {
        if ns == "window" { return true }
        guard let ui = manifest.ui else { return false }
        let h = ui.hostApi
        switch ns {
        case "tools":
            return !h.tools.isEmpty || !manifest.requiredExecutas.isEmpty || !manifest.optionalExecutas.isEmpty
        case "credentials":
            return !h.credentials.isEmpty
        case "agent":
            guard method.hasPrefix("session.") else { return false }
            return h.agent.sessionAuto || h.agent.sessionFixedClientIds != nil
        default:
            guard let list = h.list(for: JStr(ns)), !list.isEmpty else { return false }
            return list.contains(where: { $0.equals("*") || $0 == method })
        }
    }

    /// ACL-TOOL-1..4.
    public func isToolAllowed(_ toolId: JStr) -> Bool {
        guard let ui = manifest.ui else { return false }
        return ManifestACL.isToolAllowed(toolId, refs: ui.hostApi.tools, required: requiredIds, optional: optionalIds)
    }

    static func isToolAllowed(_ toolId: JStr, refs: [JStr], required: Set<JStr>, optional: Set<JStr>) -> Bool {
        if refs.isEmpty { return required.contains(toolId) || optional.contains(toolId) }
        let suffix: JStr = ":" + toolId
        for ref in refs {
            if ref.equals("required:*") && required.contains(toolId) { return true }
            if ref.equals("optional:*") && optional.contains(toolId) { return true }
            if ref == toolId { return true }
            if ref.hasSuffix(suffix) { return true }
        }
        return false
    }

    /// ACL-SPLIT-1..4: `(plugin_name, tool_name)`.
    public static func splitToolId(_ toolId: JStr, method: JStr?) -> Result<(JStr, JStr), HostError> {
        if let method, !method.isEmpty {
            let m = Py.strip(method)
            if m.isEmpty { return .failure(.invalidArg("method must be a non-empty string")) }
            return .success((toolId, m))
        }
        for sep in ["__", "."] {
            if let (head, tail) = toolId.splitOnce(JStr(sep)) { return .success((head, tail)) }
        }
        return .failure(.invalidArg("tool_id '\(toolId)' has no plugin.tool separator and no `method` arg was provided"))
    }
}

extension JStr {
    public func hasSuffix(_ other: JStr) -> Bool {
        withBytes { a in
            other.withBytes { b in
                b.count <= a.count && (b.count == 0 || memcmp(a.baseAddress! + (a.count - b.count), b.baseAddress!, b.count) == 0)
            }
        }
    }

    /// `s.split(sep, 1)` when `sep` occurs.
    public func splitOnce(_ sep: JStr) -> (JStr, JStr)? {
        withBytes { a -> (JStr, JStr)? in
            sep.withBytes { b -> (JStr, JStr)? in
                guard b.count > 0, b.count <= a.count else { return nil }
                var i = 0
                while i + b.count <= a.count {
                    if memcmp(a.baseAddress! + i, b.baseAddress!, b.count) == 0 {
                        let head = JStr(wtf8Buffer: UnsafeBufferPointer(rebasing: a[0..<i]))
                        let tail = JStr(wtf8Buffer: UnsafeBufferPointer(rebasing: a[(i + b.count)...]))
                        return (head, tail)
                    }
                    i += 1
                }
                return nil
            }
        }
    }
}
