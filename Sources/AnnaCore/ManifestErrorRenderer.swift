import AnnaJSON

/// pydantic-core's `str(ValidationError)` for the manifest (M-ERR-3). Rules
/// established against the reference (the spec leaves the details open):
///
/// * a root error (empty `loc`) has no location line at all;
/// * `loc` items are joined with `.`; a string item that itself contains
///   `.` is wrapped in backticks; integers print in decimal;
/// * `input_value` is Python `repr(input)`; when that text is longer than
///   50 UTF-8 bytes it becomes its first 25 bytes (cut back to a character
///   boundary) + `...` + its last 24 bytes (start moved forward to a
///   character boundary);
/// * no trailing newline.
enum ManifestErrorRenderer {
    static let maxInputReprBytes = 50
    static let headBytes = 25
    static let tailBytes = 24

    static func render(_ errors: [ManifestErrorItem]) -> JStr {
        var out: [UInt8] = []
        out.reserveCapacity(64 + errors.count * 200)
        out.append(contentsOf: "\(errors.count) validation error\(errors.count == 1 ? "" : "s") for AppManifest".utf8)
        for e in errors {
            if !e.loc.isEmpty {
                out.append(0x0A)
                appendLoc(e.loc, to: &out)
            }
            out.append(contentsOf: "\n  ".utf8)
            e.msg.withBytes { out.append(contentsOf: $0) }
            out.append(contentsOf: " [type=\(e.type), input_value=".utf8)
            appendTruncated(Py.repr(e.input), to: &out)
            out.append(contentsOf: ", input_type=\(e.input.pyTypeName)]".utf8)
            out.append(contentsOf: "\n    For further information visit https://errors.pydantic.dev/2.14/v/\(e.type)".utf8)
        }
        return JStr(wtf8: out)
    }

    static func appendLoc(_ loc: [JSON], to out: inout [UInt8]) {
        for (i, item) in loc.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ".")) }
            switch item {
            case .string(let s):
                let dotted = s.withBytes { $0.contains(UInt8(ascii: ".")) }
                if dotted { out.append(UInt8(ascii: "`")) }
                s.withBytes { out.append(contentsOf: $0) }
                if dotted { out.append(UInt8(ascii: "`")) }
            default:
                Py.str(item).withBytes { out.append(contentsOf: $0) }
            }
        }
    }

    static func appendTruncated(_ repr: JStr, to out: inout [UInt8]) {
        repr.withBytes { b in
            guard b.count > maxInputReprBytes else {
                out.append(contentsOf: b)
                return
            }
            var head = headBytes
            while head > 0 && b[head] & 0xC0 == 0x80 { head -= 1 }
            var tail = b.count - tailBytes
            while tail < b.count && b[tail] & 0xC0 == 0x80 { tail += 1 }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b[0..<head]))
            out.append(contentsOf: "...".utf8)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b[tail..<b.count]))
        }
    }
}
