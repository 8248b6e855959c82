import Foundation

/// A request's JSON object, read field by field with errors that name the field and what
/// it should be. Unknown fields are refused: a misspelt `"labls"` is an error, not ignored.
struct RequestBody {
    let route: String
    private let object: [String: Any]

    /// Parses `data` as a JSON object whose keys are all among `allowed`.
    /// - Throws: 400 for malformed JSON, a body that is not an object, an unknown field.
    init(_ data: Data, route: String, allowed: [String]) throws {
        self.route = route
        guard !data.isEmpty else {
            throw ServeError.badRequest("the body is empty; \(route) takes a JSON object with \(Self.list(allowed))")
        }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw ServeError.badRequest("the body is not valid JSON (\((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)")); \(route) takes a JSON object")
        }
        guard let object = parsed as? [String: Any] else {
            throw ServeError.badRequest("the body is JSON but not an object; \(route) takes a JSON object with \(Self.list(allowed))")
        }
        for key in object.keys.sorted() where !allowed.contains(key) {
            throw ServeError.badRequest("unknown field '\(key)'; \(route) takes \(Self.list(allowed))")
        }
        self.object = object
    }

    static func list(_ fields: [String]) -> String {
        let quoted = fields.map { "'\($0)'" }
        return quoted.count <= 1 ? quoted.joined() : quoted.dropLast().joined(separator: ", ") + " and " + quoted.last!
    }

    func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    /// The raw value of `key`, if present and not null.
    func value(_ key: String) -> Any? { has(key) ? object[key] : nil }

    /// A non-empty text of at most `limit` characters.
    func text(_ key: String, limit: Int) throws -> String {
        guard let value = value(key) else { throw ServeError.badRequest("missing field '\(key)' (a string)") }
        guard let text = value as? String else { throw ServeError.badRequest("field '\(key)' must be a string") }
        return try Self.checked(text, field: key, limit: limit)
    }

    static func checked(_ text: String, field: String, limit: Int) throws -> String {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ServeError.unprocessable("field '\(field)' is empty; give a text")
        }
        guard text.count <= limit else {
            throw ServeError(413, "field '\(field)' has \(text.count) characters; the limit is \(limit) (lab serve --max-text)")
        }
        return text
    }

    /// A non-empty list of at most `count` texts, each at most `limit` characters.
    func texts(_ key: String, count: Int, limit: Int) throws -> [String] {
        guard let value = value(key) else { throw ServeError.badRequest("missing field '\(key)' (a list of strings)") }
        guard let list = value as? [Any], let texts = list as? [String], texts.count == list.count else {
            throw ServeError.badRequest("field '\(key)' must be a list of strings")
        }
        guard !texts.isEmpty else { throw ServeError.unprocessable("field '\(key)' is an empty list; give at least one") }
        guard texts.count <= count else {
            throw ServeError(413, "field '\(key)' has \(texts.count) entries; the limit is \(count) (lab serve --max-labels)")
        }
        return try texts.enumerated().map { try Self.checked($1, field: "\(key)[\($0)]", limit: limit) }
    }
}
