import Foundation

/// What can go wrong in the Reports module. Each message says what failed, the offending
/// value and what to do next; the wording lives here only.
public enum ReportsError: Error, Equatable, CustomStringConvertible {
    /// A report file or folder could not be written.
    case cannotWrite(path: String, reason: String)
    /// A stale figure from an earlier run could not be removed.
    case cannotRemoveStaleFigure(path: String, reason: String)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case .cannotWrite(let path, let reason):
            return "Cannot write the report file '\(path)': \(reason). Check that the reports folder exists and is writable."
        case .cannotRemoveStaleFigure(let path, let reason):
            return "Cannot remove the stale figure '\(path)' from an earlier run: \(reason). Delete it by hand or fix the folder's permissions."
        }
    }
}
