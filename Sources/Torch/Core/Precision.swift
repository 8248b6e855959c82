import Foundation

/// The arithmetic a model runs in: full `float32`, or mixed precision, where autocast runs
/// matrix products and convolutions in `bfloat16` or `float16` and keeps the rest (losses,
/// normalisations, reductions, the weights themselves) in `float32`, as `torch.autocast` does.
///
/// Written and parsed as "fp32", "bf16" or "fp16" (also "float32", "bfloat16", "float16"),
/// so it can be a field of an experiment's config: `var precision = Precision.float32`, and
/// `lab run FILE --set precision=bf16`.
public enum Precision: String, Codable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case float32 = "fp32"
    case bfloat16 = "bf16"
    case float16 = "fp16"

    /// Parses "fp32", "bf16", "fp16", or the dtype names "float32", "bfloat16", "float16".
    public init?(parsing text: String) {
        switch text.lowercased() {
        case "fp32", "float32": self = .float32
        case "bf16", "bfloat16": self = .bfloat16
        case "fp16", "float16", "half": self = .float16
        default: return nil
        }
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let precision = Precision(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "precision '\(text)' is not one of fp32, bf16, fp16"))
        }
        self = precision
    }

    /// The dtype autocast computes in; nil for `float32` (no autocast).
    public var autocastType: DType? {
        switch self {
        case .float32: return nil
        case .bfloat16: return .bfloat16
        case .float16: return .float16
        }
    }

    /// "fp32", "bf16" or "fp16".
    public var description: String { rawValue }
}
