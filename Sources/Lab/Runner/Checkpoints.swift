import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `lab cache verify` and `lab cache gc` for training checkpoints (`.lab/checkpoints/`),
/// which are checked like cache entries: a manifest with the file's size and SHA-256.
///
/// A checkpoint whose lock is held belongs to a step that is computing now and is never
/// touched. The others are checked; a damaged one (manifest missing or unreadable, file
/// missing, wrong size or digest) is removed, as are files the manifest does not name (a
/// kill between writing an epoch's file and its manifest leaves one).
package enum Checkpoints {
    /// One checkpoint folder as found on disk.
    package struct Listing: Equatable, Sendable {
        /// The step's cache key (the folder's name).
        package var key: String
        /// Its step and experiment, from the manifest (empty when it is unreadable).
        package var step: String
        /// The experiment the checkpoint belongs to.
        package var experiment: String
        /// The last finished epoch it holds (nil when unreadable).
        package var epoch: Int?
        /// When it was last written.
        package var savedAt: Date?
        /// Bytes in the folder.
        package var bytes: Int64
        /// What is wrong with it, or nil when it matches its manifest.
        package var problem: String?
    }

    /// Verifies every checkpoint that no running step holds, removing the damaged ones.
    /// - Parameter root: the checkpoints folder, `.lab/checkpoints`.
    /// - Returns: each removed checkpoint's key with what was wrong, sorted by key.
    package static func verifyAll(root: URL) -> [(key: String, problem: String)] {
        var problems: [(key: String, problem: String)] = []
        forEachIdle(root: root) { listing, folder in
            if let problem = listing.problem {
                problems.append((listing.key, problem))
                try? FileManager.default.removeItem(at: folder)
            }
        }
        return problems.sorted { $0.key < $1.key }
    }

    /// Removes damaged checkpoints, debris, checkpoints whose step has finished since (its
    /// cache entry exists), and for each (experiment, step) all but the `keepLast` newest,
    /// except those under a key in `protecting` (steps of the latest runs: a crashed run's
    /// checkpoint stays for its re-run). A checkpoint being written is never removed.
    /// - Returns: how many checkpoints were removed and the bytes freed.
    @discardableResult
    package static func gc(root: URL, cache: CacheStore, keepLast: Int, protecting: Set<String>) -> (removed: Int, freedBytes: Int64) {
        var removed = 0
        var freed: Int64 = 0
        var healthy: [(Listing, URL)] = []
        forEachIdle(root: root) { listing, folder in
            let finished = FileManager.default.fileExists(atPath: cache.entryURL(listing.key).path)
            if listing.problem != nil || finished {
                removed += 1
                freed += listing.bytes
                try? FileManager.default.removeItem(at: folder)
            } else {
                freed += removeDebris(folder)
                healthy.append((listing, folder))
            }
        }
        let groups = Dictionary(grouping: healthy) { [$0.0.experiment, $0.0.step] }
        for (_, group) in groups {
            let newestFirst = group.sorted { ($0.0.savedAt ?? .distantPast, $0.0.key) > ($1.0.savedAt ?? .distantPast, $1.0.key) }
            for (listing, folder) in newestFirst.dropFirst(max(0, keepLast)) where !protecting.contains(listing.key) {
                removed += 1
                freed += listing.bytes
                try? FileManager.default.removeItem(at: folder)
            }
        }
        // Whatever else is in the folder and is not a live checkpoint's lock.
        for name in (try? FileIO.contents(of: root)) ?? [] {
            let url = root.appendingPathComponent(name)
            if name.hasSuffix(".lock") {
                if let fd = try? FileLock.acquire(url.path, blocking: false, create: false) {
                    unlink(url.path)
                    FileLock.release(fd)
                }
            } else if !CacheStore.isValid(name) {
                freed += FileIO.treeBytes(url)
                try? FileManager.default.removeItem(at: url)
            }
        }
        return (removed, freed)
    }

    /// Every checkpoint folder, with what is wrong with each (live ones are not checked).
    package static func list(root: URL) -> [Listing] {
        var result: [Listing] = []
        forEachIdle(root: root) { listing, _ in result.append(listing) }
        return result.sorted { $0.key < $1.key }
    }

    /// Calls `body` for each checkpoint folder whose lock no one holds, holding it meanwhile.
    private static func forEachIdle(root: URL, _ body: (Listing, URL) -> Void) {
        for name in ((try? FileIO.contents(of: root)) ?? []).sorted() where CacheStore.isValid(name) {
            let folder = root.appendingPathComponent(name)
            guard let info = try? FileIO.status(folder.path), FileIO.isDirectory(info) else { continue }
            let lockPath = folder.path + ".lock"
            guard let fd = try? FileLock.acquire(lockPath, blocking: false) else { continue }   // computing now
            defer {
                unlink(lockPath)
                FileLock.release(fd)
            }
            let (manifest, problem) = CheckpointManifest.check(folder: folder, key: name)
            body(Listing(key: name, step: manifest?.step ?? "", experiment: manifest?.experiment ?? "", epoch: manifest?.epoch,
                         savedAt: manifest?.savedAt, bytes: FileIO.treeBytes(folder), problem: problem), folder)
        }
    }

    /// Removes files of a healthy checkpoint that its manifest does not name; returns the bytes freed.
    private static func removeDebris(_ folder: URL) -> Int64 {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent(CheckpointManifest.fileName)),
              let manifest = try? CheckpointManifest.decode(data) else { return 0 }
        var freed: Int64 = 0
        for name in (try? FileIO.contents(of: folder)) ?? [] where name != manifest.file && name != CheckpointManifest.fileName {
            let url = folder.appendingPathComponent(name)
            freed += FileIO.treeBytes(url)
            try? FileManager.default.removeItem(at: url)
        }
        return freed
    }
}
