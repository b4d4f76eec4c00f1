import AnnaCore
import AnnaJSON
#if canImport(Glibc)
import Glibc
#endif

/// The stdio bridge (09): a drop-in for `python -m anna_app_runtime_local.bridge`.
/// The reader thread answers fast requests itself, batching their lines
/// into one write per burst of input, and hands requests that may block
/// (plugins, host calls) to worker threads, so a slow call never delays a
/// `ping` (BR-CONC-1). Answers to outbound host calls are resolved directly
/// by the reader (BR-CONC-4).
public final class StdioBridge {
    let runtime: Runtime
    let output: OutputChannel
    let workers = WorkerPool(maxThreads: 512, name: "anna-bridge")
    let inputFD: Int32

    public init(runtime: Runtime, inputFD: Int32 = 0, outputFD: Int32 = 1) {
        self.runtime = runtime
        self.inputFD = inputFD
        self.output = OutputChannel(fd: outputFD)
    }

    /// Runs until end of input; returns the process exit status.
    public func run() -> Int32 {
        var ready = ByteBuffer(capacity: 64)
        ready.append("{\"jsonrpc\": \"2.0\", \"method\": \"_ready\", \"params\": {}}\n")
        output.writeLine(ready)
        let out = output
        runtime.setHostSink { id, method, params in
            var line = ByteBuffer(capacity: params.count + 80)
            line.append("{\"jsonrpc\": \"2.0\", \"id\": ")
            line.appendDecimal(Int(truncatingIfNeeded: id))
            line.append(", \"method\": ")
            JSONWriter.writeString(JStr(method), asciiOnly: false, into: &line)
            line.append(", \"params\": ")
            line.append(params)
            line.append("}\n")
            out.writeLine(line)
        }
        readLoop()
        // BR-EOF-2: nobody can answer host calls any more, and plugins are
        // stopped; requests still in flight then fail fast (host_unavailable,
        // `executa process exited`) and their answers are written before exit.
        runtime.hostCallRegistry.failAll(HostError("host_unavailable", "the host closed the bridge's input"))
        runtime.shutdown()
        workers.waitIdle(timeoutNanos: 3_000_000_000)
        return 0
    }

    /// Reads stdin with the 16 MiB frame cap (BR-FRAME-3), batching the
    /// answers of fast requests until the input is drained.
    func readLoop() {
        var batch = ByteBuffer(capacity: 4096)
        LineReader(fd: inputFD, maxLine: LineFrontEnd.maxFrameBytes).run(
            line: { process($0, batch: &batch) },
            oversized: { rejectOversized(head: $0, size: $1, batch: &batch) },
            drained: { flush(&batch) })
    }

    func flush(_ batch: inout ByteBuffer) {
        if batch.count > 0 {
            batch.withBytes { _ = output.write($0) }
            batch.removeAll()
        }
    }

    /// BR-OUT-6 / BR-ERR-7.
    func rejectOversized(head: [UInt8], size: Int, batch: inout ByteBuffer) {
        let id = head.withUnsafeBufferPointer { LineFrontEnd.frameId($0) }
        let hasMethod = head.withUnsafeBufferPointer { h in
            JStr(wtf8: Array(h)).contains("\"method\"")
        }
        if !hasMethod, case .int(let n)? = id, n > 0,
           runtime.hostCallRegistry.fail(UInt64(n), HostError("frame_too_large",
                                        "host response frame is \(size) bytes, exceeds the 16777216-byte stdio frame limit",
                                        JObject(uniqueEntries: [("frame_bytes", .int(size)), ("max_frame_bytes", .int(LineFrontEnd.maxFrameBytes))]))) {
            return
        }
        LineFrontEnd.writeOversized(id: id, size: size, into: &batch)
        batch.append(UInt8(ascii: "\n"))
    }

    func process(_ bytes: UnsafeBufferPointer<UInt8>, batch: inout ByteBuffer) {
        var e = FastEnvelope()
        if bytes.first == UInt8(ascii: "{"), JSONParser.isValidUTF8(bytes), FastEnvelope.scan(bytes, into: &e),
           let s = runtime.session(e.sessionId) {
            if HostMethod.find(ns: e.ns, method: e.method)?.mayBlock ?? false {
                // A line over one pipe write cannot make a frame that fits one:
                // do not encode it here only to hand it to a worker anyway.
                if bytes.count <= Int(PIPE_BUF), startWithoutWorker(s, e, batch: &batch) { return }
                let rt = runtime, out = output, env = e
                workers.submit {
                    var resp = ByteBuffer(capacity: 256)
                    rt.writeCall(s, ns: .string(env.ns), method: .string(env.method), args: env.args, id: env.id, into: &resp)
                    resp.append(UInt8(ascii: "\n"))
                    out.writeLine(resp)
                }
            } else {
                runtime.writeCall(s, ns: .string(e.ns), method: .string(e.method), args: e.args, id: e.id, into: &batch)
                batch.append(UInt8(ascii: "\n"))
            }
            return
        }
        switch LineFrontEnd.parse(bytes, into: &batch) {
        case .empty: return
        case .answered: batch.append(UInt8(ascii: "\n")); return
        case .object(let o):
            if !o.contains("method") {
                // BR-CLS-3: an answer to one of our outbound calls.
                if let id = outboundId(o["id"]), runtime.hostCallRegistry.isPending(id) {
                    let reg = runtime.hostCallRegistry
                    reg.reply(id, response: o)
                    return
                }
                // BR-CLS-4 divergence: drop other response-shaped objects
                // instead of answering a response with an error.
                if o.contains("result") || o.contains("error") { return }
            }
            if mayBlock(o) {
                let rt = runtime, out = output
                workers.submit {
                    var resp = ByteBuffer(capacity: 256)
                    rt.handle(request: o, into: &resp)
                    resp.append(UInt8(ascii: "\n"))
                    out.writeLine(resp)
                }
            } else {
                runtime.handle(request: o, into: &batch)
                batch.append(UInt8(ascii: "\n"))
            }
        }
    }

    /// tools.invoke to a warm plugin: sent from this thread and answered
    /// from the plugin's reader thread, saving two thread hand-offs per
    /// call. False when the call needs a worker (nothing was done).
    func startWithoutWorker(_ s: DispatcherSession, _ e: FastEnvelope, batch: inout ByteBuffer) -> Bool {
        let out = output, id = e.id, pool = workers
        pool.begin()   // BR-EOF-2: the answer is written before the bridge exits
        let start = s.startCall(ns: e.ns, method: e.method, args: e.args) { result in
            var resp = ByteBuffer(capacity: 256)
            Runtime.writeCallResult(result, id: id, into: &resp)
            resp.append(UInt8(ascii: "\n"))
            out.writeLine(resp)
            pool.end()
        }
        switch start {
        case .started:
            return true
        case .finished(let result):
            pool.end()
            Runtime.writeCallResult(result, id: id, into: &batch)
            batch.append(UInt8(ascii: "\n"))
            return true
        case .needsThread:
            pool.end()
            return false
        }
    }

    /// BR-CLS-3: integer ids (and booleans, as Python treats them) only.
    func outboundId(_ v: JSON?) -> UInt64? {
        switch v {
        case .int(let i)? where i > 0: return UInt64(i)
        case .bool(true)?: return 1
        default: return nil
        }
    }

    /// Only `session.call` can wait on something outside the runtime.
    func mayBlock(_ o: JObject) -> Bool {
        guard case .string(let m) = o["method"] ?? .null, m.equals("session.call"),
              case .object(let p) = o["params"] ?? .null,
              case .string(let ns) = p["ns"] ?? .null, case .string(let method) = p["method"] ?? .null,
              let hm = HostMethod.find(ns: ns, method: method) else { return false }
        return hm.mayBlock
    }
}
