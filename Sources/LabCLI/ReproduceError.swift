import Foundation

/// Why `lab reproduce` could not make a run again (exit 2). The wording of every message
/// lives here; each says what failed, the offending value, and what to do next.
enum ReproduceError: Error, CustomStringConvertible, Equatable {
    /// The results file cannot be read or is not a `results.json`.
    case badResults(path: String, reason: String)
    /// The results file and the store's record of its run disagree about a field.
    case resultsDisagree(path: String, runId: String, field: String, file: String, store: String)
    /// The run did not succeed: its metrics are partial.
    case notSucceeded(runId: String, status: String)
    /// The run recorded no commit.
    case noCommit(runId: String)
    /// The run was dirty and its changes cannot be applied again.
    case patchUnavailable(runId: String, reason: String)
    /// The experiment file of the run is not in the recorded tree.
    case experimentFileNotFound(runId: String, detail: String)
    /// A config value that `--set` cannot pass unchanged.
    case configNotPassable(key: String, value: String, reason: String)
    /// The recorded tree's experiment file does not compile with this `lab`.
    case compileFailed(file: String)
    /// The experiment process ended without recording a run.
    case runDidNotStart(status: Int32, output: String)
    /// The new run was recorded with another config than the one given.
    case configDiffers(recorded: String, reproduced: String)

    var description: String {
        switch self {
        case let .badResults(path, reason):
            return "cannot reproduce from '\(path)': \(reason). Give a run id (lab ls lists them) or a results.json that lab report wrote."
        case let .resultsDisagree(path, runId, field, file, store):
            return "'\(path)' says run \(runId) had \(field) \(file), but the run store records \(store): "
                + "the file was edited or belongs to another store. Reproduce the run by its id (lab reproduce \(runId)) "
                + "or restore the file."
        case let .notSucceeded(runId, status):
            return "run \(runId) \(status): only a succeeded run has every metric to compare. Reproduce a succeeded run (lab ls)."
        case let .noCommit(runId):
            return "run \(runId) recorded no commit (it ran outside a git repository, or before the first commit), "
                + "so its code cannot be checked out again. Commit the experiment and run it again."
        case let .patchUnavailable(runId, reason):
            return "run \(runId) had uncommitted changes, and \(reason), so its code cannot be rebuilt. "
                + "Commit the changes before the runs you mean to reproduce."
        case let .experimentFileNotFound(runId, detail):
            return "the experiment file of run \(runId) is not in the recorded tree: \(detail). "
                + "Name it with --file PATH (relative to the repository's top)."
        case let .configNotPassable(key, value, reason):
            return "the recorded config field '\(key)' = \(value) cannot be given to the experiment through --set: \(reason)."
        case let .compileFailed(file):
            return "the experiment file \(file) of the recorded commit does not compile with the current Lab (swiftc's errors are above): "
                + "Lab's API changed since the run. Reproduce it with the Lab version of that time."
        case let .runDidNotStart(status, output):
            let tail = output.split(separator: "\n").suffix(5).joined(separator: "\n")
            return "the experiment exited with status \(status) without recording a run:\n\(tail)"
        case let .configDiffers(recorded, reproduced):
            return "the reproduction ran with config \(reproduced), not the recorded \(recorded): a field's default or type changed "
                + "in a way --set cannot undo."
        }
    }
}
