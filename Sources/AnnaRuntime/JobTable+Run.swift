import AnnaCore
import AnnaJSON

/// The state changes a running job goes through (08 §5-9). Every change
/// happens under the table lock; transitions out of a terminal state are
/// ignored, so the first terminal state wins (JOB-STATE-3).
extension JobTable {
    func withJob(_ id: JStr, _ body: (Job, UTCTime) -> Void) {
        let now = store.clock.now()
        jobs.withLock { table in
            if let job = table[id] { body(job, now) }
        }
    }

    /// JOB-RUN-1.
    func begin(_ id: JStr, toolName: String) {
        withJob(id) { job, now in
            transition(job, to: "running", at: now)
            appendProgress(job, type: "tool_start", data: JObject(uniqueEntries: [("tool_name", .str(toolName))]), at: now)
        }
    }

    func setStop(_ id: JStr, _ stop: @escaping @Sendable () -> Void) {
        var cancelledAlready = false
        withJob(id) { job, _ in
            if job.isTerminal { cancelledAlready = true } else { job.stop = stop }
        }
        if cancelledAlready { stop() }
    }

    /// JOB-PROG-1/2: progress relayed from the plugin; types other than
    /// `progress`/`tool_update` become `progress`.
    func progress(_ id: JStr, type: JStr, data: JObject) {
        let kind: JStr = (type.equals("progress") || type.equals("tool_update")) ? type : "progress"
        withJob(id) { job, now in appendProgress(job, type: kind, data: data, at: now) }
    }

    /// A failure: `{"code", "message"[, "details"]}`; `details` is present
    /// (possibly null) only when the rule shows it (JOB-FOLD-4).
    func fail(_ id: JStr, state: JStr = "failed", code: JStr, message: JStr, details: JSON?) {
        var e: [JObject.Entry] = [("code", .string(code)), ("message", .string(message))]
        if let details { e.append(("details", details)) }
        let error = JObject(uniqueEntries: e)
        withJob(id) { job, now in
            job.stop = nil
            transition(job, to: state, error: error, at: now)
        }
    }

    /// JOB-FOLD-1..6 over the pool's outer envelope.
    func fold(_ id: JStr, _ outer: JSON) {
        let o = outer.object
        if o == nil || !(o?["success"]?.isTruthy ?? false) {
            let err = o?["error"] ?? .null
            if case .string(let code)? = o?["data"]?.object?["errorCode"], code.equals("RESULT_TOO_LARGE") {
                let size = o?["data"]?.object?["result_size_bytes"] ?? .null
                fail(id, code: "result_too_large", message: err.isTruthy ? Py.str(err) : "tool result too large",
                     details: .object(JObject(uniqueEntries: [("size", size)])))
            } else {
                fail(id, code: "tool_failed", message: err.isTruthy ? Py.str(err) : "agent-level failure", details: nil)
            }
            return
        }
        guard case .object(let inner) = o?["data"] ?? .null else {
            fail(id, code: "tool_failed", message: "malformed tool envelope", details: nil)
            return
        }
        guard inner["success"]?.isTruthy ?? false else {
            let err = inner["error"] ?? .null
            let details: JSON = inner["details"]?.object.map { .object($0) } ?? .null
            fail(id, code: "tool_failed", message: err.isTruthy ? Py.str(err) : "tool failed", details: details)
            return
        }
        var payload = inner["data"] ?? .null
        if !payload.isNull, payload.object == nil { payload = .object(JObject(uniqueEntries: [("value", payload)])) }
        let result = payload.object ?? JObject()
        // JOB-FOLD-5: code points of the unescaped encoding (J-SIZE-3).
        var buf = ByteBuffer(capacity: 256)
        JSONWriter.writeObject(result, style: .pyUnescaped, into: &buf)
        let size = buf.withBytes { b in b.reduce(0) { $0 + ($1 & 0xC0 != 0x80 ? 1 : 0) } }
        if size > JobTable.resultCap {
            fail(id, code: "result_too_large",
                 message: "result is \(size) bytes (max \(JobTable.resultCap)); store large payloads via host/uploadFile and return a reference instead",
                 details: .object(JObject(uniqueEntries: [("size", .int(size))])))
            return
        }
        withJob(id) { job, now in
            guard !job.isTerminal else { return }
            job.stop = nil
            job.result = result
            transition(job, to: "succeeded", at: now)
        }
    }

    /// A closed session's jobs are stopped and dropped, so a closed window
    /// leaves nothing behind (the reference keeps them forever: JOB-LIFE-1).
    func closeWindow(_ windowUuid: JStr) {
        let now = store.clock.now()
        let stops: [@Sendable () -> Void] = jobs.withLock { table in
            var stops: [@Sendable () -> Void] = []
            for (id, job) in table where job.windowUuid == windowUuid {
                if !job.isTerminal {
                    transition(job, to: "cancelled",
                               error: JObject(uniqueEntries: [("code", "cancelled"), ("message", "session closed")]), at: now)
                }
                if let s = job.stop { stops.append(s) }
                job.stop = nil
                table.removeValue(forKey: id)
            }
            return stops
        }
        for s in stops { s() }
    }
}
