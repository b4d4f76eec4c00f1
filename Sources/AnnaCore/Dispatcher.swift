import AnnaJSON

/// Routes a resolved method to its handler (04 §5). Handlers are written
/// with typed throws so that every early exit is a wire error.
enum Dispatcher {
    static func run(_ m: HostMethod, _ c: Call) -> HandlerResult {
        do {
            return .success(try handle(m, c))
        } catch {
            return .failure(error)
        }
    }

    static func handle(_ m: HostMethod, _ c: Call) throws(HostError) -> JObject {
        if m.isStub { throw .notImplemented("endpoint not yet available") }   // D-STUB-1
        if m.isDelegate { return try DelegateHandlers.handle(m, c) }
        switch m {
        case .windowHello: return try WindowHandlers.hello(c)
        case .windowReady: return ["ok": true]
        case .windowSetTitle: return try WindowHandlers.setTitle(c)
        case .windowResize: return try WindowHandlers.resize(c)
        case .windowFocus: return WindowHandlers.focus(c)
        case .windowClose: return try WindowHandlers.close(c)
        case .windowOpenView: return try WindowHandlers.openView(c)
        case .windowReportError: return try WindowHandlers.reportError(c)
        case .toolsList: return ToolsHandlers.list(c)
        case .toolsInvoke: return try ToolsHandlers.invoke(c)
        case .toolsInvokeAsync: return try JobHandlers.invokeAsync(c)
        case .toolsGetJob: return try JobHandlers.getJob(c)
        case .toolsCancelJob: return try JobHandlers.cancelJob(c)
        case .toolsListJobs: return try JobHandlers.listJobs(c)
        case .chatAppendArtifact: return try ChatHandlers.appendArtifact(c)
        case .chatWriteMessage: return try ChatHandlers.writeMessage(c)
        case .chatReadHistory: throw .notImplemented("chat.read_history is Phase 3")
        case .storageGet: return try StorageHandlers.get(c)
        case .storageSet: return try StorageHandlers.set(c)
        case .storageDelete: return try StorageHandlers.delete(c)
        case .storageList: return try StorageHandlers.list(c)
        case .webSearch, .webFetch, .webImageSearch, .webImageFetch: return try WebHandlers.handle(m, c)
        case .mobileShare, .mobileHaptics, .mobileCameraCapture:
            // D-MOBILE-1: the desktop runtime is never the mobile shell.
            throw HostError("unsupported_container", "\(m.qualifiedName) is only available inside the anna-mobile shell")
        default:
            // Every remaining method is a stub or a delegate, handled above.
            throw .notImplemented("endpoint not yet available")
        }
    }
}
