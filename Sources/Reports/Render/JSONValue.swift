import Foundation

/// A JSON value parsed from a config entry's JSON text, so `results.json` holds `0.001`
/// rather than `"0.001"`. Text that is not JSON is kept as a string.
public enum JSONValue: Codable, Sendable, Equatable {
    /// JSON's scalars: null, true/false, an integer that fits in 64 bits, any other number, a string.
    case null, bool(Bool), int(Int64), double(Double), string(String)
    /// JSON's containers: an array, an object.
    case array([JSONValue]), object([String: JSONValue])

    /// The value `text` spells in JSON, or the string `text` itself when it is not JSON.
    public init(parsing text: String) {
        self = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text)
    }

    /// Decodes the first of null, Bool, Int64, Double, String, array, object that fits the value.
    /// - Throws: `DecodingError` when the value is none of them.
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// Encodes the value as the JSON it stands for.
    /// - Throws: `EncodingError.invalidValue` for a NaN or infinite `.double` unless the encoder has a non-conforming float strategy.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

extension JSONValue {
    /// The value as compact JSON text with sorted keys (`3`, `0.001`, `"adam"`), as configs
    /// are shown in reports.
    public var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
