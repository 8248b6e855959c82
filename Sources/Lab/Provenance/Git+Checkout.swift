internal import CGit2
import Foundation

/// The recorded tree of a past run, for `lab reproduce`: a temporary copy of the repository
/// at the run's commit with its uncommitted patch applied, made with libgit2 alone.
///
/// The copy is a new repository whose object database borrows the original's (an
/// `objects/info/alternates` line, as `git clone --shared` writes), so it costs no copying of
/// history, finds a commit that no branch reaches any more, and writes nothing into the
/// original: no branch, no worktree entry, no ref, no object, no config.
extension Git {
    /// Makes a working tree of `commit` from the repository containing `repository`, in the
    /// new folder `destination`, with HEAD detached at the commit and a clean status.
    ///
    /// - Parameters:
    ///   - commit: the full 40-hex-digit commit id.
    ///   - repository: a folder inside the original repository's working tree.
    ///   - destination: a folder that does not exist yet; created.
    /// - Throws: ``ProvenanceError/git(operation:message:)`` when the original cannot be
    ///   opened, does not hold the commit (a run recorded at a commit since removed), or the
    ///   copy cannot be written.
    package static func checkout(commit: String, from repository: String, into destination: String) throws {
        try checkoutCheck(checkoutInitStatus, "initialize libgit2")
        var original: OpaquePointer?
        try checkoutCheck(git_repository_open_ext(&original, repository, 0, nil), "open the repository at '\(repository)'")
        defer { git_repository_free(original) }
        // The common folder holds the objects, also for a linked worktree (.git is then a file).
        guard let common = git_repository_commondir(original) else {
            throw ProvenanceError.git(operation: "find the object folder of '\(repository)'", message: "libgit2 returned none")
        }
        let objects = URL(fileURLWithPath: String(cString: common)).appendingPathComponent("objects").standardizedFileURL.path

        var oid = git_oid()
        guard commit.count == Int(GIT_OID_HEXSZ), git_oid_fromstr(&oid, commit) == 0 else {
            git_error_clear()
            throw ProvenanceError.git(operation: "read the commit '\(commit)'", message: "not a full 40-hex-digit commit id")
        }
        var found: OpaquePointer?
        try checkoutCheck(git_commit_lookup(&found, original, &oid),
                          "find commit \(commit) in the repository at '\(repository)' (rewritten and collected since the run?)")
        git_commit_free(found)

        var copy: OpaquePointer?
        try checkoutCheck(git_repository_init(&copy, destination, 0), "create a repository at '\(destination)'")
        guard let gitFolder = git_repository_path(copy).map({ String(cString: $0) }) else {
            git_repository_free(copy)
            throw ProvenanceError.git(operation: "find the git folder of '\(destination)'", message: "libgit2 returned none")
        }
        git_repository_free(copy)
        let alternates = URL(fileURLWithPath: gitFolder).appendingPathComponent("objects/info/alternates")
        do {
            try FileManager.default.createDirectory(at: alternates.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data((objects + "\n").utf8).write(to: alternates)
        } catch {
            throw ProvenanceError.git(operation: "borrow the objects of '\(repository)' in '\(destination)'", message: "\(error)")
        }

        // Reopened, so that its object database reads the alternates file just written.
        try checkoutCheck(git_repository_open(&copy, destination), "open the repository at '\(destination)'")
        defer { git_repository_free(copy) }
        var object: OpaquePointer?
        try checkoutCheck(git_object_lookup(&object, copy, &oid, GIT_OBJECT_COMMIT), "read commit \(commit) in '\(destination)'")
        defer { git_object_free(object) }
        var options = git_checkout_options()
        try checkoutCheck(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)), "prepare a checkout")
        options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue
        try checkoutCheck(git_checkout_tree(copy, object, &options), "check out commit \(commit) into '\(destination)'")
        try checkoutCheck(git_repository_set_head_detached(copy, &oid), "detach HEAD at \(commit) in '\(destination)'")
    }

    /// Applies a unified diff (as ``GitInfo/patch`` records it, without its `#` lines) to the
    /// working tree and the index of the repository at `repository`, so that the copy's own
    /// patch against HEAD is the recorded one (a file that was staged as new stays tracked).
    ///
    /// - Throws: ``ProvenanceError/git(operation:message:)`` when the text is not a diff
    ///   libgit2 can read, or a hunk does not apply to the checked-out files.
    package static func apply(patch: String, to repository: String) throws {
        try checkoutCheck(checkoutInitStatus, "initialize libgit2")
        guard !patch.isEmpty else { return }
        var repo: OpaquePointer?
        try checkoutCheck(git_repository_open(&repo, repository), "open the repository at '\(repository)'")
        defer { git_repository_free(repo) }
        var diff: OpaquePointer?
        let bytes = Array(patch.utf8)
        try bytes.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) {
                try checkoutCheck(git_diff_from_buffer(&diff, $0.baseAddress, $0.count), "read the recorded patch")
            }
        }
        defer { git_diff_free(diff) }
        try checkoutCheck(git_apply(repo, diff, GIT_APPLY_LOCATION_BOTH, nil),
                          "apply the recorded patch in '\(repository)'")
    }

    /// libgit2's reference-counted initialization, once for this file's functions.
    private static let checkoutInitStatus: Int32 = git_libgit2_init()

    /// Returns `status` when it is not negative; otherwise throws the thread's last libgit2 error.
    @discardableResult
    private static func checkoutCheck(_ status: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
        guard status < 0 else { return status }
        var message = "error \(status)"
        if let error = git_error_last(), let text = error.pointee.message { message = String(cString: text) }
        git_error_clear()
        throw ProvenanceError.git(operation: operation(), message: message)
    }
}

/// A run's recorded patch (``GitInfo/patch``) taken apart: the diff of tracked files that can
/// be applied again, and what cannot be (untracked files, which are only listed; a patch cut
/// at ``Git/patchLimit``; binary files, whose content a text patch lacks).
package struct RecordedPatch: Sendable, Equatable {
    /// An untracked file of the run, as its listing line names it.
    package struct UntrackedFile: Sendable, Equatable {
        /// The path relative to the repository's top.
        package var path: String
        /// Its size in bytes, or nil when the run could not read it.
        package var bytes: Int64?
        /// Its SHA-256 (hex), or the reason it could not be read.
        package var sha256: String
    }

    /// The diff of tracked files, from the first `diff --git` line; "" when there is none.
    package var diff: String
    /// The untracked files the run listed, in the listing's order.
    package var untracked: [UntrackedFile]
    /// The line saying where the patch was cut and the full patch's size and hash, when it was.
    package var cut: String?
    /// The files the diff shows only as `Binary files a/X and b/X differ`.
    package var binaryFiles: [String]

    /// Splits `patch` as the runner writes it: the untracked listing (`#` lines before the
    /// first `diff --git`), the diff, and a final `# patch cut at …` line.
    package init(_ patch: String) {
        var diffLines: [Substring] = []
        untracked = []
        cut = nil
        binaryFiles = []
        var inDiff = false
        for line in patch.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# patch cut at ") { cut = String(line); continue }
            if !inDiff && line.hasPrefix("diff --git ") { inDiff = true }
            if inDiff {
                diffLines.append(line)
                if line.hasPrefix("Binary files "), line.hasSuffix(" differ") {
                    // "Binary files a/x and b/x differ" (or /dev/null on one side)
                    let middle = line.dropFirst("Binary files ".count).dropLast(" differ".count)
                    let sides = middle.components(separatedBy: " and ")
                    let named = sides.last.map { $0.hasPrefix("b/") ? String($0.dropFirst(2)) : $0 } ?? String(middle)
                    binaryFiles.append(named == "/dev/null" ? String(sides.first?.dropFirst(2) ?? "") : named)
                }
                continue
            }
            let fields = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count == 4, fields[0] == "#" else { continue }
            untracked.append(UntrackedFile(path: Self.unescape(fields[3]), bytes: Int64(fields[1]),
                                           sha256: String(fields[2])))
        }
        diff = diffLines.joined(separator: "\n")
    }

    /// Undoes the listing's escapes (`\\` for a backslash, `\n` for a line break; see
    /// ``Git/untrackedListing(_:root:ignored:)``).
    static func unescape(_ shown: Substring) -> String {
        var path = "", escaped = false
        for c in shown {
            if escaped { path.append(c == "n" ? "\n" : c); escaped = false } else if c == "\\" { escaped = true } else { path.append(c) }
        }
        return path
    }
}
