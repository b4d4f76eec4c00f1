import AnnaJSON

/// Throw this from a tool handler to fail the invoke with exactly this
/// text: the SDK answers `{"success": false, "error": message}` (plus
/// `details` when given). Any other thrown error fails the invoke too, with
/// its `description` as the text.
public struct ToolFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// Surfaced by the runtime for async jobs only (10 PC-INV-2).
    public var details: JSON?

    public init(_ message: String, details: JSON? = nil) {
        self.message = message
        self.details = details
    }

    public var description: String { message }
}
