import Foundation

/// Every error the `Multimodal` module reports. The wording lives here.
public enum MultimodalError: Error, Equatable, CustomStringConvertible {
    /// A data file is missing; `hint` says how to get it (usually the Debian package).
    case missingFile(path: String, hint: String?)
    case corruptFile(path: String, reason: String)
    case badArgument(String)

    /// The message shown to the user, naming what to fix.
    public var description: String {
        switch self {
        case .missingFile(let path, let hint):
            return "cannot read '\(path)'" + (hint.map { ": \($0)" } ?? "")
        case .corruptFile(let path, let reason):
            return "'\(path)' is damaged: \(reason)"
        case .badArgument(let message):
            return message
        }
    }
}
