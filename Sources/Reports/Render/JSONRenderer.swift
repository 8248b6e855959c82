import Foundation

/// Renders a run as JSON: the small `results.json` that a pull request diffs, and the whole
/// document for tools.
///
/// Both use sorted keys, two-space pretty printing, ISO-8601 dates and a trailing newline,
/// so the same run always gives the same bytes. Non-finite numbers are written as the
/// strings "NaN", "Infinity" and "-Infinity".
public enum JSONRenderer {
    /// The summary for `results.json`, the record a pull request diffs and `lab status`
    /// and `lab pr-report` read from git: see ``ResultsFile``.
    /// - Parameter doc: The run document.
    /// - Returns: The JSON text, ending in a newline.
    public static func results(_ doc: ReportDocument) -> String {
        encode(ResultsFile(doc))
    }

    /// The whole document as JSON, in the shape of its `Codable` conformance.
    /// - Parameter doc: The run document.
    /// - Returns: The JSON text, ending in a newline.
    public static func document(_ doc: ReportDocument) -> String {
        encode(doc)
    }

    static func encode(_ value: some Encodable) -> String {
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

