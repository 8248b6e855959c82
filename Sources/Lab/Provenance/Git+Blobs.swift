internal import CGit2

/// Reading committed files straight from git's objects, for `lab pr-report`: a commit's
/// `reports/*/results.json` without checking anything out.
extension Git {
    /// The file `name` of every direct subfolder of `folder` in commit `commit`'s tree, in
    /// the repository containing `path`: subfolder name → the file's bytes. Subfolders
    /// without such a file are left out; a commit without `folder` gives an empty result.
    ///
    /// - Parameters:
    ///   - folder: A folder relative to the repository's top (`reports`, or `sub/reports`).
    ///   - commit: A full commit id (see ``commitIfExists(_:at:)``).
    /// - Throws: ``ProvenanceError/git(operation:message:)`` when there is no repository at
    ///   `path`, no such commit, or an object cannot be read.
    package static func files(named name: String, inSubfoldersOf folder: String, at commit: String,
                             path: String) throws -> [String: [UInt8]] {
        try ensureInitialized()
        var repo: OpaquePointer?
        try check(git_repository_open_ext(&repo, path, 0, nil), "open the repository at '\(path)'")
        defer { git_repository_free(repo) }
        var oid = git_oid()
        try check(git_oid_fromstr(&oid, commit), "read the commit id '\(commit)'")
        var commitObject: OpaquePointer?
        try check(git_commit_lookup(&commitObject, repo, &oid), "read commit \(commit)")
        defer { git_commit_free(commitObject) }
        var root: OpaquePointer?
        try check(git_commit_tree(&root, commitObject), "read the tree of commit \(commit)")
        defer { git_tree_free(root) }

        let trimmed = folder.split(separator: "/").joined(separator: "/")
        var folderTree: OpaquePointer?
        if trimmed.isEmpty {
            folderTree = root
        } else {
            var entry: OpaquePointer?
            let found = git_tree_entry_bypath(&entry, root, trimmed)
            if found == GIT_ENOTFOUND.rawValue { git_error_clear(); return [:] }
            try check(found, "find '\(trimmed)' in commit \(commit)")
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else { return [:] }
            try check(git_tree_lookup(&folderTree, repo, git_tree_entry_id(entry)), "read '\(trimmed)' in commit \(commit)")
        }
        defer { if folderTree != root { git_tree_free(folderTree) } }

        var out: [String: [UInt8]] = [:]
        for index in 0..<git_tree_entrycount(folderTree) {
            guard let entry = git_tree_entry_byindex(folderTree, index), git_tree_entry_type(entry) == GIT_OBJECT_TREE,
                  let namePointer = git_tree_entry_name(entry) else { continue }
            let subfolder = String(cString: namePointer)
            var subtree: OpaquePointer?
            try check(git_tree_lookup(&subtree, repo, git_tree_entry_id(entry)), "read '\(trimmed)/\(subfolder)' in commit \(commit)")
            defer { git_tree_free(subtree) }
            guard let file = git_tree_entry_byname(subtree, name), git_tree_entry_type(file) == GIT_OBJECT_BLOB else { continue }
            var blob: OpaquePointer?
            try check(git_blob_lookup(&blob, repo, git_tree_entry_id(file)), "read '\(trimmed)/\(subfolder)/\(name)' in commit \(commit)")
            defer { git_blob_free(blob) }
            let size = Int(git_blob_rawsize(blob))
            if size > 0, let bytes = git_blob_rawcontent(blob) {
                out[subfolder] = Array(UnsafeRawBufferPointer(start: bytes, count: size))
            } else {
                out[subfolder] = []
            }
        }
        return out
    }
}
