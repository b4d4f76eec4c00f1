import AnnaJSON

/// One pydantic error kind, before it is placed at a `loc` with its input.
/// The texts are pydantic-core's (02-manifest.md §3-4); keeping them in one
/// place keeps `type`, `msg` and `ctx` consistent with each other.
enum ManifestIssue: Error {
    case modelType(className: StaticString)
    case missing
    case extraForbidden
    case stringType
    /// A lone surrogate reached a validator that needs a real Unicode string.
    case stringUnicode
    case stringTooShort(Int)
    case stringTooLong(Int)
    case intType
    case intParsing
    case intParsingSize
    case intFromFloat
    case finiteNumber
    case greaterThanEqual(Int)
    case lessThanEqual(Int)
    case boolType
    case boolParsing
    case listType
    case dictType
    /// `expected` is the pre-rendered alternatives, e.g. `'solid' or 'vibrancy'`.
    case literalError(expected: StaticString)
    case valueError(JStr)

    var type: String {
        switch self {
        case .modelType: return "model_type"
        case .missing: return "missing"
        case .extraForbidden: return "extra_forbidden"
        case .stringType: return "string_type"
        case .stringUnicode: return "string_unicode"
        case .stringTooShort: return "string_too_short"
        case .stringTooLong: return "string_too_long"
        case .intType: return "int_type"
        case .intParsing: return "int_parsing"
        case .intParsingSize: return "int_parsing_size"
        case .intFromFloat: return "int_from_float"
        case .finiteNumber: return "finite_number"
        case .greaterThanEqual: return "greater_than_equal"
        case .lessThanEqual: return "less_than_equal"
        case .boolType: return "bool_type"
        case .boolParsing: return "bool_parsing"
        case .listType: return "list_type"
        case .dictType: return "dict_type"
        case .literalError: return "literal_error"
        case .valueError: return "value_error"
        }
    }

    var msg: JStr {
        switch self {
        case .modelType(let name): return "Input should be a valid dictionary or instance of \(name.description)"
        case .missing: return "Field required"
        case .extraForbidden: return "Extra inputs are not permitted"
        case .stringType: return "Input should be a valid string"
        case .stringUnicode: return "Input should be a valid string, unable to parse raw data as a unicode string"
        case .stringTooShort(let n): return "String should have at least \(n) character\(n == 1 ? "" : "s")"
        case .stringTooLong(let n): return "String should have at most \(n) character\(n == 1 ? "" : "s")"
        case .intType: return "Input should be a valid integer"
        case .intParsing: return "Input should be a valid integer, unable to parse string as an integer"
        case .intParsingSize: return "Unable to parse input string as an integer, exceeded maximum size"
        case .intFromFloat: return "Input should be a valid integer, got a number with a fractional part"
        case .finiteNumber: return "Input should be a finite number"
        case .greaterThanEqual(let n): return "Input should be greater than or equal to \(n)"
        case .lessThanEqual(let n): return "Input should be less than or equal to \(n)"
        case .boolType: return "Input should be a valid boolean"
        case .boolParsing: return "Input should be a valid boolean, unable to interpret input"
        case .listType: return "Input should be a valid list"
        case .dictType: return "Input should be a valid dictionary"
        case .literalError(let expected): return "Input should be \(expected.description)"
        case .valueError(let text): return "Value error, \(text)"
        }
    }

    var ctx: JObject? {
        switch self {
        case .modelType(let name): return ["class_name": .str(name.description)]
        case .stringTooShort(let n): return ["min_length": .int(n)]
        case .stringTooLong(let n): return ["max_length": .int(n)]
        case .greaterThanEqual(let n): return ["ge": .int(n)]
        case .lessThanEqual(let n): return ["le": .int(n)]
        case .literalError(let expected): return ["expected": .str(expected.description)]
        case .valueError(let text): return ["error": .string(text)]
        default: return nil
        }
    }
}
