import Foundation

/// Everything that can go wrong in the run store. The wording of every message lives here,
/// and each says what failed, the offending value, and what to do next.
package enum StoreError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The folder that should hold the database could not be created.
    case cannotCreateFolder(path: String, reason: String)
    /// The database could not be opened or migrated, for a reason other than the two below
    /// (permissions, a missing folder, a lock).
    case cannotOpen(path: String, reason: String)
    /// The database could not be opened or written because the disk is full or failing
    /// (`SQLITE_FULL`, `SQLITE_IOERR`); nothing says the file itself is damaged.
    case diskProblem(path: String, reason: String)
    /// The database failed SQLite's integrity check (or is not a database at all).
    case damaged(path: String, reason: String)
    /// No run's id starts with the given text.
    case noSuchRun(id: String)
    /// Several runs' ids start with the given text.
    case ambiguousRunId(prefix: String, candidates: [String])
    /// A run with this id is already stored.
    case duplicateRun(id: String)
    /// A run's `config` is not a JSON object, so its params cannot be extracted.
    case configNotAJSONObject(runId: String, config: String)
    /// The logger was used after ``MetricLogger/close()``.
    case loggerClosed(runId: String)

    /// How many candidates an ambiguity message lists before summarising the rest.
    static let candidatesShown = 10

    /// The message shown to the user.
    package var description: String {
        switch self {
        case let .cannotCreateFolder(path, reason):
            return "cannot create the run store folder '\(path)': \(reason). "
                + "Check that the parent folder exists and is writable."
        case let .cannotOpen(path, reason):
            return "cannot open the run store '\(path)': \(reason). "
                + "Check that the file and its folder are readable and writable by this user."
        case let .diskProblem(path, reason):
            let folder = (path as NSString).deletingLastPathComponent
            return "cannot use the run store '\(path)': \(reason). The disk holding it is full or failing: "
                + "free space on it (df -h '\(folder.isEmpty ? "." : folder)') and run again. "
                + "Nothing says the store is damaged: keep it, it holds the run history."
        case let .damaged(path, reason):
            return "the run store '\(path)' is damaged: \(reason). "
                + "Move it aside (mv '\(path)' '\(path).damaged') and Lab will start a new one; "
                + "sqlite3's .recover may still read the old runs from it."
        case let .noSuchRun(id):
            return "no run '\(id)'. Run `lab ls` to list the stored runs."
        case let .ambiguousRunId(prefix, candidates):
            let shown = candidates.prefix(Self.candidatesShown).joined(separator: ", ")
            let more = candidates.count > Self.candidatesShown
                ? " and \(candidates.count - Self.candidatesShown) more" : ""
            return "run id '\(prefix)' is ambiguous: it matches \(shown)\(more). "
                + "Give more characters of the id."
        case let .duplicateRun(id):
            return "a run with id '\(id)' is already stored. Give each run a fresh id."
        case let .configNotAJSONObject(runId, config):
            let shown = config.count > 80 ? String(config.prefix(80)) + "…" : config
            return "the config of run '\(runId)' is not a JSON object: \(shown). "
                + "Store the config as a JSON object, e.g. {\"lr\": 0.001}."
        case let .loggerClosed(runId):
            return "the metric logger of run '\(runId)' is closed. "
                + "Log every point before calling close()."
        }
    }
}
