/// A decoded JSON value as the Python reference sees it (J-DEC-*):
/// integers are unbounded and distinct from doubles (`1` vs `1.0`),
/// `NaN`/`Infinity` are doubles, objects keep insertion order, strings are
/// code-point sequences (see `JStr`).
public enum JSON: Sendable {
    case null
    case bool(Bool)
    /// An integer that fits in 64 bits.
    case int(Int)
    /// An integer outside the 64-bit range (decimal text, normalised).
    case bigInt(PyBigInt)
    case double(Double)
    case string(JStr)
    case array([JSON])
    case object(JObject)
}

extension JSON {
    @inlinable
    public static func str(_ s: String) -> JSON { .string(JStr(s)) }

    /// Python truthiness.
    public var isTruthy: Bool {
        switch self {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .bigInt: return true
        case .double(let d): return d != 0   // NaN is truthy, as in Python
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        }
    }

    /// Python `type(x).__name__` for a decoded JSON value.
    public var pyTypeName: String {
        switch self {
        case .null: return "NoneType"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .object: return "dict"
        }
    }

    public var isNull: Bool { if case .null = self { return true }; return false }

    public var object: JObject? { if case .object(let o) = self { return o }; return nil }
    public var array: [JSON]? { if case .array(let a) = self { return a }; return nil }
    public var jstr: JStr? { if case .string(let s) = self { return s }; return nil }

    /// `isinstance(x, int)` in Python: bools count.
    public var isPyInt: Bool {
        switch self {
        case .int, .bigInt, .bool: return true
        default: return false
        }
    }

    /// Member lookup; nil when self is not an object or the key is absent.
    @inlinable
    public subscript(key: StaticString) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
}

/// An insertion-ordered JSON object with Python `dict` semantics:
/// assigning an existing key keeps its position, a new key is appended,
/// keys compare by code point. Small objects (every request envelope) are
/// scanned linearly; larger ones get a hash index on demand.
public struct JObject: Sendable {
    public typealias Entry = (key: JStr, value: JSON)
    public private(set) var entries: [Entry]
    @usableFromInline var index: [JStr: Int]?
    /// This object's PY-DEFAULT encoding when known in advance (a cache the
    /// writer uses as is); any mutation drops it.
    public private(set) var cachedPyDefault: [UInt8]? = nil

    @usableFromInline static let indexThreshold = 12

    public init() { entries = [] }

    public init(minimumCapacity: Int) {
        entries = []
        entries.reserveCapacity(minimumCapacity)
    }

    /// Builds an object from pairs that are known to have distinct keys.
    public init(uniqueEntries: [Entry]) {
        entries = uniqueEntries
        if entries.count > JObject.indexThreshold { rebuildIndex() }
    }

    /// An object together with its PY-DEFAULT encoding (computed here once),
    /// for results that are rebuilt often from unchanged data.
    public init(uniqueEntries: [Entry], cacheEncoding: Bool) {
        self.init(uniqueEntries: uniqueEntries)
        if cacheEncoding { self = withCachedEncoding() }
    }

    /// This object with its PY-DEFAULT encoding computed now, for an object
    /// that will be written many times unchanged.
    public func withCachedEncoding() -> JObject {
        var copy = self
        var buf = ByteBuffer(capacity: 128)
        JSONWriter.writeObject(self, style: .pyDefault, into: &buf)
        copy.cachedPyDefault = buf.bytes
        return copy
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [JStr] { entries.map { $0.key } }

    @usableFromInline
    mutating func rebuildIndex() {
        var idx = [JStr: Int](minimumCapacity: entries.count)
        for (i, e) in entries.enumerated() { idx[e.key] = i }
        index = idx
    }

    @usableFromInline
    func position(of key: JStr) -> Int? {
        if let index { return index[key] }
        // Scans in place (no per-entry copies); the length check first
        // rejects almost every non-match.
        let n = key.utf8Count
        return entries.withUnsafeBufferPointer { buf -> Int? in
            for i in 0..<buf.count where buf[i].key.utf8Count == n && buf[i].key == key { return i }
            return nil
        }
    }

    @usableFromInline
    func position(ofASCII key: StaticString) -> Int? {
        if let index { return index[JStr(key.description)] }
        for i in entries.indices where entries[i].key.equals(key) { return i }
        return nil
    }

    @_disfavoredOverload
    public subscript(key: JStr) -> JSON? {
        get { position(of: key).map { entries[$0].value } }
        set {
            if let newValue { set(key, newValue) } else { removeValue(forKey: key) }
        }
    }

    @inlinable
    public subscript(key: StaticString) -> JSON? {
        position(ofASCII: key).map { entries[$0].value }
    }

    public func contains(_ key: StaticString) -> Bool { position(ofASCII: key) != nil }
    @_disfavoredOverload
    public func contains(_ key: JStr) -> Bool { position(of: key) != nil }

    /// `d[key] = value`.
    @_disfavoredOverload
    public mutating func set(_ key: JStr, _ value: JSON) {
        cachedPyDefault = nil
        if let p = position(of: key) {
            entries[p].value = value
            return
        }
        entries.append((key, value))
        if index != nil {
            index?[key] = entries.count - 1
        } else if entries.count > JObject.indexThreshold {
            rebuildIndex()
        }
    }

    public mutating func set(_ key: StaticString, _ value: JSON) {
        set(JStr(key.description), value)
    }

    /// Appends without checking for an existing key; the caller guarantees
    /// the key is new (result objects built by handlers).
    public mutating func append(_ key: StaticString, _ value: JSON) {
        appendNew(JStr(key.description), value)
    }

    /// Appends a key the caller knows is not present yet (the parser, after
    /// its key filter said so).
    public mutating func appendNew(_ key: JStr, _ value: JSON) {
        cachedPyDefault = nil
        entries.append((key, value))
        if index != nil { index?[key] = entries.count - 1 }
        else if entries.count > JObject.indexThreshold { rebuildIndex() }
    }

    @discardableResult @_disfavoredOverload
    public mutating func removeValue(forKey key: JStr) -> JSON? {
        guard let p = position(of: key) else { return nil }
        cachedPyDefault = nil
        let v = entries.remove(at: p).value
        if index != nil { rebuildIndex() }
        return v
    }

    @discardableResult
    public mutating func removeValue(forKey key: StaticString) -> JSON? {
        removeValue(forKey: JStr(key.description))
    }
}

extension JObject: ExpressibleByDictionaryLiteral {
    /// Literal keys must be distinct (they are written by us, not by users).
    public init(dictionaryLiteral elements: (StaticString, JSON)...) {
        entries = elements.map { (JStr($0.0.description), $0.1) }
        if entries.count > JObject.indexThreshold { rebuildIndex() }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
                ExpressibleByBooleanLiteral, ExpressibleByNilLiteral,
                ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByFloatLiteral {
    public init(stringLiteral value: String) { self = .string(JStr(value)) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(dictionaryLiteral elements: (StaticString, JSON)...) {
        self = .object(JObject(uniqueEntries: elements.map { (JStr($0.0.description), $0.1) }))
    }
}

extension JSON: Equatable {
    /// Structural equality with Python `==` semantics for decoded JSON
    /// (`1 == 1.0 == True`, NaN != NaN, object order ignored).
    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            for e in x.entries { guard let v = y[e.key], v == e.value else { return false } }
            return true
        case (.bigInt(let x), .bigInt(let y)): return x == y
        default:
            if let x = a.numericValue, let y = b.numericValue { return x == y }
            return false
        }
    }

    /// Numbers and bools as doubles for mixed comparisons (exact for the
    /// 64-bit range that `==` needs in practice).
    var numericValue: Double? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
}
