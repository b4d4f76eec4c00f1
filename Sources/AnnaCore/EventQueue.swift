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
        emit(userId: userId, kind: kind, at: time) { JSONWriter.writeObject(payload, style: .pyDefault, into: &$0) }
    }

    /// Same, with the payload object written by `payload` (hot paths skip
    /// building a JObject).
    public func emit(userId: JSON, kind: StaticString, at time: UTCTime, payload: (inout ByteBuffer) -> Void) {
        var buf = ByteBuffer(capacity: 192)
        buf.append("{\"user_id\": ")
        JSONWriter.write(userId, style: .pyDefault, into: &buf)
        buf.append(", \"kind\": \"")
        buf.append(kind)
        buf.append("\", \"payload\": ")
        payload(&buf)
        buf.append(", \"ts\": \"")
        time.writeISO(into: &buf, z: true)
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
