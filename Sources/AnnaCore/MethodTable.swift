import AnnaJSON
#if canImport(Glibc)
import Glibc
#endif

/// The 87 `(namespace, method)` pairs of the dispatcher (04 §5), in the
/// reference's table order. Nothing else exists (D-TABLE-1).
public enum HostMethod: Int, CaseIterable, Sendable {
    case windowHello, windowReady, windowSetTitle, windowResize, windowFocus, windowClose,
         windowOpenView, windowReportError
    case toolsList, toolsInvoke, toolsInvokeAsync, toolsGetJob, toolsCancelJob, toolsListJobs
    case chatAppendArtifact, chatWriteMessage, chatReadHistory
    case storageGet, storageSet, storageDelete, storageList
    case filesUploadInit, filesUploadFinalize, filesDownloadUrl, filesDownload, filesList, filesDelete
    case artifactCreate, artifactUpdate, artifactDelete
    case llmComplete, llmStream, llmEmbed
    case agentSessionCreate, agentSessionRun, agentSessionCancel, agentSessionHistory,
         agentSessionDelete, agentSessionRefresh, agentSessionList, agentSessionCatalog,
         agentSessionRunStatus, agentSessionFrames
    case imageGenerate, imageEdit, imageResign, imageGenerateAsync, imageEditAsync,
         imageGetJob, imageCancelJob, imageListJobs
    case videoGenerate, videoGetJob, videoCancelJob, videoListJobs
    case musicGenerate, musicGetJob, musicCancelJob, musicListJobs
    case audioSpeak, audioTranscribe
    case llmCatalog
    case uploadInline, uploadNegotiate, uploadConfirm
    case webSearch, webFetch, webImageSearch, webImageFetch
    case mobileShare, mobileHaptics, mobileCameraCapture
    case fsRead, fsWrite, prefsGet
    case appsList, appsSearch, appsGet, appsLaunch, appsUpdate, appsUpdateStatus,
         appsDeckList, appsDeckAdd, appsDeckRemove, appsDeckReorder
    case credentialsListAccounts, credentialsGetToken

    public var namespace: String { HostMethod.names[rawValue].0 }
    public var name: String { HostMethod.names[rawValue].1 }
    public var qualifiedName: String { namespace + "." + name }

    static let names: [(String, String)] = [
        ("window", "hello"), ("window", "ready"), ("window", "set_title"), ("window", "resize"),
        ("window", "focus"), ("window", "close"), ("window", "open_view"), ("window", "report_error"),
        ("tools", "list"), ("tools", "invoke"), ("tools", "invokeAsync"), ("tools", "getJob"),
        ("tools", "cancelJob"), ("tools", "listJobs"),
        ("chat", "append_artifact"), ("chat", "write_message"), ("chat", "read_history"),
        ("storage", "get"), ("storage", "set"), ("storage", "delete"), ("storage", "list"),
        ("files", "upload_init"), ("files", "upload_finalize"), ("files", "download_url"),
        ("files", "download"), ("files", "list"), ("files", "delete"),
        ("artifact", "create"), ("artifact", "update"), ("artifact", "delete"),
        ("llm", "complete"), ("llm", "stream"), ("llm", "embed"),
        ("agent", "session.create"), ("agent", "session.run"), ("agent", "session.cancel"),
        ("agent", "session.history"), ("agent", "session.delete"), ("agent", "session.refresh"),
        ("agent", "session.list"), ("agent", "session.catalog"), ("agent", "session.run.status"),
        ("agent", "session.frames"),
        ("image", "generate"), ("image", "edit"), ("image", "resign"), ("image", "generateAsync"),
        ("image", "editAsync"), ("image", "getJob"), ("image", "cancelJob"), ("image", "listJobs"),
        ("video", "generate"), ("video", "getJob"), ("video", "cancelJob"), ("video", "listJobs"),
        ("music", "generate"), ("music", "getJob"), ("music", "cancelJob"), ("music", "listJobs"),
        ("audio", "speak"), ("audio", "transcribe"),
        ("llm", "catalog"),
        ("upload", "inline"), ("upload", "negotiate"), ("upload", "confirm"),
        ("web", "search"), ("web", "fetch"), ("web", "image_search"), ("web", "image_fetch"),
        ("mobile", "share"), ("mobile", "haptics"), ("mobile", "camera_capture"),
        ("fs", "read"), ("fs", "write"), ("prefs", "get"),
        ("apps", "list"), ("apps", "search"), ("apps", "get"), ("apps", "launch"), ("apps", "update"),
        ("apps", "update_status"), ("apps", "deck.list"), ("apps", "deck.add"), ("apps", "deck.remove"),
        ("apps", "deck.reorder"),
        ("credentials", "list_accounts"), ("credentials", "get_token"),
    ]

    /// Open-addressing table over FNV-1a of `ns \0 method`: the lookup runs
    /// on every call, and this avoids two SipHash dictionary probes.
    static let tableBits = 9
    /// `ns \0 method` of every method, flat and never freed: comparing
    /// against it copies nothing.
    /// Per method: (ns offset, ns length, method offset, method length).
    nonisolated(unsafe) static let flatNames: (bytes: UnsafeMutablePointer<UInt8>, spans: UnsafeMutablePointer<(Int, Int, Int, Int)>) = {
        let total = names.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count }
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: total)
        let spans = UnsafeMutablePointer<(Int, Int, Int, Int)>.allocate(capacity: names.count)
        var off = 0
        for (i, (ns, m)) in names.enumerated() {
            let nsOff = off
            for b in ns.utf8 { bytes[off] = b; off += 1 }
            let mOff = off
            for b in m.utf8 { bytes[off] = b; off += 1 }
            spans[i] = (nsOff, ns.utf8.count, mOff, m.utf8.count)
        }
        return (bytes, spans)
    }()
    static let table: [Int16] = {
        var t = [Int16](repeating: -1, count: 1 << tableBits)
        for m in HostMethod.allCases {
            var slot = Int(fnv(Array(m.namespace.utf8), Array(m.name.utf8)) & UInt64((1 << tableBits) - 1))
            while t[slot] >= 0 { slot = (slot + 1) & ((1 << tableBits) - 1) }
            t[slot] = Int16(m.rawValue)
        }
        return t
    }()

    @inline(__always)
    static func fnv<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for c in a { h = (h ^ UInt64(c)) &* 0x100000001b3 }
        h = (h ^ 0) &* 0x100000001b3
        for c in b { h = (h ^ UInt64(c)) &* 0x100000001b3 }
        return h
    }

    public static func find(ns: JStr, method: JStr) -> HostMethod? {
        ns.withBytes { a in
            method.withBytes { b -> HostMethod? in
                let mask = (1 << tableBits) - 1
                var slot = Int(fnv(a, b) & UInt64(mask))
                while true {
                    let idx = Int(table[slot])
                    if idx < 0 { return nil }
                    let (no, nl, mo, ml) = flatNames.spans[idx]
                    if nl == a.count && ml == b.count, let pa = a.baseAddress, let pb = b.baseAddress,
                       memcmp(flatNames.bytes + no, pa, nl) == 0 && memcmp(flatNames.bytes + mo, pb, ml) == 0 {
                        return HostMethod(rawValue: idx)
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// ACL-NOAUTH-1: exempt from the namespace gate.
    public var noAuth: Bool { self == .windowHello || self == .windowReady || self == .windowReportError }

    /// D-STUB-1: the generic "endpoint not yet available" handler.
    public var isStub: Bool {
        switch self {
        case .filesUploadInit, .filesUploadFinalize, .filesDownloadUrl, .filesDownload, .filesList, .filesDelete,
             .artifactCreate, .artifactUpdate, .artifactDelete, .fsRead, .fsWrite, .prefsGet,
             .appsList, .appsSearch, .appsGet, .appsLaunch, .appsUpdate, .appsUpdateStatus,
             .appsDeckList, .appsDeckAdd, .appsDeckRemove, .appsDeckReorder,
             .credentialsListAccounts, .credentialsGetToken:
            return true
        default:
            return false
        }
    }

    /// Pure delegates forwarded to `host.<ns>.<method>` (D-DELEG, ST-DLG table),
    /// including those with dispatcher-side validation first.
    public var isDelegate: Bool {
        switch self {
        case .llmComplete, .llmStream, .llmEmbed, .llmCatalog,
             .agentSessionCreate, .agentSessionRun, .agentSessionCancel, .agentSessionHistory,
             .agentSessionDelete, .agentSessionRefresh, .agentSessionList, .agentSessionCatalog,
             .agentSessionRunStatus, .agentSessionFrames,
             .imageGenerate, .imageEdit, .imageResign, .imageGenerateAsync, .imageEditAsync,
             .imageGetJob, .imageCancelJob, .imageListJobs,
             .videoGenerate, .videoGetJob, .videoCancelJob, .videoListJobs,
             .musicGenerate, .musicGetJob, .musicCancelJob, .musicListJobs,
             .audioSpeak, .audioTranscribe, .uploadInline, .uploadNegotiate, .uploadConfirm:
            return true
        default:
            return false
        }
    }

    /// May this call wait on something outside the runtime (a plugin, the
    /// host, the network)? Front ends run such calls off their reader thread.
    public var mayBlock: Bool {
        isDelegate || self == .toolsInvoke || namespace == "web"
    }
}
