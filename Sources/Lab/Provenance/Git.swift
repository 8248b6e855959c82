internal import CGit2
import Foundation

/// Where the code of a run came from: the git state of the working tree it ran in.
///
/// Recorded with every run so that a result can be traced to the exact source, including
/// changes that were never committed (``patch``).
package struct GitInfo: Codable, Sendable, Equatable {
    /// The full 40-hex-digit id of the commit HEAD points at; nil in a repository with no
    /// commits yet.
    package var commit: String?
    /// The short name of the checked-out branch (`main`, `feature/x`); nil when HEAD is
    /// detached. In a repository with no commits it is the branch the first commit will
    /// create.
    package var branch: String?
    /// True when HEAD points directly at a commit rather than at a branch.
    package var isDetached: Bool
    /// The URL of the remote named `origin`, else of the first remote by name, else nil.
    package var remote: String?
    /// True when `git status --porcelain` would print anything: modified, staged, deleted
    /// or untracked files (ignored files do not count).
    package var isDirty: Bool
    /// Every uncommitted change as one unified diff against HEAD (against the empty tree
    /// when there are no commits): staged and unstaged changes of tracked files, after a
    /// listing of the untracked files by size, SHA-256 and path (their content is not stored:
    /// `#\t<bytes>\t<sha256>\t<path>` lines, which `git apply` skips). Binary files appear as
    /// `Binary files a/x and b/x differ`. Bytes that are not UTF-8 are replaced by U+FFFD. At
    /// most ``Git/patchLimit`` bytes: a longer patch is cut at a line end and ends with a
    /// line giving the full patch's size and SHA-256. Empty when ``isDirty`` is false, and
    /// also when the only change is a file that was staged and then deleted from the working
    /// tree (HEAD and the working tree agree about it).
    package var patch: String
    /// The top-level directory of the working tree, without a trailing slash (for a bare
    /// repository, its git directory).
    package var root: String

    /// Creates a record from its parts; ``Git/inspect(path:)`` makes one from a repository.
    package init(
        commit: String?, branch: String?, isDetached: Bool, remote: String?,
        isDirty: Bool, patch: String, root: String
    ) {
        self.commit = commit
        self.branch = branch
        self.isDetached = isDetached
        self.remote = remote
        self.isDirty = isDirty
        self.patch = patch
        self.root = root
    }
}

extension GitInfo {
    /// What a run says about its provenance when it records no commit, or nil when it does:
    /// outside any repository, or in a repository whose branch has no commits yet (the run
    /// records the branch, the dirty flag and the patch against the empty tree).
    package static func note(for git: GitInfo?) -> String? {
        guard let git else { return "not inside a git repository: no commit recorded" }
        guard git.commit == nil else { return nil }
        return "a git repository with no commits yet: no commit recorded (commit the experiment to record where it came from)"
    }
}

/// Reads git provenance with libgit2, in process: no `git` executable is needed or run.
package enum Git {
    /// Opens the repository containing `path`, searching upwards as git does (without
    /// crossing a filesystem boundary), and reads its provenance.
    ///
    /// - Parameters:
    ///   - path: a directory (or file) inside the working tree.
    ///   - excluded: folders (absolute paths) whose changes are not the researcher's edits
    ///     but Lab's own output, such as the project's `reports/`: they neither make the
    ///     tree dirty nor appear in the patch, so a run right after a run of a clean commit
    ///     is clean.
    /// - Returns: the repository's state, or nil when `path` is not inside a git repository.
    /// - Throws: ``ProvenanceError/git(operation:message:)`` naming the libgit2 error when the
    ///   repository exists but cannot be read (corrupt, or owned by another user).
    package static func inspect(path: String, excluding excluded: [String] = []) throws -> GitInfo? {
        try ensureInitialized()
        var repo: OpaquePointer?
        let opened = git_repository_open_ext(&repo, path, 0, nil)
        if opened == GIT_ENOTFOUND.rawValue {
            git_error_clear()
            return nil
        }
        try check(opened, "open the repository at '\(path)'")
        defer { git_repository_free(repo) }

        let head = try readHead(repo)
        defer { git_tree_free(head.tree) }

        let root: String
        let isDirty: Bool
        let patch: String
        if let workdir = git_repository_workdir(repo) {
            root = trimmingTrailingSlash(String(cString: workdir))
            let ignored = PathFilter(root: root, excluded: excluded)
            isDirty = try hasChanges(repo, root: root, ignored: ignored)
            patch = isDirty ? try uncommittedPatch(repo, tree: head.tree, root: root, ignored: ignored) : ""
        } else {
            root = trimmingTrailingSlash(String(cString: git_repository_path(repo)))
            isDirty = false  // a bare repository has no working tree to change
            patch = ""
        }

        return GitInfo(
            commit: head.commit, branch: head.branch, isDetached: head.isDetached,
            remote: try remoteURL(repo), isDirty: isDirty, patch: patch, root: root)
    }

    // MARK: - HEAD

    /// What HEAD points at. `tree` is the HEAD commit's tree (nil when unborn); the caller frees it.
    private struct Head {
        var commit: String?
        var branch: String?
        var isDetached: Bool
        var tree: OpaquePointer?
    }

    private static func readHead(_ repo: OpaquePointer?) throws -> Head {
        let unborn = try check(git_repository_head_unborn(repo), "read HEAD")
        if unborn == 1 {
            return Head(commit: nil, branch: try unbornBranch(repo), isDetached: false, tree: nil)
        }
        let detached = try check(git_repository_head_detached(repo), "read HEAD") == 1

        var reference: OpaquePointer?
        try check(git_repository_head(&reference, repo), "resolve HEAD")
        defer { git_reference_free(reference) }

        // Name the id HEAD's branch holds before reading it, so a missing object is named.
        let name = git_reference_name(reference).map { String(cString: $0) } ?? "HEAD"
        let target = git_reference_target(reference).map(hex) ?? "?"
        var object: OpaquePointer?
        try check(
            git_reference_peel(&object, reference, GIT_OBJECT_COMMIT),
            "read commit \(target), which \(name) points at")
        defer { git_object_free(object) }
        let commit = hex(git_object_id(object))

        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, object), "read the tree of commit \(commit)")

        var branch: String?
        if !detached, let shorthand = git_reference_shorthand(reference) {
            branch = String(cString: shorthand)
        }
        return Head(commit: commit, branch: branch, isDetached: detached, tree: tree)
    }

    /// The full 40-hex-digit form of an object id.
    private static func hex(_ id: UnsafePointer<git_oid>?) -> String {
        var buffer = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ) + 1)
        git_oid_tostr(&buffer, buffer.count, id)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The branch an unborn HEAD names (`ref: refs/heads/main` → `main`).
    private static func unbornBranch(_ repo: OpaquePointer?) throws -> String? {
        var reference: OpaquePointer?
        try check(git_reference_lookup(&reference, repo, "HEAD"), "read HEAD")
        defer { git_reference_free(reference) }
        guard let target = git_reference_symbolic_target(reference) else { return nil }
        let name = String(cString: target)
        let prefix = "refs/heads/"
        return name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : name
    }

    // MARK: - Remote

    private static func remoteURL(_ repo: OpaquePointer?) throws -> String? {
        var names = git_strarray()
        try check(git_remote_list(&names, repo), "list the remotes")
        defer { git_strarray_dispose(&names) }
        let all = (0..<names.count).compactMap { names.strings[$0].map { String(cString: $0) } }
        guard let chosen = all.contains("origin") ? "origin" : all.sorted().first else { return nil }

        var remote: OpaquePointer?
        try check(git_remote_lookup(&remote, repo, chosen), "read the remote '\(chosen)'")
        defer { git_remote_free(remote) }
        return git_remote_url(remote).map { String(cString: $0) }
    }

    // MARK: - Working tree

    /// Whether `git status --porcelain` would print anything.
    private static func hasChanges(_ repo: OpaquePointer?, root: String, ignored: PathFilter) throws -> Bool {
        var options = git_status_options()
        try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "prepare a status")
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue
            | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue

        var list: OpaquePointer?
        try check(git_status_list_new(&list, repo, &options), "read the status of '\(root)'")
        defer { git_status_list_free(list) }
        for index in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, index) else { continue }
            let deltas = [entry.pointee.head_to_index, entry.pointee.index_to_workdir].compactMap { $0 }
            let paths = deltas.flatMap { [$0.pointee.old_file.path, $0.pointee.new_file.path] }.compactMap { $0 }.map { String(cString: $0) }
            if paths.isEmpty || !paths.allSatisfy(ignored.contains) { return true }
        }
        return false
    }

    /// Staged and unstaged changes against `tree` (the empty tree when nil), printed as one
    /// unified diff after the listing of untracked files, capped at ``patchLimit``.
    private static func uncommittedPatch(_ repo: OpaquePointer?, tree: OpaquePointer?, root: String,
                                         ignored: PathFilter) throws -> String {
        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "prepare a diff")
        // Tracked files only: untracked ones are listed by name, size and hash (their
        // content, a 187 MB CSV say, went into every run's record).

        var diff: OpaquePointer?
        try check(
            git_diff_tree_to_workdir_with_index(&diff, repo, tree, &options),
            "diff the working tree of '\(root)' against HEAD")
        defer { git_diff_free(diff) }

        let sink = PatchSink(ignored: ignored)
        let printed = withExtendedLifetime(sink) {
            git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, { delta, _, line, payload in
                guard let line, let payload else { return 0 }
                let sink = Unmanaged<PatchSink>.fromOpaque(payload).takeUnretainedValue()
                let path = delta?.pointee.new_file.path ?? delta?.pointee.old_file.path
                if let path, sink.ignored.contains(String(cString: path)) { return 0 }
                sink.append(line.pointee)
                return 0
            }, Unmanaged.passUnretained(sink).toOpaque())
        }
        try check(printed, "print the diff of '\(root)'")
        let untracked = try untrackedListing(repo, root: root, ignored: ignored)
        return String(decoding: capped(Array(untracked.utf8) + sink.bytes), as: UTF8.self)
    }

    /// The full commit id that `revision` (a branch, tag, `HEAD~2`, a short hash …) names in
    /// the repository containing `path`.
    /// - Throws: ``ProvenanceError/git(operation:message:)`` when there is no repository or the
    ///   revision does not name a commit.
    package static func resolve(_ revision: String, at path: String) throws -> String {
        try ensureInitialized()
        var repo: OpaquePointer?
        try check(git_repository_open_ext(&repo, path, 0, nil), "open the repository at '\(path)'")
        defer { git_repository_free(repo) }
        var object: OpaquePointer?
        try check(git_revparse_single(&object, repo, revision), "resolve the revision '\(revision)'")
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        try check(git_object_peel(&commit, object, GIT_OBJECT_COMMIT), "resolve '\(revision)' to a commit")
        defer { git_object_free(commit) }
        guard let oid = git_object_id(commit) else { throw ProvenanceError.git(operation: "read '\(revision)'", message: "no object id") }
        var buffer = [CChar](repeating: 0, count: 41)
        git_oid_tostr(&buffer, 41, oid)
        return String(cString: buffer)
    }

    // MARK: - libgit2 plumbing

    /// `git_libgit2_init` runs once, on first use, however many threads ask at once
    /// (a global's initializer is run exactly once). libgit2 is never shut down: its
    /// global state lives as long as the process.
    private static let initStatus: Int32 = git_libgit2_init()

    static func ensureInitialized() throws {
        try check(initStatus, "initialize libgit2")
    }

    /// Returns `status` when it is not negative; otherwise throws the thread's last libgit2 error.
    @discardableResult
    static func check(_ status: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
        guard status < 0 else { return status }
        var message = "error \(status)"
        if let error = git_error_last(), let text = error.pointee.message {
            message = String(cString: text)
        }
        git_error_clear()
        throw ProvenanceError.git(operation: operation(), message: message)
    }

    private static func trimmingTrailingSlash(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }
}

/// Collects the lines `git_diff_print` hands its callback, as bytes.
private final class PatchSink {
    private(set) var bytes: [UInt8] = []
    /// Files whose lines are left out (Lab's own output).
    let ignored: PathFilter

    init(ignored: PathFilter) { self.ignored = ignored }

    /// Content, addition and deletion lines arrive without their leading ` `, `+` or `-`;
    /// headers, hunk headers, binary notices and "\ No newline at end of file" arrive whole.
    func append(_ line: git_diff_line) {
        let origin = UInt8(bitPattern: line.origin)
        switch origin {
        case UInt8(ascii: " "), UInt8(ascii: "+"), UInt8(ascii: "-"):
            bytes.append(origin)
        default:
            break
        }
        if let content = line.content, line.content_len > 0 {
            content.withMemoryRebound(to: UInt8.self, capacity: line.content_len) {
                bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: line.content_len))
            }
        }
    }
}

/// Paths (relative to the working tree's top level, as libgit2 gives them) under folders
/// whose changes are Lab's own output, not the researcher's edits.
struct PathFilter {
    /// Folder prefixes relative to the top level, each ending in `/`.
    let prefixes: [String]

    /// - Parameters:
    ///   - root: the working tree's top level, without a trailing slash.
    ///   - excluded: absolute folder paths; those outside `root` are dropped.
    init(root: String, excluded: [String]) {
        let top = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
        prefixes = excluded.compactMap { folder in
            let path = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath().path
            guard path.hasPrefix(top + "/") else { return nil }
            return String(path.dropFirst(top.count + 1)) + "/"
        }
    }

    /// True when `path` lies under one of the folders.
    func contains(_ path: String) -> Bool { prefixes.contains { path.hasPrefix($0) } }
}
