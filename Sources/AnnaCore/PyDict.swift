import AnnaJSON

/// Python's `dict(x)` applied to a decoded JSON value: how the reference
/// turns `entry_payload`/`runtime_state` (ST-WIN-2), local web.* args and
/// forwarded delegate args (errata D-DISP-1) into objects.
public enum PyDict {
    public enum Failure: Error, Sendable {
        case value(JStr)   // ValueError
        case type(JStr)    // TypeError
        public var message: JStr {
            switch self { case .value(let m), .type(let m): return m }
        }
    }

    public static func from(_ v: JSON) -> Result<JObject, Failure> {
        switch v {
        case .object(let o): return .success(o)
        case .null: return .failure(.type("'NoneType' object is not iterable"))
        case .bool, .int, .bigInt, .double:
            return .failure(.type("'\(v.pyTypeName)' object is not iterable"))
        case .string(let s):
            if s.isEmpty { return .success(JObject()) }
            return .failure(.value("dictionary update sequence element #0 has length 1; 2 is required"))
        case .array(let items):
            var out = JObject()
            var identities: [(PyKeyIdentity, JStr)] = []
            for (i, item) in items.enumerated() {
                let pair: (JSON, JSON)
                switch item {
                case .string(let s):
                    let cps = s.codePoints
                    guard cps.count == 2 else {
                        return .failure(.value("dictionary update sequence element #\(i) has length \(cps.count); 2 is required"))
                    }
                    pair = (.string(JStr(codePoints: [cps[0]])), .string(JStr(codePoints: [cps[1]])))
                case .array(let kv):
                    guard kv.count == 2 else {
                        return .failure(.value("dictionary update sequence element #\(i) has length \(kv.count); 2 is required"))
                    }
                    pair = (kv[0], kv[1])
                case .object(let o):
                    guard o.count == 2 else {
                        return .failure(.value("dictionary update sequence element #\(i) has length \(o.count); 2 is required"))
                    }
                    pair = (.string(o.entries[0].key), .string(o.entries[1].key))
                default:
                    return .failure(.type("cannot convert dictionary update sequence element #\(i) to a sequence"))
                }
                guard let id = PyKeyIdentity(pair.0) else {
                    return .failure(.type("unhashable type: '\(pair.0.pyTypeName)'"))
                }
                // Equal keys (1 == 1.0 == True) share one slot: the first
                // key's spelling is kept, the last value wins.
                if let existing = identities.first(where: { $0.0 == id }) {
                    out.set(existing.1, pair.1)
                } else {
                    let rendered = jsonKey(pair.0)
                    identities.append((id, rendered))
                    out.set(rendered, pair.1)
                }
            }
            return .success(out)
        }
    }

    /// How `json.dumps` spells a non-string key. The reference keeps such
    /// keys typed inside runtime_state (errata U-3); we store their JSON
    /// spelling, a documented divergence.
    static func jsonKey(_ k: JSON) -> JStr {
        switch k {
        case .string(let s): return s
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .double(let d): return JStr(PyFloat.json(d))
        default: return Py.str(k)
        }
    }
}

/// Python key equality for hashable decoded JSON scalars.
enum PyKeyIdentity: Equatable {
    case none
    case number(Double)
    case bigNumber(String)
    case string(JStr)

    init?(_ v: JSON) {
        switch v {
        case .null: self = .none
        case .bool(let b): self = .number(b ? 1 : 0)
        case .int(let i): self = .number(Double(i))
        case .double(let d): self = .number(d)
        case .bigInt(let b): self = .bigNumber(b.text)
        case .string(let s): self = .string(s)
        case .array, .object: return nil
        }
    }
}
