/// Every error that reading a run's provenance reports. The wording of each message lives here.
package enum ProvenanceError: Error, Equatable, CustomStringConvertible {
    /// A libgit2 call failed while reading the repository.
    ///
    /// - `operation`: what was being done, naming the repository path or reference involved
    ///   (for example `"open the repository at '/src/exp'"`).
    /// - `message`: libgit2's own message from `git_error_last()`.
    case git(operation: String, message: String)

    /// A one-line message: what failed, libgit2's reason, and what to try next.
    package var description: String {
        switch self {
        case .git(let operation, let message):
            return "git: could not \(operation): \(message). "
                + "Run `git status` in that directory to see the problem with the repository."
        }
    }
}
