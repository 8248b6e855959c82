import Foundation

/// How Lab writes NaN and infinities into its JSON files (`recording.json` and `output.json`
/// in cache entries, a step's report items in the store).
///
/// JSON has no NaN or infinity, and Foundation's coders refuse them by default: a step that
/// logged a NaN loss ran to its end and then failed on encoding, its output thrown away.
/// Lab writes them as the strings `"nan"`, `"inf"` and `"-inf"` wherever a `Double` or
/// `Float` is expected, and reads those strings back as the same values, so a diverged
/// step is cached and reported like any other. In SQLite a NaN is NULL (read back as NaN)
/// and an infinity is SQLite's own infinite REAL.
package enum NonFinite {
    /// The strings that stand for the non-finite values: `nan`, `inf`, `-inf`.
    package static let nan = "nan", infinity = "inf", negativeInfinity = "-inf"

    /// A JSON encoder (sorted keys) that writes non-finite numbers as ``nan``, ``infinity``
    /// and ``negativeInfinity``.
    package static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: infinity, negativeInfinity: negativeInfinity, nan: nan)
        return encoder
    }

    /// A JSON decoder that reads what ``encoder()`` writes.
    package static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: infinity, negativeInfinity: negativeInfinity, nan: nan)
        return decoder
    }
}
