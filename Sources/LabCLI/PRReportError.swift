import Foundation

/// What `lab pr-report` cannot do before it gets to a verdict (exit status 2). Each message
/// says what failed, the offending value and what to do next; the wording lives here only.
enum PRReportError: Error, Equatable, CustomStringConvertible {
    /// The project folder is not inside a git repository.
    case noRepository(path: String)
    /// The repository has no commit yet.
    case noCommits(path: String)
    /// `--base` names nothing in the repository.
    case noSuchRevision(String)
    /// `--out`'s folder does not exist.
    case outFolderMissing(path: String, folder: String)
    /// `--out` is a folder.
    case outIsFolder(path: String)
    /// `--out` (or its folder) cannot be written by this user.
    case outNotWritable(path: String, folder: String)
    /// Writing `--out` failed for another reason.
    case cannotWriteOut(path: String, reason: String)
    /// HEAD's step keys could not be computed for these experiment files (each with its reason).
    case cannotComputeKeys([String])

    /// The message shown to the user.
    var description: String {
        switch self {
        case .noRepository(let path):
            return "'\(path)' is not inside a git repository; lab pr-report compares the reports committed at two commits. "
                + "Run it in the project's repository."
        case .noCommits(let path):
            return "the repository at '\(path)' has no commits yet; lab pr-report compares the runs of two commits. "
                + "Commit the experiments and their runs' reports first."
        case .noSuchRevision(let revision):
            return "no revision '\(revision)' in this repository. "
                + "Give --base a branch, tag or commit that `git rev-parse --verify` accepts, e.g. --base main."
        case let .outFolderMissing(path, folder):
            return "cannot write --out '\(path)': the folder '\(folder)' does not exist. Create it, or give another path."
        case .outIsFolder(let path):
            return "cannot write --out '\(path)': it is a folder. Give a file path, e.g. --out \((path as NSString).appendingPathComponent("pr.md"))."
        case let .outNotWritable(path, folder):
            return "cannot write --out '\(path)': no permission to write in '\(folder)'. Give a path you can write."
        case .cannotComputeKeys(let failures):
            return "cannot tell whether HEAD's reports are current: " + failures.joined(separator: "; ")
                + ". Fix the experiment so that it compiles (lab build FILE), then run lab pr-report again."
        case let .cannotWriteOut(path, reason):
            return "cannot write --out '\(path)': \(reason). Check the path and the free disk space."
        }
    }
}
