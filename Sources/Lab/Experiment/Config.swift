import Foundation

/// An experiment's hyperparameters: one typed value whose every field is recorded with
/// the run and can be overridden from the command line (`--set epochs=3`).
///
/// Fields must have default values and be of a type the command line can parse: `Int`,
/// `Double`, `Float`, `Bool`, `String`, or arrays of those (`--set sizes=[16,64,256]`).
public protocol ExperimentConfig: Codable, Hashable, Sendable {}

/// A config field as the command line sees it.
public struct ConfigField: Sendable, Equatable {
    /// The field's name, as `--set NAME=…` takes it.
    public let name: String
    /// "Int", "Double", "Bool", "String", "[Int]" …
    public let type: String
    /// The current value as JSON text.
    public let json: String
}

extension ExperimentConfig {
    /// The fields in declaration order, with their types and current values.
    public var fields: [ConfigField] {
        let object = (try? jsonObject()) ?? [:]
        return Mirror(reflecting: self).children.compactMap { child in
            guard let name = child.label else { return nil }
            let value = object[name] ?? NSNull()
            return ConfigField(name: name, type: ConfigParsing.typeName(of: child.value), json: ConfigParsing.json(value))
        }
    }

    /// The config as a JSON object with its fields in declaration order, as recorded with
    /// each run (the run store's `params` table and the report list them in that order).
    /// Values are JSONEncoder's text; a field the coder adds beyond the stored properties
    /// (a custom `encode(to:)`) follows them, in name order.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let sorted = String(decoding: try encoder.encode(self), as: UTF8.self)
        guard let encoded = JSONFields.topLevel(of: sorted) else { return sorted }
        let values = Dictionary(encoded.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let declared = Mirror(reflecting: self).children.compactMap(\.label).filter { values[$0] != nil }
        let keys = declared + encoded.map(\.key).filter { !declared.contains($0) }
        return "{" + keys.map { "\(ConfigParsing.json($0)):\(values[$0]!)" }.joined(separator: ",") + "}"
    }

    func jsonObject() throws -> [String: Any] {
        let data = try JSONEncoder().encode(self)
        return (try JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    /// A copy with `key=value` overrides applied, each checked against the field's type.
    /// - Throws: ``LabError/unknownConfigKey(_:valid:)`` or ``LabError/badConfigValue(key:value:type:)``
    ///   before anything runs.
    public func overriding(_ assignments: [String]) throws -> Self {
        guard !assignments.isEmpty else { return self }
        var object = try jsonObject()
        let fields = Dictionary(uniqueKeysWithValues: self.fields.map { ($0.name, $0) })
        let mirror = Dictionary(uniqueKeysWithValues: Mirror(reflecting: self).children.compactMap { c in c.label.map { ($0, c.value) } })
        var given: [String: String] = [:]   // key → the value text it was first given
        for assignment in assignments {
            guard let eq = assignment.firstIndex(of: "=") else { throw LabError.badAssignment(assignment) }
            let key = String(assignment[..<eq]).trimmingCharacters(in: .whitespaces)
            let text = String(assignment[assignment.index(after: eq)...])
            guard let field = fields[key], let current = mirror[key] else {
                throw LabError.unknownConfigKey(key, valid: self.fields)
            }
            if let first = given[key] { throw LabError.duplicateConfigKey(key, first: first, second: text) }
            given[key] = text
            guard let parsed = ConfigParsing.parse(text, like: current) else {
                throw LabError.badConfigValue(key: key, value: text, type: field.type)
            }
            // JSON, in which configs are keyed and recorded, has no NaN or infinity; and no
            // hyperparameter is meaningfully NaN, so the value is refused rather than encoded.
            if ConfigParsing.containsNonFinite(parsed) {
                throw LabError.nonFiniteConfigValue(key: key, value: text, type: field.type)
            }
            object[key] = parsed
            if ConfigParsing.isDecodedOnly(current) {
                do {
                    _ = try JSONDecoder().decode(Self.self, from: JSONSerialization.data(withJSONObject: object))
                } catch {
                    throw LabError.badConfigValue(key: key, value: text, type: "\(field.type) (\(ConfigParsing.reason(error)))")
                }
            }
        }
        let data = try JSONSerialization.data(withJSONObject: object)
        do {
            return try JSONDecoder().decode(Self.self, from: data)
        } catch {
            throw LabError.badConfigValue(key: assignments.joined(separator: " "), value: "", type: "\(error)")
        }
    }
}

enum ConfigParsing {
    static func typeName(of value: Any) -> String {
        switch value {
        case is Bool: return "Bool"
        case is Int, is Int64, is Int32: return "Int"
        case is Double: return "Double"
        case is Float: return "Float"
        case is String: return "String"
        case is [Int]: return "[Int]"
        case is [Double]: return "[Double]"
        case is [String]: return "[String]"
        case is [Bool]: return "[Bool]"
        default: return String(describing: type(of: value))
        }
    }

    /// Parses command-line text as a value of `current`'s type, as a JSON-compatible value.
    static func parse(_ text: String, like current: Any) -> Any? {
        let t = text.trimmingCharacters(in: .whitespaces)
        switch current {
        case is Bool:
            switch t.lowercased() { case "true", "yes", "1": return true; case "false", "no", "0": return false; default: return nil }
        case is Int, is Int64, is Int32:
            return Int(t.replacingOccurrences(of: "_", with: ""))
        case is Double, is Float:
            return Double(t.replacingOccurrences(of: "_", with: ""))
        case is String:
            return t
        case let array as [Any]:
            var inner = t
            if inner.hasPrefix("[") && inner.hasSuffix("]") { inner = String(inner.dropFirst().dropLast()) }
            let parts = inner.split(separator: ",").map(String.init)
            let like: Any
            switch array {
            case is [Int]: like = 0
            case is [Double]: like = 0.0
            case is [Bool]: like = false
            default: like = ""
            }
            let values = parts.map { parse($0, like: like) }
            return values.contains(where: { $0 == nil }) ? nil : values.map { $0! }
        default:
            // Any other Codable field (an enum such as `Precision`, a struct): the text as JSON
            // (`{"a": 1}`, `"bf16"`), else as a string (`bf16`); decoding the config checks it.
            if let data = t.data(using: .utf8),
               let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) { return json }
            return t
        }
    }

    /// Whether `parse(_:like:)` takes a value of this type as JSON, to be checked by decoding.
    static func isDecodedOnly(_ current: Any) -> Bool {
        switch current {
        case is Bool, is Int, is Int64, is Int32, is Double, is Float, is String, is [Any]: return false
        default: return true
        }
    }

    /// What a decoding error says, without Swift's coding-path dump.
    static func reason(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        case DecodingError.typeMismatch(let type, _): return "expected \(type)"
        case DecodingError.keyNotFound(let key, _): return "no '\(key.stringValue)'"
        case DecodingError.valueNotFound(let type, _): return "expected \(type)"
        default: return "\(error)"
        }
    }

    /// Whether a parsed value is, or holds, a NaN or infinite number.
    static func containsNonFinite(_ value: Any) -> Bool {
        switch value {
        case let number as Double: return !number.isFinite
        case let values as [Any]: return values.contains(where: containsNonFinite)
        default: return false
        }
    }

    static func json(_ value: Any) -> String {
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }
}
