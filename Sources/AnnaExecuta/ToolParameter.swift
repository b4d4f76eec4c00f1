import AnnaJSON

/// One entry of a tool's `parameters` list in the `describe` manifest
/// (10 PC-DESC-2). Descriptive only: the SDK does not validate arguments
/// against it, because the runtime does not either (04 D-INVOKE-7).
public struct ToolParameter: Sendable {
    public var name: String
    /// A JSON-schema type name: `string`, `integer`, `number`, `boolean`,
    /// `object`, `array`.
    public var type: String
    public var description: String
    public var required: Bool

    public init(_ name: String, type: String = "string", description: String = "", required: Bool = false) {
        self.name = name
        self.type = type
        self.description = description
        self.required = required
    }

    public static func string(_ name: String, _ description: String = "", required: Bool = false) -> ToolParameter {
        ToolParameter(name, type: "string", description: description, required: required)
    }

    public static func integer(_ name: String, _ description: String = "", required: Bool = false) -> ToolParameter {
        ToolParameter(name, type: "integer", description: description, required: required)
    }

    public static func number(_ name: String, _ description: String = "", required: Bool = false) -> ToolParameter {
        ToolParameter(name, type: "number", description: description, required: required)
    }

    public static func boolean(_ name: String, _ description: String = "", required: Bool = false) -> ToolParameter {
        ToolParameter(name, type: "boolean", description: description, required: required)
    }

    public static func object(_ name: String, _ description: String = "", required: Bool = false) -> ToolParameter {
        ToolParameter(name, type: "object", description: description, required: required)
    }

    public static func array(_ name: String, _ description: String = "", required: Bool = false) -> ToolParameter {
        ToolParameter(name, type: "array", description: description, required: required)
    }

    var json: JSON {
        [
            "name": .str(name),
            "type": .str(type),
            "description": .str(description),
            "required": .bool(required),
        ]
    }
}
