import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The on-disk store of step outputs, content-checked and safe to share between
/// processes. It knows files and keys, not tensors.
///
/// Layout under `root` (e.g. `.lab/cache`):
///
/// ```
/// objects/<first 2 hex of key>/<key>/   output files + manifest.json
/// staging/<id>/  staging/<id>.lock      folders being written (lock held by the writer)
/// locks/<key>.lock                      exists only while a writer holds the entry's lock
/// trash/<id>/                           entries being deleted
/// ```
///
/// A writer asks ``stage()`` for a folder, writes the step's files into it, then calls
/// ``commit(key:staged:step:experiment:meta:)``, which hashes and fsyncs them, writes the
/// manifest, and renames the folder into `objects/` in one atomic step. A reader calls
/// ``lookup(key:verify:)``, which re-hashes every file against the manifest; an entry that
/// does not match is evicted and reported as ``Lookup/corrupt(reason:)``, never returned.
///
/// Invariants: an entry folder in `objects/` is complete and fsync'd from the moment it
/// appears; nothing ever writes into one; removal always renames it to `trash/` first.
package final class CacheStore: @unchecked Sendable {
    /// The result of ``lookup(key:verify:)``.
    package enum Lookup: Equatable, Sendable {
        /// The entry's folder, holding its files as committed.
        case hit(URL)
        /// No entry under that key.
        case miss
        /// There was an entry, but it did not match its manifest; it has been evicted.
        /// `reason` names the file and what differed, e.g.
        /// `tensors.safetensors: 70 bytes, manifest says 80`.
        case corrupt(reason: String)
    }

    /// The cache's root folder.
    package let root: URL
    /// Where committed entries live.
    package var objectsDirectory: URL { root.appendingPathComponent("objects") }
    /// Where ``stage()`` makes its folders.
    package var stagingDirectory: URL { root.appendingPathComponent("staging") }
    var locksDirectory: URL { root.appendingPathComponent("locks") }
    var trashDirectory: URL { root.appendingPathComponent("trash") }

    /// Staging folders this store handed out and not yet committed or discarded, with the
    /// descriptor holding each one's lock (so `gc` in any process leaves them alone).
    private var openStagings: [String: Int32] = [:]
    /// Digests of files written through ``write(_:named:into:)``: staged file path → (digest, bytes).
    private var written: [String: (digest: String, bytes: Int64)] = [:]
    private let mutex = NSLock()

    /// Opens (creating if needed) the cache rooted at `root`.
    /// - Parameter root: the cache folder, e.g. `.lab/cache`; its parents are created.
    /// - Throws: ``CacheError/io(operation:path:code:)`` when a folder cannot be created.
    package init(root: URL) throws {
        self.root = root.standardizedFileURL
        try FileIO.makeDirectories(self.root)
        for folder in [objectsDirectory, stagingDirectory, locksDirectory, trashDirectory] {
            try FileIO.makeDirectory(folder)
        }
    }

    deinit {
        for fd in openStagings.values { FileLock.release(fd) }
    }

    // MARK: - Writing

    /// A fresh, empty folder inside the cache root for a writer to put a step's output
    /// files in. It is on the cache's filesystem, so committing it is a rename.
    ///
    /// The store holds a lock on it until ``commit(key:staged:step:experiment:meta:)`` or
    /// ``discard(staged:)``; if the process dies first, the lock goes with it and ``gc(keepLast:protecting:)``
    /// removes the folder.
    /// - Throws: ``CacheError/io(operation:path:code:)``.
    package func stage() throws -> URL {
        while true {
            let id = UUID().uuidString.lowercased()
            let folder = stagingDirectory.appendingPathComponent(id)
            // Lock first, then create the folder: a folder whose lock can be taken is abandoned.
            guard let fd = try FileLock.acquire(folder.path + ".lock", blocking: false) else { continue }
            do {
                guard try FileIO.makeDirectory(folder) else {
                    FileLock.release(fd)
                    continue
                }
            } catch {
                unlink(folder.path + ".lock")
                FileLock.release(fd)
                throw error
            }
            mutex.lock()
            openStagings[folder.path] = fd
            mutex.unlock()
            return folder
        }
    }

    /// Removes a staging folder without committing it (the step failed).
    /// - Parameter staged: a URL from ``stage()``.
    /// - Throws: ``CacheError/notStaged(path:)`` when it is not an open staging folder.
    package func discard(staged: URL) throws {
        let fd = try claimStaging(staged)
        removeTree(staged)
        unlink(staged.standardizedFileURL.path + ".lock")
        FileLock.release(fd)
    }

    /// Stores the files in `staged` under `key`.
    ///
    /// Hashes (SHA-256, streamed) and fsyncs every staged file, writes `manifest.json`
    /// durably, renames the folder to `objects/<kk>/<key>` and fsyncs the folder it landed
    /// in. Holds the entry's lock throughout. If an entry under `key` already exists
    /// (another writer won), the staged folder is discarded and the existing entry kept.
    /// The staged folder is consumed either way, also when this throws.
    /// - Parameters:
    ///   - key: the step's cache key (lowercase hex).
    ///   - staged: a URL from ``stage()`` holding the output files (subfolders allowed).
    ///   - step: the step's name, for listings and `gc`.
    ///   - experiment: the experiment's name, for listings and `gc`.
    ///   - meta: free-form facts kept in the manifest.
    /// - Throws: ``CacheError/invalidKey(_:)``, ``CacheError/notStaged(path:)``,
    ///   ``CacheError/reservedName(path:)``, ``CacheError/unsupportedStagedItem(path:kind:)``,
    ///   ``CacheError/io(operation:path:code:)``.
    /// Writes `data` as the file `name` of a staging folder, durably, hashing it on a second
    /// thread while it is written; ``commit(key:staged:step:experiment:meta:)`` then uses that
    /// digest instead of reading the file back. For large outputs (tensors) this is the fast path.
    package func write(_ data: Data, named name: String, into staged: URL) throws {
        let url = staged.standardizedFileURL.appendingPathComponent(name)
        let result = try FileIO.writeHashingAndSync(data, to: url)
        mutex.lock()
        written[url.path] = result
        mutex.unlock()
    }

    /// Moves a staged entry into the cache under `key`, durably (manifest with sizes and SHA-256, fsync, rename).
    package func commit(key: String, staged: URL, step: String, experiment: String,
                       meta: [String: String] = [:]) throws {
        let stagingLock = try claimStaging(staged)
        let staged = staged.standardizedFileURL
        defer {
            removeTree(staged)  // no-op once renamed into place
            unlink(staged.path + ".lock")
            FileLock.release(stagingLock)
        }
        try Self.validate(key)
        try withLock(key: key) {
            let destination = entryURL(key)
            if try FileIO.status(destination.path) != nil { return }

            var folders: [URL] = []
            let files = try stagedFiles(in: staged, relativeTo: "", folders: &folders)
            var records: [String: CacheManifest.FileRecord] = [:]
            for name in files {
                let path = staged.appendingPathComponent(name)
                mutex.lock()
                let known = written.removeValue(forKey: path.path)
                mutex.unlock()
                if let known, let info = try FileIO.status(path.path), Int64(info.st_size) == known.bytes {
                    records[name] = .init(sha256: known.digest, bytes: known.bytes)   // hashed and fsynced as written
                    continue
                }
                let (digest, bytes) = try FileIO.hashAndSync(path)
                records[name] = .init(sha256: digest, bytes: bytes)
            }
            for folder in folders.reversed() { try FileIO.fsync(url: folder) }
            let manifest = CacheManifest(key: key, files: records, createdAt: Date(), step: step,
                                         experiment: experiment, meta: meta)
            // Also fsyncs `staged` itself, making every name in it durable.
            try FileIO.writeDurably(manifest.encoded(), to: staged.appendingPathComponent(CacheManifest.fileName))

            let shard = destination.deletingLastPathComponent()
            if try FileIO.makeDirectory(shard) { try FileIO.fsync(url: objectsDirectory) }
            guard rename(staged.path, destination.path) == 0 else {
                // Lost a race with a writer that did not take the lock: keep theirs.
                if errno == EEXIST || errno == ENOTEMPTY { return }
                throw CacheError.io(operation: "move the staged entry to \(destination.path)", path: staged.path, code: errno)
            }
            try FileIO.fsync(url: shard)
        }
    }

    /// Runs `body` holding the advisory lock of entry `key`, blocking until no other
    /// process or thread holds it. The runner wraps lookup → compute → commit in it so
    /// that two processes computing the same step do not both do the work: the second
    /// waits, then finds the first one's entry.
    /// - Parameter onWait: called once, before blocking, when another holder has the lock
    ///   (the runner says that it waits, and for what).
    ///
    /// Re-entrant on the calling thread: `commit` and `lookup` inside `body` take the same
    /// lock without deadlocking. Throws, rather than rethrows, because taking the lock can
    /// fail (an unwritable or full cache folder), and running `body` unlocked then would
    /// silently give up the guarantee.
    /// - Throws: ``CacheError/invalidKey(_:)``, ``CacheError/io(operation:path:code:)``, or
    ///   what `body` throws.
    package func withLock<T>(key: String, onWait: (() -> Void)? = nil, _ body: () throws -> T) throws -> T {
        try Self.validate(key)
        return try FileLock.withLock(at: lockPath(key), onWait: onWait, body)
    }

    // MARK: - Reading

    /// Finds the entry under `key`.
    ///
    /// Checks that the manifest is readable and every file it lists exists with its
    /// recorded size; with `verify`, also re-hashes every file. An entry that fails is
    /// evicted and returned as ``Lookup/corrupt(reason:)``. A hit marks the entry as used
    /// now (for `gc`). A key that is not valid hex cannot be stored, so it is a miss.
    /// - Parameters:
    ///   - key: the step's cache key.
    ///   - verify: re-hash every file (on by default; off skips only the hashing).
    package func lookup(key: String, verify: Bool = true) -> Lookup {
        guard Self.isValid(key) else { return .miss }
        let folder = entryURL(key)
        guard let info = try? FileIO.status(folder.path) else { return .miss }
        if let problem = check(folder, key: key, verify: verify) {
            // Evicted by someone else in the meantime (gc, a concurrent lookup): a miss.
            guard (try? evict(folder, key: key, ifInode: info.st_ino)) == true else { return .miss }
            return .corrupt(reason: problem.description)
        }
        markUsed(folder)
        return .hit(folder)
    }

    /// Removes the entry under `key`, if there is one.
    /// - Returns: whether an entry was removed.
    /// - Throws: ``CacheError/invalidKey(_:)``, ``CacheError/io(operation:path:code:)``.
    @discardableResult
    package func remove(key: String) throws -> Bool {
        try Self.validate(key)
        return try evict(entryURL(key), key: key, ifInode: nil)
    }

    // MARK: - Internals

    /// The folder an entry with `key` lives in.
    package func entryURL(_ key: String) -> URL {
        objectsDirectory.appendingPathComponent(String(key.prefix(2))).appendingPathComponent(key)
    }

    func lockPath(_ key: String) -> String {
        locksDirectory.appendingPathComponent(key + ".lock").path
    }

    static func isValid(_ key: String) -> Bool {
        (2...128).contains(key.utf8.count) && key.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    static func validate(_ key: String) throws {
        guard isValid(key) else { throw CacheError.invalidKey(key) }
    }

    /// What is wrong with the entry folder, or nil when it matches its manifest.
    func check(_ folder: URL, key: String, verify: Bool) -> CacheEntryProblem? {
        let manifestURL = folder.appendingPathComponent(CacheManifest.fileName)
        let manifest: CacheManifest
        do {
            guard let info = try FileIO.status(manifestURL.path) else { return .missingManifest }
            guard FileIO.isRegularFile(info) else { return .unreadableManifest("not a regular file") }
            manifest = try CacheManifest.decode(Data(contentsOf: manifestURL))
        } catch {
            return .unreadableManifest(Self.brief(error))
        }
        guard manifest.key == key else { return .manifestKeyMismatch(found: manifest.key) }
        let names = manifest.files.keys.sorted()
        for name in names {
            guard Self.isSafeRelativePath(name) else { return .invalidFileName(name) }
            let expected = manifest.files[name]!
            guard let info = try? FileIO.status(folder.appendingPathComponent(name).path) else { return .missingFile(name) }
            guard FileIO.isRegularFile(info) else { return .notARegularFile(name) }
            if Int64(info.st_size) != expected.bytes {
                return .sizeMismatch(file: name, actual: Int64(info.st_size), expected: expected.bytes)
            }
        }
        guard verify else { return nil }
        for name in names {
            let expected = manifest.files[name]!
            guard let digest = try? FileIO.sha256(of: folder.appendingPathComponent(name)) else { return .missingFile(name) }
            if digest != expected.sha256 {
                return .hashMismatch(file: name, actual: digest, expected: expected.sha256)
            }
        }
        return nil
    }

    /// Renames the entry folder to `trash/` and deletes it there, holding the entry's lock.
    /// With `ifInode`, only if the folder is still the one that was checked (not a fresh
    /// entry committed since). Returns whether it removed something.
    @discardableResult
    func evict(_ folder: URL, key: String, ifInode inode: ino_t?) throws -> Bool {
        try withLock(key: key) {
            guard let info = try FileIO.status(folder.path) else { return false }
            if let inode, info.st_ino != inode { return false }
            try moveToTrashAndDelete(folder)
            return true
        }
    }

    func moveToTrashAndDelete(_ url: URL) throws {
        let trashed = trashDirectory.appendingPathComponent(UUID().uuidString.lowercased())
        guard rename(url.path, trashed.path) == 0 else {
            if errno == ENOENT { return }
            throw CacheError.io(operation: "move to the cache's trash folder", path: url.path, code: errno)
        }
        try? FileIO.fsync(url: url.deletingLastPathComponent())
        removeTree(trashed)  // what remains (e.g. a permission problem) gc retries
    }

    /// Sets the entry folder's modification time to now: its "last used" time.
    func markUsed(_ folder: URL) {
        _ = utimensat(AT_FDCWD, folder.path, nil, 0)
    }

    func removeTree(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
    }

    /// Takes a staging folder out of the open set, returning the descriptor of its lock.
    private func claimStaging(_ staged: URL) throws -> Int32 {
        let path = staged.standardizedFileURL.path
        mutex.lock()
        defer { mutex.unlock() }
        guard let fd = openStagings.removeValue(forKey: path) else { throw CacheError.notStaged(path: path) }
        return fd
    }

    /// The staged regular files, as paths relative to the staging folder, sorted; collects
    /// the folders (parents first) so they can be fsync'd.
    private func stagedFiles(in folder: URL, relativeTo prefix: String, folders: inout [URL]) throws -> [String] {
        folders.append(folder)
        var files: [String] = []
        for name in try FileIO.contents(of: folder) {
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            let url = folder.appendingPathComponent(name)
            if relative == CacheManifest.fileName { throw CacheError.reservedName(path: url.path) }
            guard let info = try FileIO.status(url.path) else { continue }
            if FileIO.isRegularFile(info) {
                files.append(relative)
            } else if FileIO.isDirectory(info) {
                files += try stagedFiles(in: url, relativeTo: relative, folders: &folders)
            } else {
                throw CacheError.unsupportedStagedItem(path: url.path, kind: Self.kindName(info))
            }
        }
        return files
    }

    static func isSafeRelativePath(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix("/") && name != CacheManifest.fileName
            && !name.split(separator: "/", omittingEmptySubsequences: false).contains { $0.isEmpty || $0 == "." || $0 == ".." }
    }

    static func kindName(_ info: stat) -> String {
        switch info.st_mode & S_IFMT {
        case S_IFLNK: "symbolic link"
        case S_IFIFO: "named pipe"
        case S_IFSOCK: "socket"
        case S_IFCHR, S_IFBLK: "device"
        default: "special file"
        }
    }

    static func brief(_ error: Error) -> String {
        if let decoding = error as? DecodingError {
            switch decoding {
            case let .dataCorrupted(context): return "invalid JSON: \(context.debugDescription)"
            case let .keyNotFound(key, _): return "no field '\(key.stringValue)'"
            case let .typeMismatch(_, context), let .valueNotFound(_, context):
                return "bad field '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
            @unknown default: return "\(decoding)"
            }
        }
        return (error as? CacheError)?.description ?? error.localizedDescription
    }
}
