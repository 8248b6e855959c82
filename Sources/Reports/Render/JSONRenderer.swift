import Foundation

/// Renders a run as JSON: the small `results.json` that a pull request diffs, and the whole
/// document for tools.
///
/// Both use sorted keys, two-space pretty printing, ISO-8601 dates and a trailing newline,
/// so the same run always gives the same bytes. Non-finite numbers are written as the
/// strings "NaN", "Infinity" and "-Infinity".
public enum JSONRenderer {
    /// The summary for `results.json`: run id, experiment, status, commit, dirty, config
    /// (an object of the config's JSON values), metrics (an object "step/name" → value),
    /// smoke and seed. Absent commit and dirty are `null`, so every file has every key.
    /// - Parameter doc: The run document.
    /// - Returns: The JSON text, ending in a newline.
    public static func results(_ doc: ReportDocument) -> String {
        encode(Results(doc))
    }

    /// The whole document as JSON, in the shape of its `Codable` conformance.
    /// - Parameter doc: The run document.
    /// - Returns: The JSON text, ending in a newline.
    public static func document(_ doc: ReportDocument) -> String {
        encode(doc)
    }

    private static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        // Encoding plain values with every float convertible cannot fail; a failure here is
        // a programming error in this file.
        guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else {
            preconditionFailure("JSONRenderer: a report document failed to encode")
        }
        return text + "\n"
    }
}

/// The shape of `results.json`.
private struct Results: Encodable {
    var runId: String
    var experiment: String
    var status: String
    var commit: String?
    var dirty: Bool?
    var config: [String: JSONValue]
    var metrics: [String: Double]
    var smoke: Bool
    var seed: Int64

    init(_ doc: ReportDocument) {
        runId = doc.run.id; experiment = doc.run.experiment; status = doc.run.status
        commit = doc.run.commit; dirty = doc.run.dirty; smoke = doc.run.smoke; seed = doc.run.seed
        config = Dictionary(doc.config.map { ($0.key, JSONValue(parsing: $0.value)) }, uniquingKeysWith: { _, last in last })
        metrics = Dictionary(doc.metrics.map { ($0.step + "/" + $0.name, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    enum CodingKeys: String, CodingKey { case runId = "run_id", experiment, status, commit, dirty, config, metrics, smoke, seed }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(runId, forKey: .runId)
        try c.encode(experiment, forKey: .experiment)
        try c.encode(status, forKey: .status)
        try c.encode(commit, forKey: .commit)
        try c.encode(dirty, forKey: .dirty)
        try c.encode(config, forKey: .config)
        try c.encode(metrics, forKey: .metrics)
        try c.encode(smoke, forKey: .smoke)
        try c.encode(seed, forKey: .seed)
    }
}

/// A JSON value parsed from a config entry's JSON text, so `results.json` holds `0.001`
/// rather than `"0.001"`. Text that is not JSON is kept as a string.
private enum JSONValue: Codable {
    case null, bool(Bool), int(Int64), double(Double), string(String)
    case array([JSONValue]), object([String: JSONValue])

    init(parsing text: String) {
        self = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text)
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: Encoder) throws {
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
