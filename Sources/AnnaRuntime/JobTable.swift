import AnnaCore
import AnnaJSON
import Synchronization

/// The tools.invokeAsync job table (08): one per runtime, jobs owned by
/// users. Snapshots, listing, cancellation and progress live here; running
/// a job is delegated to a `JobRunner` (the executa pool).
public final class JobTable: JobHost, Sendable {
    public static let maxActivePerUser = 5
    public static let ringSize = 500
    public static let resultCap = 262_144
    public static let heartbeatMicros: Int64 = 30_000_000

    final class Job: @unchecked Sendable {
        let id: JStr
        let userId: JSON
        let toolId: JStr
        let clientTag: JStr?
        let createdAt: UTCTime
        let deadlineMs: Int64
        let windowUuid: JStr
        // Mutable state, guarded by the table's lock.
        var state: JStr = "queued"
        var updatedAt: UTCTime
        var runningSince: UTCTime? = nil
        var endedAt: UTCTime? = nil
        var progress: [JObject] = []
        var progressHead = 0
        var lastSeq = 0
        var result: JObject? = nil
        var error: JObject? = nil
        /// Stops the plugin call when the job is cancelled.
        var stop: (@Sendable () -> Void)? = nil

        init(id: JStr, userId: JSON, toolId: JStr, clientTag: JStr?, createdAt: UTCTime, deadlineMs: Int64, windowUuid: JStr) {
            self.id = id; self.userId = userId; self.toolId = toolId; self.clientTag = clientTag
            self.createdAt = createdAt; self.updatedAt = createdAt; self.deadlineMs = deadlineMs; self.windowUuid = windowUuid
        }

        var isTerminal: Bool { JobTable.terminal.contains(state.string) }
        var isActive: Bool { state.equals("queued") || state.equals("running") }
    }

    static let terminal: Set<String> = ["succeeded", "failed", "cancelled", "expired"]

    let store: WindowStore
    let jobs = Mutex<[JStr: Job]>([:])
    /// Starts a job's background run; nil when no plugin can run (no pool).
    let runner = Mutex<(any JobRunner)?>(nil)

    public init(store: WindowStore) { self.store = store }

    public func setRunner(_ r: (any JobRunner)?) { runner.withLock { $0 = r } }

    // MARK: JobHost

    public func create(session: DispatcherSession, toolId: JStr, pluginName: JStr, toolName: JStr,
                       arguments: JObject, timeoutMs: Int, clientTag: JStr?) -> HandlerResult {
        guard let run = runner.withLock({ $0 }), run.canRun(pluginName) else {
            return .failure(.notImplemented("tools.invokeAsync is not available in this runtime"))   // JOB-CREATE-1
        }
        let now = store.clock.now()
        let userId = session.window.userId
        let created: Result<Job, HostError> = jobs.withLock { table in
            let active = table.values.filter { $0.userId == userId && $0.isActive }.count
            if active >= JobTable.maxActivePerUser {   // JOB-QUOTA-1
                return .failure(HostError("job_quota_exceeded", "active job limit reached (\(active)/\(JobTable.maxActivePerUser))",
                                          JObject(uniqueEntries: [("max_active", .int(JobTable.maxActivePerUser)), ("active", .int(active))])))
            }
            let job = Job(id: JStr("tjob_" + UUID4.hex()), userId: userId, toolId: toolId, clientTag: clientTag,
                          createdAt: now, deadlineMs: now.millis + Int64(timeoutMs), windowUuid: session.window.windowUuid)
            table[job.id] = job
            return .success(job)
        }
        let job: Job
        switch created { case .success(let j): job = j; case .failure(let e): return .failure(e) }
        run.start(JobRunRequest(table: self, jobId: job.id, session: session, pluginName: pluginName, toolName: toolName,
                                arguments: arguments, timeoutMs: timeoutMs))
        return .success(JObject(uniqueEntries: [("jobId", .string(job.id)), ("state", "queued"), ("deadlineMs", .int(Int(job.deadlineMs)))]))
    }

    public func get(userId: JSON, jobId: JStr, sinceSeq: JSON, limit: Int) -> HandlerResult {
        let now = store.clock.now()
        return jobs.withLock { table -> HandlerResult in
            guard let job = table[jobId], job.userId == userId else { return .failure(JobTable.notFound(jobId)) }
            return .success(JobTable.snapshot(job, sinceSeq: sinceSeq, limit: limit, now: now))
        }
    }

    public func cancel(userId: JSON, jobId: JStr, reason: JStr?) -> HandlerResult {
        let now = store.clock.now()
        let outcome: Result<(JObject, (@Sendable () -> Void)?), HostError> = jobs.withLock { table in
            guard let job = table[jobId], job.userId == userId else { return .failure(JobTable.notFound(jobId)) }
            if job.isTerminal {   // D-JOBSTORE-6: idempotent
                return .success((JObject(uniqueEntries: [("jobId", .string(job.id)), ("state", .string(job.state)), ("cancelled", false)]), nil))
            }
            let message: JStr = reason.flatMap { $0.isEmpty ? nil : $0 } ?? "cancelled by app"
            transition(job, to: "cancelled", error: JObject(uniqueEntries: [("code", "cancelled"), ("message", .string(message))]), at: now)
            let stop = job.stop
            job.stop = nil
            return .success((JObject(uniqueEntries: [("jobId", .string(job.id)), ("state", "cancelled"), ("cancelled", true)]), stop))
        }
        switch outcome {
        case .failure(let e): return .failure(e)
        case .success(let (result, stop)):
            stop?()
            return .success(result)
        }
    }

    public func list(userId: JSON, toolId: JStr?, states: [JStr]?, clientTag: JStr?, since: JStr?, limit: Int) -> HandlerResult {
        var sinceTime: UTCTime? = nil
        if let since, !since.isEmpty {
            guard let t = PyISODate.parseSince(since) else { return .failure(.invalidArg("since must be RFC3339")) }
            sinceTime = t
        }
        let now = store.clock.now()
        return jobs.withLock { table -> HandlerResult in
            var rows = table.values.filter { j in
                guard j.userId == userId else { return false }
                if let toolId, j.toolId != toolId { return false }
                if let states, !states.contains(j.state) { return false }
                if let clientTag, j.clientTag != clientTag { return false }
                if let sinceTime, j.createdAt < sinceTime { return false }
                return true
            }
            rows.sort { $0.createdAt > $1.createdAt }
            let page = rows.prefix(limit).map { JSON.object(JobTable.snapshot($0, sinceSeq: .int(0), limit: 0, now: now)) }
            return .success(JObject(uniqueEntries: [("jobs", .array(Array(page))), ("truncated", .bool(rows.count > limit))]))
        }
    }

    static func notFound(_ id: JStr) -> HostError { HostError("job_not_found", "job \(id) not found") }

    // MARK: state changes (callers hold the lock)

    /// JOB-STATE-2: ignored once terminal; otherwise state, updatedAt, error, event.
    func transition(_ job: Job, to state: JStr, error: JObject? = nil, at now: UTCTime) {
        guard !job.isTerminal else { return }
        job.state = state
        job.updatedAt = now
        if state.equals("running") { job.runningSince = now }
        if let error { job.error = error }
        if job.isTerminal { job.endedAt = now }
        emit(job, seq: .null, event: .null, at: now)
    }

    /// JOB-PROG-3 (the type is already normalised by the caller).
    func appendProgress(_ job: Job, type kind: JStr, data: JObject, at now: UTCTime) {
        guard !job.isTerminal else { return }
        job.lastSeq += 1
        job.updatedAt = now
        let entry = JObject(uniqueEntries: [("seq", .int(job.lastSeq)), ("ts", .str(now.isoformatZ)), ("type", .string(kind)), ("data", .object(data))])
        job.progress.append(entry)
        if job.progress.count - job.progressHead > JobTable.ringSize {
            job.progressHead += 1
            if job.progressHead > 1024 { job.progress.removeFirst(job.progressHead); job.progressHead = 0 }
        }
        emit(job, seq: .int(job.lastSeq), event: .object(JObject(uniqueEntries: [("type", .string(kind)), ("data", .object(data))])), at: now)
    }

    func emit(_ job: Job, seq: JSON, event: JSON, at now: UTCTime) {
        store.events.emit(userId: job.userId, kind: "tool_job", payload: JObject(uniqueEntries: [
            ("job_id", .string(job.id)), ("tool_id", .string(job.toolId)), ("state", .string(job.state)),
            ("seq", seq), ("event", event), ("terminal", .bool(job.isTerminal)),
        ]), at: now)
    }

    /// JOB-SNAP-1/2. The heartbeat (JOB-HB-1) is derived, not timed: a job
    /// running since T has beaten at T+30 s, T+60 s, ... up to now.
    static func snapshot(_ job: Job, sinceSeq: JSON, limit: Int, now: UTCTime) -> JObject {
        var progress: [JSON] = []
        if limit > 0 {
            for e in job.progress[job.progressHead...] {
                guard case .int(let seq)? = e["seq"], sinceSeq.compareInt(seq) == -1 else { continue }
                progress.append(.object(e))
                if progress.count == limit { break }
            }
        }
        var heartbeat: JSON = .null
        if let since = job.runningSince {
            let until = job.endedAt ?? now
            let beats = (until.micros - since.micros) / heartbeatMicros
            if beats >= 1 { heartbeat = .str(UTCTime(micros: since.micros + beats * heartbeatMicros).isoformatZ) }
        }
        var e: [JObject.Entry] = [
            ("jobId", .string(job.id)), ("toolId", .string(job.toolId)), ("state", .string(job.state)),
            ("createdAt", .str(job.createdAt.isoformatZ)), ("updatedAt", .str(job.updatedAt.isoformatZ)),
            ("deadlineMs", .int(Int(job.deadlineMs))), ("progress", .array(progress)), ("lastSeq", .int(job.lastSeq)),
            ("lastHeartbeatAt", heartbeat),
        ]
        if let t = job.clientTag { e.append(("clientTag", .string(t))) }
        if let r = job.result { e.append(("result", .object(r))) }
        if let err = job.error { e.append(("error", .object(err))) }
        return JObject(uniqueEntries: e)
    }
}

/// What the executa pool provides to run jobs (issue 3).
public protocol JobRunner: AnyObject, Sendable {
    func canRun(_ pluginName: JStr) -> Bool
    func start(_ request: JobRunRequest)
}

public struct JobRunRequest: Sendable {
    public let table: JobTable
    public let jobId: JStr
    public let session: DispatcherSession
    public let pluginName: JStr
    public let toolName: JStr
    public let arguments: JObject
    public let timeoutMs: Int
}
