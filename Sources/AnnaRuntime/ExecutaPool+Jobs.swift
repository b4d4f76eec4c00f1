import AnnaCore
import AnnaJSON

/// Running tools.invokeAsync jobs on the pool (08 §5, §9).
extension ExecutaPool: JobRunner {
    public func canRun(_ pluginName: JStr) -> Bool { registry.isRegistered(pluginName) }

    public func start(_ r: JobRunRequest) {
        workers.submit { [self] in run(r) }
    }

    func run(_ r: JobRunRequest) {
        let table = r.table
        // JOB-RUN-1: running, then the tool_start progress entry.
        table.begin(r.jobId, toolName: "\(r.pluginName).\(r.toolName)")
        let process: PluginProcess
        switch self.process(for: r.pluginName) {
        case .success(let p): process = p
        case .failure(let e):
            table.fail(r.jobId, code: "tool_failed", message: JStr(e.text), details: nil)   // JOB-FOLD-8
            return
        }
        let jobId = r.jobId
        let origin = InvokeOrigin(session: r.session) { type, data in table.progress(jobId, type: type, data: data) }
        // JOB-RUN-2: the job's own deadline bounds the call (the pool's
        // budget, timeout + 2 s, would fire later).
        let reply = process.invoke(tool: r.toolName, arguments: .object(r.arguments), origin: origin,
                                   budgetNanos: UInt64(r.timeoutMs) * 1_000_000,
                                   register: { stop in table.setStop(jobId, stop) })
        switch reply {
        case nil:
            table.fail(jobId, state: "expired", code: "tool_timeout", message: "job deadline elapsed after \(r.timeoutMs)ms", details: nil)
        case .cancelled?:
            break   // JOB-RUN-3: the cancel already recorded everything
        case .envelope(let outer)?:
            table.fold(jobId, outer)
        }
    }
}
