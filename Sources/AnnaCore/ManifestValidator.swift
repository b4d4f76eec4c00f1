import AnnaJSON

/// One validation failure, shaped like a pydantic error record (M-ERR-1).
public struct ManifestErrorItem: Sendable {
    /// pydantic error type id, e.g. `extra_forbidden`, `string_too_long`.
    public var type: String
    /// Path of keys (`.string`) and list indexes (`.int`).
    public var loc: [JSON]
    public var msg: JStr
    /// The offending input value.
    public var input: JSON
    /// pydantic `ctx` (e.g. `{"ge": 1}`), nil when the error has none.
    public var ctx: JObject?

    public init(type: String, loc: [JSON], msg: JStr, input: JSON, ctx: JObject? = nil) {
        self.type = type; self.loc = loc; self.msg = msg; self.input = input; self.ctx = ctx
    }
}

/// All errors of one failed validation, in pydantic's order (M-ERR-2).
public struct ManifestValidationError: Error, Sendable {
    public var errors: [ManifestErrorItem]
    public init(errors: [ManifestErrorItem]) { self.errors = errors }

    /// `str(ValidationError)` (M-ERR-3): what the bridge puts after `internal: `.
    public var rendered: JStr { ManifestValidator.render(errors) }
}

public enum ManifestValidator {
    /// Validates a decoded manifest with the reference's lax coercions (02-manifest.md).
    public static func validate(_ input: JSON) -> Result<AppManifest, ManifestValidationError> {
        var run = ManifestValidation()
        if let manifest = run.appManifest(input), run.errors.isEmpty { return .success(manifest) }
        return .failure(ManifestValidationError(errors: run.errors))
    }

    /// `str(ValidationError)` for these errors (M-ERR-3), byte for byte.
    public static func render(_ errors: [ManifestErrorItem]) -> JStr {
        ManifestErrorRenderer.render(errors)
    }
}
