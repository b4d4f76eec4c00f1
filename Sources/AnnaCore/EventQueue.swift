import AnnaJSON
import Synchronization

/// The store-wide event queue (ST-EVT-*): one FIFO shared by every
/// session, drained whole. Records are encoded at emit time (wire-equivalent
/// because emitted payloads are never mutated: ST-EVT-5), so a drain is a
/// concatenation.
public final class EventQueue: Sendable {
    let records = Mutex<[[UInt8]]>([])

    public init() {}

    /// Appends `{"user_id", "kind", "payload", "ts"}` (D-EVT-1).
    public func emit(userId: JSON, kind: StaticString, payload: JObject, at time: UTCTime) {
        var buf = ByteBuffer(capacity: 160)
        buf.append("{\"user_id\": ")
        JSONWriter.write(userId, style: .pyDefault, into: &buf)
        buf.append(", \"kind\": \"")
        buf.append(kind)
        buf.append("\", \"payload\": ")
        JSONWriter.writeObject(payload, style: .pyDefault, into: &buf)
        buf.append(", \"ts\": \"")
        buf.append(time.isoformatZ)
        buf.append("\"}")
        let bytes = buf.bytes
        records.withLock { $0.append(bytes) }
    }

    /// Takes every queued record (ST-EVT-4).
    public func drain() -> [[UInt8]] {
        records.withLock { r in
            let out = r
            r.removeAll(keepingCapacity: false)
            return out
        }
    }

    public var count: Int { records.withLock { $0.count } }

    /// Writes `[e1, e2, …]` (PY-DEFAULT list separators).
    public static func writeList(_ events: [[UInt8]], into out: inout ByteBuffer) {
        out.append(UInt8(ascii: "["))
        for (i, e) in events.enumerated() {
            if i > 0 { out.append(", ") }
            out.append(e)
        }
        out.append(UInt8(ascii: "]"))
    }
}
