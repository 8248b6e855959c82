import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `lab cache ls|du|gc|verify`: listing, sizing, pruning and checking the whole store.
extension CacheStore {
    /// Every committed entry with a readable manifest, most recently used first. Files are
    /// not verified (see ``verifyAll()``).
    /// - Throws: ``CacheError/io(operation:path:code:)`` when a folder cannot be listed.
    package func entries() throws -> [CacheEntry] {
        try scanObjects().compactMap(\.entry).sorted {
            ($0.lastUsedAt, $0.key) > ($1.lastUsedAt, $1.key)
        }
    }

    /// Bytes under the cache root: entries, staging folders not yet committed, and
    /// anything left in the trash (logical file sizes, not allocated blocks).
    package func totalBytes() -> Int64 {
        FileIO.treeBytes(root)
    }

    /// Removes old entries and debris.
    ///
    /// For each (experiment, step), keeps the `n` most recently used entries and removes
    /// the rest, except keys in `protecting` (e.g. those the latest run of each experiment
    /// used). Also removes entry folders without a readable manifest, staging folders whose
    /// writer is gone (it crashed: its lock was released with its process), leftovers in
    /// the trash, and lock files no one holds. Entries are removed under their lock.
    /// - Parameters:
    ///   - n: how many entries to keep per (experiment, step); negative counts as 0.
    ///   - protecting: keys never removed.
    /// - Returns: how many entries were removed, and the bytes freed in all (entries and
    ///   debris).
    /// - Throws: ``CacheError/io(operation:path:code:)``.
    @discardableResult
    package func gc(keepLast n: Int, protecting: Set<String> = []) throws -> (removed: Int, freedBytes: Int64) {
        var removed = 0
        var freed: Int64 = 0
        let scanned = try scanObjects()

        let groups = Dictionary(grouping: scanned.compactMap(\.entry)) { [$0.experiment, $0.step] }
        for (_, group) in groups {
            let newestFirst = group.sorted {
                ($0.lastUsedAt, $0.createdAt, $0.key) > ($1.lastUsedAt, $1.createdAt, $1.key)
            }
            for entry in newestFirst.dropFirst(max(0, n)) where !protecting.contains(entry.key) {
                if try evict(entry.url, key: entry.key, ifInode: nil) {
                    removed += 1
                    freed += entry.bytes
                }
            }
        }
        // Damaged entries (no readable manifest) can never be hits: drop them too.
        for item in scanned where item.entry == nil {
            guard let key = item.key else { continue }  // misplaced folders: `verifyAll` reports them
            let bytes = FileIO.treeBytes(item.url)
            guard let info = try FileIO.status(item.url.path) else { continue }
            let stillDamaged = try withLock(key: key) { check(item.url, key: key, verify: false) != nil }
            if stillDamaged, try evict(item.url, key: key, ifInode: info.st_ino) {
                removed += 1
                freed += bytes
            }
        }
        freed += try removeAbandonedStagings()
        freed += removeTrash()
        removeStaleLocks()
        removeDanglingAliases()
        return (removed, freed)
    }

    /// Re-hashes every entry against its manifest, evicting each one that does not match
    /// and any folder in `objects/` that is not an entry.
    /// - Returns: each evicted key (or folder name) with what was wrong, sorted by key.
    /// - Throws: ``CacheError/io(operation:path:code:)``.
    package func verifyAll() throws -> [(key: String, problem: String)] {
        var problems: [(key: String, problem: String)] = []
        for item in try scanObjects() {
            guard let key = item.key else {
                problems.append((item.url.lastPathComponent, CacheEntryProblem.misplaced(folder: item.url.lastPathComponent).description))
                try moveToTrashAndDelete(item.url)
                continue
            }
            guard let info = try FileIO.status(item.url.path) else { continue }
            if let problem = check(item.url, key: key, verify: true),
               try evict(item.url, key: key, ifInode: info.st_ino) {
                problems.append((key, problem.description))
            }
        }
        return problems.sorted { $0.key < $1.key }
    }

    // MARK: - Internals

    /// One folder found in `objects/<shard>/`: its key when its name and shard are valid,
    /// and its listing when its manifest is readable.
    struct ScannedFolder {
        var url: URL
        var key: String?
        var entry: CacheEntry?
    }

    func scanObjects() throws -> [ScannedFolder] {
        var result: [ScannedFolder] = []
        for shard in try FileIO.contents(of: objectsDirectory) {
            let shardURL = objectsDirectory.appendingPathComponent(shard)
            guard let info = try FileIO.status(shardURL.path), FileIO.isDirectory(info) else { continue }
            for name in try FileIO.contents(of: shardURL) {
                let url = shardURL.appendingPathComponent(name)
                guard Self.isValid(name), name.hasPrefix(shard), shard.utf8.count == 2 else {
                    result.append(ScannedFolder(url: url, key: nil, entry: nil))
                    continue
                }
                result.append(ScannedFolder(url: url, key: name, entry: readEntry(url, key: name)))
            }
        }
        return result
    }

    /// The listing of an entry folder from its manifest; nil when the manifest is missing,
    /// unreadable or names another key.
    func readEntry(_ url: URL, key: String) -> CacheEntry? {
        let manifestURL = url.appendingPathComponent(CacheManifest.fileName)
        guard let data = try? Data(contentsOf: manifestURL),
              let manifest = try? CacheManifest.decode(data), manifest.key == key,
              let folderInfo = try? FileIO.status(url.path) else { return nil }
        let bytes = manifest.files.values.reduce(Int64(data.count)) { $0 + $1.bytes }
        return CacheEntry(key: key, step: manifest.step, experiment: manifest.experiment, bytes: bytes,
                          createdAt: manifest.createdAt, lastUsedAt: FileIO.modificationDate(folderInfo),
                          meta: manifest.meta, url: url)
    }

    /// Removes staging folders whose lock no one holds; returns the bytes freed.
    private func removeAbandonedStagings() throws -> Int64 {
        var freed: Int64 = 0
        let names = try FileIO.contents(of: stagingDirectory)
        let ids = Set(names.map { $0.hasSuffix(".lock") ? String($0.dropLast(5)) : $0 })
        for id in ids.sorted() {
            let folder = stagingDirectory.appendingPathComponent(id)
            let lock = folder.path + ".lock"
            // A writer takes the lock before creating its folder and removes the folder
            // before the lock file, so a folder without a lock file has no writer.
            var fd: Int32?
            if try FileIO.status(lock) != nil {
                guard let acquired = try FileLock.acquire(lock, blocking: false, create: false) else { continue }
                fd = acquired
            }
            freed += FileIO.treeBytes(folder)
            try moveToTrashAndDelete(folder)
            if let fd {
                unlink(lock)
                FileLock.release(fd)
            }
        }
        return freed
    }

    /// Deletes what an interrupted removal left in `trash/`; returns the bytes freed.
    private func removeTrash() -> Int64 {
        var freed: Int64 = 0
        for name in (try? FileIO.contents(of: trashDirectory)) ?? [] {
            let url = trashDirectory.appendingPathComponent(name)
            freed += FileIO.treeBytes(url)
            removeTree(url)
        }
        return freed
    }

    /// Unlinks lock files left by a process that died holding them.
    private func removeStaleLocks() {
        for name in (try? FileIO.contents(of: locksDirectory)) ?? [] where name.hasSuffix(".lock") {
            let path = locksDirectory.appendingPathComponent(name).path
            if let fd = try? FileLock.acquire(path, blocking: false, create: false) {
                unlink(path)
                FileLock.release(fd)
            }
        }
    }
}
