import Foundation

/// Every error the `Multimodal` module reports. The wording lives here.
public enum MultimodalError: Error, Equatable, CustomStringConvertible {
    /// A data file is missing; `hint` says how to get it (usually the Debian package).
    case missingFile(path: String, hint: String?)
    case corruptFile(path: String, reason: String)
    case badArgument(String)
    /// `module` (at `path` in the exported model, "" for the model itself) cannot be written
    /// as ONNX; `reason` says why and what would work.
    case notExportable(module: String, path: String, reason: String)

    /// The message shown to the user, naming what to fix.
    public var description: String {
        switch self {
        case .missingFile(let path, let hint):
            return "cannot read '\(path)'" + (hint.map { ": \($0)" } ?? "")
        case .corruptFile(let path, let reason):
            return "'\(path)' is damaged: \(reason)"
        case .badArgument(let message):
            return message
        case .notExportable(let module, let path, let reason):
            return "cannot export \(module)\(path.isEmpty ? "" : " at '\(path)'") to ONNX: \(reason)"
        }
    }
}
