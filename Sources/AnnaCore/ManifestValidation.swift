import AnnaJSON

/// One step of the path to the value being validated. Keys of declared
/// fields stay static strings so that a valid manifest never builds a
/// `loc`; it is materialised only when an error is reported.
enum ManifestPathItem {
    case key(StaticString)
    case dynamicKey(JStr)
    case index(Int)

    var locItem: JSON {
        switch self {
        case .key(let k): return .str(k.description)
        case .dynamicKey(let k): return .string(ManifestValidation.lossyLocKey(k))
        case .index(let i): return .int(i)
        }
    }
}

/// How a model treats keys it does not declare (02-manifest.md §1).
enum ManifestExtraMode {
    case forbid
    case ignore
    case allow
}

/// The state of one validation run: the errors found so far, in pydantic's
/// order, and the path of the value being looked at. Validators return nil
/// when their value is invalid (after recording why) and keep going, so one
/// run collects every error (M-GEN-6).
struct ManifestValidation {
    var errors: [ManifestErrorItem] = []
    var path: [ManifestPathItem] = []

    init() { path.reserveCapacity(8) }

    mutating func report(_ issue: ManifestIssue, input: JSON) {
        errors.append(ManifestErrorItem(type: issue.type, loc: path.map(\.locItem), msg: issue.msg,
                                        input: input, ctx: issue.ctx))
    }

    @inline(__always)
    mutating func check<T>(_ r: Result<T, ManifestIssue>, _ raw: JSON) -> T? {
        switch r {
        case .success(let v): return v
        case .failure(let issue):
            report(issue, input: raw)
            return nil
        }
    }

    /// pydantic-core turns a `loc` key into a Rust string lossily: each lone
    /// surrogate (3 bytes in the generalised UTF-8) becomes three U+FFFD.
    static func lossyLocKey(_ k: JStr) -> JStr {
        guard k.hasLoneSurrogate else { return k }
        var cps: [UInt32] = []
        for cp in k.codePoints {
            if cp >= 0xD800 && cp <= 0xDFFF { cps.append(contentsOf: [0xFFFD, 0xFFFD, 0xFFFD]) } else { cps.append(cp) }
        }
        return JStr(codePoints: cps)
    }

    // MARK: fields
    //
    // The generic helpers are force-inlined so that every call site is
    // specialised: left generic, the runtime metadata lookups for their
    // closure and result types cost several times the validation itself.

    /// Validates `o[key]` into `target` when present (absent keeps the
    /// default). Returns false when the value was invalid.
    @inline(__always)
    mutating func field<T>(_ o: JObject, _ key: StaticString, into target: inout T,
                           _ validate: (inout ManifestValidation, JSON) -> T?) -> Bool {
        guard let raw = o[key] else { return true }
        path.append(.key(key))
        defer { path.removeLast() }
        guard let v = validate(&self, raw) else { return false }
        target = v
        return true
    }

    /// A field without a default: absent is `missing`, reported with the
    /// whole model input as pydantic does.
    @inline(__always)
    mutating func required<T>(_ o: JObject, _ key: StaticString,
                              _ validate: (inout ManifestValidation, JSON) -> T?) -> T? {
        path.append(.key(key))
        defer { path.removeLast() }
        guard let raw = o[key] else {
            report(.missing, input: .object(o))
            return nil
        }
        return validate(&self, raw)
    }

    /// `T | None`: JSON null is a valid nil.
    @inline(__always)
    mutating func optional<T>(_ raw: JSON, _ validate: (inout ManifestValidation, JSON) -> T?) -> T?? {
        if case .null = raw { return .some(nil) }
        guard let v = validate(&self, raw) else { return nil }
        return .some(v)
    }

    // MARK: values

    mutating func int(_ raw: JSON, ge: Int? = nil, le: Int? = nil) -> JSON? {
        guard let v = check(ManifestCoercion.int(raw), raw) else { return nil }
        if let issue = ManifestCoercion.range(v, ge: ge, le: le) {
            report(issue, input: raw)
            return nil
        }
        return v
    }

    mutating func bool(_ raw: JSON) -> Bool? {
        check(ManifestCoercion.bool(raw), raw)
    }

    mutating func string(_ raw: JSON, min: Int = 0, max: Int? = nil) -> JStr? {
        check(ManifestCoercion.string(raw, min: min, max: max), raw)
    }

    mutating func literal(_ raw: JSON, _ choices: [StaticString], expected: StaticString) -> JStr? {
        check(ManifestCoercion.literal(raw, choices, expected: expected), raw)
    }

    @inline(__always)
    mutating func list<T>(_ raw: JSON, _ item: (inout ManifestValidation, JSON) -> T?) -> [T]? {
        guard case .array(let a) = raw else {
            report(.listType, input: raw)
            return nil
        }
        var out: [T] = []
        out.reserveCapacity(a.count)
        var ok = true
        for i in a.indices {
            path.append(.index(i))
            if let v = item(&self, a[i]) {
                if ok { out.append(v) }
            } else {
                ok = false
            }
            path.removeLast()
        }
        return ok ? out : nil
    }

    mutating func stringList(_ raw: JSON) -> [JStr]? {
        list(raw) { $0.string($1) }
    }

    /// `dict[str, T]`: JSON keys are always strings (lone surrogates allowed).
    @inline(__always)
    mutating func dict<T>(_ raw: JSON, _ value: (inout ManifestValidation, JSON) -> T?) -> [(key: JStr, value: T)]? {
        guard case .object(let o) = raw else {
            report(.dictType, input: raw)
            return nil
        }
        var out: [(key: JStr, value: T)] = []
        out.reserveCapacity(o.count)
        var ok = true
        for e in o.entries {
            path.append(.dynamicKey(e.key))
            if let v = value(&self, e.value) {
                if ok { out.append((e.key, v)) }
            } else {
                ok = false
            }
            path.removeLast()
        }
        return ok ? out : nil
    }

    /// The input object of a nested model. A model that looks at its
    /// undeclared keys (forbid or allow) needs each key as a real Unicode
    /// string: the first key holding a lone surrogate fails the whole model
    /// with a single `string_unicode` error whose input is that key, and
    /// none of the model's other errors are reported.
    mutating func modelObject(_ raw: JSON, _ className: StaticString, extra: ManifestExtraMode) -> JObject? {
        guard case .object(let o) = raw else {
            report(.modelType(className: className), input: raw)
            return nil
        }
        if extra != .ignore, let bad = o.entries.first(where: { $0.key.hasLoneSurrogate }) {
            report(.stringUnicode, input: .string(bad.key))
            return nil
        }
        return o
    }

    /// Reports every undeclared key of a forbid model, in input order,
    /// after the model's field errors (M-ERR-2).
    mutating func forbidExtras(_ o: JObject, declared: [StaticString]) -> Bool {
        var ok = true
        for e in o.entries where !ManifestValidation.isDeclared(e.key, declared) {
            path.append(.dynamicKey(e.key))
            report(.extraForbidden, input: e.value)
            path.removeLast()
            ok = false
        }
        return ok
    }

    static func isDeclared(_ key: JStr, _ declared: [StaticString]) -> Bool {
        for d in declared where key.equals(d) { return true }
        return false
    }
}
