internal import CGit2

/// Comparing commits' trees, for `lab pr-report`: which runs stand for which commit's code.
extension Git {
    /// The full commit id that `revision` names in the repository containing `path`, or nil
    /// when the repository has no such revision (an unknown branch, tag or hash, or text
    /// that is not a single revision, such as `main..feature` or an empty string).
    ///
    /// - Throws: ``ProvenanceError/git(operation:message:)`` when there is no repository at
    ///   `path`, when the revision is an ambiguous short hash, or when it names an object
    ///   that is not a commit (a tree or a blob).
    package static func commitIfExists(_ revision: String, at path: String) throws -> String? {
        try treesCheck(treesInitStatus, "initialize libgit2")
        var repo: OpaquePointer?
        try treesCheck(git_repository_open_ext(&repo, path, 0, nil), "open the repository at '\(path)'")
        defer { git_repository_free(repo) }
        var object: OpaquePointer?
        let found = git_revparse_single(&object, repo, revision)
        if found == GIT_ENOTFOUND.rawValue || found == GIT_EINVALIDSPEC.rawValue {
            git_error_clear()
            return nil
        }
        try treesCheck(found, "resolve the revision '\(revision)'")
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        try treesCheck(git_object_peel(&commit, object, GIT_OBJECT_COMMIT), "resolve '\(revision)' to a commit")
        defer { git_object_free(commit) }
        return treesHex(git_object_id(commit))
    }

    /// The paths whose content differs between the trees of commits `old` and `new` (both
    /// sides of a rename), in the repository containing `path`; empty when the trees are equal.
    ///
    /// - Returns: nil when either commit is not in the repository (a run recorded at a commit
    ///   that was later rebased away and collected).
    /// - Throws: ``ProvenanceError/git(operation:message:)`` when there is no repository at
    ///   `path` or its objects cannot be read.
    package static func changedPaths(from old: String, to new: String, at path: String) throws -> [String]? {
        try treesCheck(treesInitStatus, "initialize libgit2")
        var repo: OpaquePointer?
        try treesCheck(git_repository_open_ext(&repo, path, 0, nil), "open the repository at '\(path)'")
        defer { git_repository_free(repo) }
        guard let oldTree = try tree(of: old, in: repo) else { return nil }
        defer { git_tree_free(oldTree) }
        guard let newTree = try tree(of: new, in: repo) else { return nil }
        defer { git_tree_free(newTree) }

        var diff: OpaquePointer?
        try treesCheck(git_diff_tree_to_tree(&diff, repo, oldTree, newTree, nil), "diff commit \(old) against \(new)")
        defer { git_diff_free(diff) }
        var paths: [String] = []
        for index in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
            for file in [delta.old_file, delta.new_file] {
                if let p = file.path.map({ String(cString: $0) }), !p.isEmpty, paths.last != p { paths.append(p) }
            }
        }
        return paths
    }

    /// The tree of commit `id`, or nil when the repository has no such commit; the caller frees it.
    private static func tree(of id: String, in repo: OpaquePointer?) throws -> OpaquePointer? {
        var oid = git_oid()
        guard id.count == Int(GIT_OID_HEXSZ), git_oid_fromstr(&oid, id) == 0 else {
            git_error_clear()
            return nil
        }
        var commit: OpaquePointer?
        let found = git_commit_lookup(&commit, repo, &oid)
        if found == GIT_ENOTFOUND.rawValue {
            git_error_clear()
            return nil
        }
        try treesCheck(found, "read commit \(id)")
        defer { git_commit_free(commit) }
        var tree: OpaquePointer?
        try treesCheck(git_commit_tree(&tree, commit), "read the tree of commit \(id)")
        return tree
    }

    /// libgit2's reference-counted initialization, once for this file's functions.
    private static let treesInitStatus: Int32 = git_libgit2_init()

    /// Returns `status` when it is not negative; otherwise throws the thread's last libgit2 error.
    @discardableResult
    private static func treesCheck(_ status: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
        guard status < 0 else { return status }
        var message = "error \(status)"
        if let error = git_error_last(), let text = error.pointee.message { message = String(cString: text) }
        git_error_clear()
        throw ProvenanceError.git(operation: operation(), message: message)
    }

    /// The full 40-hex-digit form of an object id.
    private static func treesHex(_ id: UnsafePointer<git_oid>?) -> String {
        var buffer = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ) + 1)
        git_oid_tostr(&buffer, buffer.count, id)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
