internal import CGit2
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Untracked files in a run's patch: named with their size and SHA-256, never copied in,
/// and the patch itself capped, so a large data file next to the experiment costs each run
/// a line, not its size.
extension Git {
    /// The most bytes of patch a run keeps (1 MiB). A longer patch is cut at a line end
    /// before this many bytes and ends with a line giving the full patch's size and SHA-256.
    package static let patchLimit = 1 << 20

    /// One line per untracked file (not ignored), sorted by path: `#\t<bytes>\t<sha256>\t<path>`
    /// under a header line, or "" when there are none. Lines starting with `#` before the
    /// first `diff --git` are skipped by `git apply`, so the patch still applies. A symbolic
    /// link is listed with the size and hash of its target's path; a file that cannot be read
    /// is listed with `?` and the reason.
    static func untrackedListing(_ repo: OpaquePointer?, root: String, ignored: PathFilter) throws -> String {
        var options = git_status_options()
        try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "prepare a status")
        options.show = GIT_STATUS_SHOW_WORKDIR_ONLY
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue

        var list: OpaquePointer?
        try check(git_status_list_new(&list, repo, &options), "read the status of '\(root)'")
        defer { git_status_list_free(list) }
        var paths: [String] = []
        for index in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, index),
                  entry.pointee.status.rawValue & GIT_STATUS_WT_NEW.rawValue != 0,
                  let delta = entry.pointee.index_to_workdir, let path = delta.pointee.new_file.path else { continue }
            let name = String(cString: path)
            if !ignored.contains(name) { paths.append(name) }
        }
        guard !paths.isEmpty else { return "" }
        var text = "# untracked files, not stored (bytes, SHA-256, path):\n"
        for path in paths.sorted() {
            let shown = path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
            switch fingerprint(root + "/" + path) {
            case .success(let (bytes, digest)): text += "#\t\(bytes)\t\(digest)\t\(shown)\n"
            case .failure(let reason): text += "#\t?\t\(reason)\t\(shown)\n"
            }
        }
        return text
    }

    /// The size and SHA-256 of a file (of a symbolic link's target path), streamed.
    private static func fingerprint(_ path: String) -> Result<(Int64, String), FingerprintFailure> {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .failure(FingerprintFailure(errno)) }
        if (info.st_mode & S_IFMT) == S_IFLNK {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else {
                return .failure(FingerprintFailure(errno))
            }
            return .success((Int64(target.utf8.count), FileIO.hex(SHA256.hash(data: Data(target.utf8)))))
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return .failure(FingerprintFailure(errno)) }
        defer { close(fd) }
        do {
            let (digest, bytes) = try FileIO.sha256(fd: fd, path: path)
            return .success((bytes, digest))
        } catch {
            return .failure(FingerprintFailure(EIO))
        }
    }

    /// `patch` as stored: whole when it has at most ``patchLimit`` bytes; else its first
    /// lines, then `# patch cut at <n> of <total> bytes; the full patch's SHA-256 is <hex>`.
    static func capped(_ patch: [UInt8]) -> [UInt8] {
        guard patch.count > patchLimit else { return patch }
        var end = patchLimit
        while end > 0 && patch[end - 1] != UInt8(ascii: "\n") { end -= 1 }
        if end == 0 { end = patchLimit }   // one enormous line: cut inside it
        let digest = FileIO.hex(SHA256.hash(data: patch))
        var kept = Array(patch[..<end])
        if kept.last != UInt8(ascii: "\n") { kept.append(UInt8(ascii: "\n")) }
        kept += Array("# patch cut at \(end) of \(patch.count) bytes; the full patch's SHA-256 is \(digest)\n".utf8)
        return kept
    }
}

/// Why an untracked file could not be hashed: its `strerror` text.
private struct FingerprintFailure: Error, CustomStringConvertible {
    let description: String
    init(_ code: Int32) { description = String(cString: strerror(code)).replacingOccurrences(of: "\t", with: " ") }
}
