import AnnaJSON

extension JObject {
    /// A member by ASCII key. `JObject` offers both a `JStr` and a
    /// `StaticString` subscript, so a bare literal key is ambiguous.
    @inline(__always)
    func field(_ key: StaticString) -> JSON? { self[key] }

    @inline(__always)
    func has(_ key: StaticString) -> Bool { contains(key) }
}
