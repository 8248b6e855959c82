import Foundation

/// The project folder: where `.lab/` (run store, cache, compiled binaries) and `reports/` live.
///
/// Found as git finds a repository: `LAB_ROOT` when set; otherwise, walking up from a start
/// folder, the first folder holding `.git` (a folder, or the file a worktree or submodule
/// has); outside any repository, the start folder itself. So a run from a subfolder of a
/// repository uses the repository's `.lab/` and `reports/`, not a second set of its own.
///
/// `lab run FILE` and `lab build FILE` start from the experiment file's folder (so a run
/// from outside the repository still lands in it), and, when that file is in no repository,
/// search from the current directory; every other command (and an experiment binary
/// started by hand) searches from the current directory.
package enum ProjectRoot {
    /// The project folder for commands without an experiment file.
    ///
    /// - Parameters:
    ///   - environment: The process environment; `LAB_ROOT` overrides the search.
    ///   - currentDirectory: Where the search starts.
    package static func find(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> String {
        if let root = environment["LAB_ROOT"], !root.isEmpty { return root }
        return repositoryTop(from: currentDirectory) ?? currentDirectory
    }

    /// The project folder for the experiment file at `file` (relative paths start at
    /// `currentDirectory`): the repository holding it, else ``find(environment:currentDirectory:)``.
    package static func find(
        experimentFile file: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> String {
        if let root = environment["LAB_ROOT"], !root.isEmpty { return root }
        let url = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: currentDirectory, isDirectory: true))
        let folder = url.standardizedFileURL.deletingLastPathComponent().path
        return repositoryTop(from: folder) ?? repositoryTop(from: currentDirectory) ?? currentDirectory
    }

    /// The nearest folder at or above `folder` that holds `.git`, or nil.
    package static func repositoryTop(from folder: String) -> String? {
        var current = URL(fileURLWithPath: folder, isDirectory: true).standardizedFileURL
        while true {
            if FileManager.default.fileExists(atPath: current.appendingPathComponent(".git").path) { return current.path }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path || current.path == "/" { return nil }
            current = parent
        }
    }
}
