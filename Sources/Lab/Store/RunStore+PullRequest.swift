import Foundation
import GRDB

/// A recorded run, and how its code differs from one commit's: what `lab pr-report` uses
/// to decide which runs stand for the base commit and for HEAD.
public struct RunCodeMatch: Sendable {
    /// The run.
    public var run: RunRecord
    /// Files outside the ignored folder (normally `reports/`) whose content differs between
    /// the code the run ran (its commit plus its uncommitted changes) and the commit's.
    public var differences: [String]
    /// True when the run's commit is not in the repository any more, so its code is unknown.
    public var commitMissing: Bool

    /// True when the run ran exactly the commit's code, outside the ignored folder.
    public var standsForCommit: Bool { !commitMissing && differences.isEmpty }
}

extension RunStore {
    /// Every metric a recorded full (not smoke) run has, as `step/name`, sorted.
    ///
    /// - Throws: A database error when the store cannot be read.
    public func metricKeys() throws -> [String] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT DISTINCT s.step, s.name FROM summaries s JOIN runs r ON r.id = s.run_id
                WHERE r.smoke = 0 ORDER BY s.step, s.name
                """).map { "\($0[0] as String)/\($0[1] as String)" }
        }
    }

    /// Every full (not smoke) run recorded at a commit, newest first, with how its code
    /// differs from `commit`'s.
    ///
    /// A run stands for `commit` when the two trees are equal outside `ignoredFolder` and the
    /// run's uncommitted changes (its `git_patch`) touch nothing outside it either: a run
    /// made at C stands for the commit that adds its reports on top of C.
    ///
    /// - Parameters:
    ///   - commit: The full id of the commit whose code is wanted.
    ///   - repository: A path inside the git repository.
    ///   - ignoredFolder: A folder relative to the repository's top level, ending in `/`
    ///     (`reports/`), whose changes do not count.
    /// - Throws: A database error, or ``ProvenanceError/git(operation:message:)`` when the
    ///   repository cannot be read.
    public func codeMatches(for commit: String, repository: String, ignoring ignoredFolder: String) throws -> [RunCodeMatch] {
        var treeChanges: [String: [String]?] = [:]
        var matches: [RunCodeMatch] = []
        for run in try runs() where !run.smoke {
            guard let runCommit = run.gitCommit else { continue }
            let known: [String]?
            if let cached = treeChanges[runCommit] {
                known = cached
            } else {
                known = try Git.changedPaths(from: runCommit, to: commit, at: repository)
                treeChanges[runCommit] = .some(known)  // `.some`: a nil (missing commit) is remembered too
            }
            guard let changed = known else {
                matches.append(RunCodeMatch(run: run, differences: [], commitMissing: true))
                continue
            }
            // `runs()` leaves patches out (a listing must not load them, D16): read this one's.
            var uncommitted: [String] = []
            if run.gitDirty == true {
                let patch = try self.run(id: run.id).gitPatch ?? ""
                // Dirty with no recorded patch: what it ran is unknown, so it stands for no commit.
                uncommitted = patch.isEmpty ? ["(uncommitted changes, not recorded)"] : Self.patchedPaths(patch)
            }
            var differences: [String] = []
            for path in changed + uncommitted where !path.hasPrefix(ignoredFolder) && !differences.contains(path) {
                differences.append(path)
            }
            matches.append(RunCodeMatch(run: run, differences: differences, commitMissing: false))
        }
        return matches
    }

    /// The files a run's uncommitted patch (as ``GitInfo/patch``) touches: the untracked files
    /// it lists (`#\t<bytes>\t<sha256>\t<path>` lines) and the files of its `diff --git a/P b/P`
    /// lines. A header that cannot be read that way (a rename, a quoted name) is returned
    /// whole, and a patch cut at the size limit adds its cut line, so neither passes for a
    /// file under the ignored folder.
    static func patchedPaths(_ patch: String) -> [String] {
        let marker = "diff --git "
        var paths: [String] = []
        for line in patch.split(separator: "\n", omittingEmptySubsequences: true) where line.hasPrefix("#") {
            if line.hasPrefix("# patch cut at ") { paths.append(String(line)); continue }
            let fields = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count == 4, fields[0] == "#" else { continue }
            paths.append(unescapeListedPath(fields[3]))
        }
        for line in patch.split(separator: "\n", omittingEmptySubsequences: true) where line.hasPrefix(marker) {
            let rest = Array(line.dropFirst(marker.count))
            let length = (rest.count - 5) / 2
            if rest.count > 5, (rest.count - 5) % 2 == 0 {
                let a = String(rest[2..<(2 + length)]), b = String(rest[(5 + length)...])
                if String(rest[0..<2]) == "a/", String(rest[(2 + length)..<(5 + length)]) == " b/", a == b {
                    paths.append(a)
                    continue
                }
            }
            paths.append(String(rest))
        }
        return paths
    }

    /// Undoes the listing's escapes (`\\` for a backslash, `\n` for a line break).
    static func unescapeListedPath(_ shown: Substring) -> String {
        var path = "", escaped = false
        for c in shown {
            if escaped { path.append(c == "n" ? "\n" : c); escaped = false } else if c == "\\" { escaped = true } else { path.append(c) }
        }
        return path
    }
}
