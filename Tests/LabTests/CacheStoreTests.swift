import Crypto
import Foundation
import Testing
@testable import Lab
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Each test gets its own cache folder (Swift Testing makes one suite instance per test).
final class CacheStoreTests {
    let root: URL
    let store: CacheStore

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("lab-cache-tests-\(UUID().uuidString)")
            .appendingPathComponent(".lab/cache")
        store = try CacheStore(root: root)
    }

    deinit {
        try? FileManager.default.removeItem(at: root.deletingLastPathComponent().deletingLastPathComponent())
    }

    // MARK: Helpers

    static func key(_ seed: String) -> String {
        FileIO.hex(SHA256.hash(data: Data(seed.utf8)))
    }

    /// Deterministic bytes, different per seed.
    static func bytes(_ count: Int, seed: UInt8 = 1) -> Data {
        Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7) })
    }

    /// Stages `files` and commits them under `key`; returns the files as written.
    @discardableResult
    func commit(_ key: String, files: [String: Data]? = nil, step: String = "train",
                experiment: String = "clip", meta: [String: String] = [:]) throws -> [String: Data] {
        let files = files ?? [
            "output.json": Data(#"{"loss":0.25}"#.utf8),
            "tensors.safetensors": Self.bytes(80),
        ]
        let staged = try store.stage()
        for (name, data) in files {
            let url = staged.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
        try store.commit(key: key, staged: staged, step: step, experiment: experiment, meta: meta)
        return files
    }

    func setLastUsed(_ key: String, secondsAgo: Double) {
        let time = Date().timeIntervalSince1970 - secondsAgo
        var times = [timespec](repeating: timespec(tv_sec: Int(time), tv_nsec: 0), count: 2)
        #expect(utimensat(AT_FDCWD, store.entryURL(key).path, &times, 0) == 0)
    }

    func isLockHeld(_ path: String) -> Bool {
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        #expect(fd >= 0)
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        #expect(errno == EWOULDBLOCK)
        return true
    }

    func contents(_ folder: URL) -> [String] {
        (try? FileIO.contents(of: folder)) ?? []
    }

    // MARK: Commit and lookup

    @Test func commitThenLookupIsAHitWithByteIdenticalFiles() throws {
        let key = Self.key("a")
        let files = try commit(key, files: [
            "output.json": Data(#"{"accuracy":0.91}"#.utf8),
            "tensors.safetensors": Self.bytes(3 << 20),  // spans several hash chunks
            "samples/0001.txt": Data("a photo of a sneaker".utf8),
        ], meta: ["seconds": "12.5"])

        guard case let .hit(folder) = store.lookup(key: key) else {
            Issue.record("expected a hit, got \(store.lookup(key: key))")
            return
        }
        #expect(folder == store.entryURL(key))
        #expect(folder.path.hasSuffix("objects/\(key.prefix(2))/\(key)"))
        for (name, data) in files {
            #expect(try Data(contentsOf: folder.appendingPathComponent(name)) == data, "\(name)")
        }
        let manifest = try CacheManifest.decode(Data(contentsOf: folder.appendingPathComponent("manifest.json")))
        #expect(manifest.key == key)
        #expect(manifest.step == "train" && manifest.experiment == "clip")
        #expect(manifest.meta == ["seconds": "12.5"])
        #expect(Set(manifest.files.keys) == ["output.json", "tensors.safetensors", "samples/0001.txt"])
        #expect(manifest.files["tensors.safetensors"] == .init(sha256: FileIO.hex(SHA256.hash(data: files["tensors.safetensors"]!)), bytes: 3 << 20))
        #expect(contents(store.stagingDirectory).isEmpty, "the staging folder and its lock are gone")
        #expect(contents(store.root.appendingPathComponent("locks")).isEmpty, "no lock file outlives its lock")
        #expect(store.lookup(key: key, verify: false) == .hit(folder))
    }

    @Test func unknownKeyIsAMiss() throws {
        try commit(Self.key("present"))
        #expect(store.lookup(key: Self.key("absent")) == .miss)
        #expect(store.lookup(key: "not-a-key/../..") == .miss)
    }

    @Test func truncatedFileIsCorruptEvictedAndRecomputable() throws {
        let key = Self.key("truncate")
        try commit(key)
        let tensors = store.entryURL(key).appendingPathComponent("tensors.safetensors")
        #expect(truncate(tensors.path, 70) == 0)

        #expect(store.lookup(key: key) == .corrupt(reason: "tensors.safetensors: 70 bytes, manifest says 80"))
        #expect(!FileManager.default.fileExists(atPath: store.entryURL(key).path), "evicted")
        #expect(contents(store.root.appendingPathComponent("trash")).isEmpty)
        #expect(store.lookup(key: key) == .miss)

        let files = try commit(key)
        guard case let .hit(folder) = store.lookup(key: key) else {
            Issue.record("a fresh commit after eviction should hit")
            return
        }
        #expect(try Data(contentsOf: folder.appendingPathComponent("tensors.safetensors")) == files["tensors.safetensors"])
    }

    @Test func truncationIsCaughtEvenWithoutVerification() throws {
        let key = Self.key("truncate-no-verify")
        try commit(key)
        #expect(truncate(store.entryURL(key).appendingPathComponent("output.json").path, 3) == 0)
        #expect(store.lookup(key: key, verify: false) == .corrupt(reason: "output.json: 3 bytes, manifest says 13"))
    }

    @Test func flippedByteIsCorruptByHash() throws {
        let key = Self.key("flip")
        let files = try commit(key)
        let tensors = store.entryURL(key).appendingPathComponent("tensors.safetensors")
        var data = try Data(contentsOf: tensors)
        data[41] ^= 0x01
        try data.write(to: tensors)  // same size

        #expect(store.lookup(key: key, verify: false) != .miss, "sizes match, so an unverified lookup cannot tell")
        let expected = FileIO.hex(SHA256.hash(data: files["tensors.safetensors"]!))
        let actual = FileIO.hex(SHA256.hash(data: data))
        // The unverified lookup above was a hit, so the entry is still there to verify.
        #expect(store.lookup(key: key) == .corrupt(
            reason: "tensors.safetensors: SHA-256 \(actual.prefix(16))…, manifest says \(expected.prefix(16))…"))
        #expect(store.lookup(key: key) == .miss)
    }

    @Test func deletedManifestIsCorrupt() throws {
        let key = Self.key("manifest")
        try commit(key)
        try FileManager.default.removeItem(at: store.entryURL(key).appendingPathComponent("manifest.json"))
        #expect(store.lookup(key: key) == .corrupt(reason: "manifest.json: missing"))
        #expect(store.lookup(key: key) == .miss)
    }

    @Test func deletedFileAndGarbledManifestAreCorrupt() throws {
        let missing = Self.key("missing-file")
        try commit(missing)
        try FileManager.default.removeItem(at: store.entryURL(missing).appendingPathComponent("output.json"))
        #expect(store.lookup(key: missing) == .corrupt(reason: "output.json: missing"))

        let garbled = Self.key("garbled")
        try commit(garbled)
        try Data("{\"key\": 1".utf8).write(to: store.entryURL(garbled).appendingPathComponent("manifest.json"))
        guard case let .corrupt(reason) = store.lookup(key: garbled) else {
            Issue.record("a garbled manifest must be corrupt")
            return
        }
        #expect(reason.hasPrefix("manifest.json: unreadable ("))
    }

    @Test func manifestCannotPointOutsideItsEntry() throws {
        let key = Self.key("escape")
        try commit(key)
        let url = store.entryURL(key).appendingPathComponent("manifest.json")
        var manifest = try CacheManifest.decode(Data(contentsOf: url))
        manifest.files["../../../../etc/passwd"] = .init(sha256: String(repeating: "0", count: 64), bytes: 1)
        try manifest.encoded().write(to: url)
        #expect(store.lookup(key: key) == .corrupt(reason: "manifest.json: lists an invalid file name '../../../../etc/passwd'"))
    }

    // MARK: Concurrency

    @Test func concurrentCommitsOfOneKeyLeaveOneValidEntry() async throws {
        let key = Self.key("race")
        let store = self.store
        let variants = (0..<2).map { i in ["output.json": Data("{\"writer\":\(i)}".utf8), "tensors.safetensors": Self.bytes(1 << 20, seed: UInt8(i))] }
        let stagedFolders = try (0..<2).map { i in
            let staged = try store.stage()
            for (name, data) in variants[i] { try data.write(to: staged.appendingPathComponent(name)) }
            return staged
        }
        // Real threads, not Dispatch: on Linux its pool is ~1 thread per core, and blocked
        // work items there would starve one another rather than race.
        let gate = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let failures = LockedCounter()
        for staged in stagedFolders {
            Thread {
                gate.wait()
                do { try store.commit(key: key, staged: staged, step: "train", experiment: "clip") } catch { failures.add() }
                finished.signal()
            }.start()
        }
        gate.signal(); gate.signal()
        for _ in stagedFolders { #expect(finished.wait(timeout: .now() + 30) == .success) }

        #expect(failures.value == 0)
        #expect(contents(store.entryURL(key).deletingLastPathComponent()) == [key])
        guard case let .hit(folder) = store.lookup(key: key) else {
            Issue.record("the surviving entry must verify")
            return
        }
        let output = try Data(contentsOf: folder.appendingPathComponent("output.json"))
        let winner = try #require(variants.first { $0["output.json"] == output })
        #expect(try Data(contentsOf: folder.appendingPathComponent("tensors.safetensors")) == winner["tensors.safetensors"])
        #expect(contents(store.stagingDirectory).isEmpty, "the loser's staging folder was discarded")
    }

    @Test func entryLockIsAnFlockThatOtherDescriptorsSeeHeld() throws {
        let key = Self.key("lock")
        let lockPath = store.root.appendingPathComponent("locks/\(key).lock").path
        #expect(!isLockHeld(lockPath))
        try store.withLock(key: key) {
            // A second open file description, as another process would have.
            #expect(isLockHeld(lockPath))
            // Re-entrant on this thread: commit takes the same lock without deadlocking.
            try commit(key)
            #expect(isLockHeld(lockPath))
        }
        #expect(!isLockHeld(lockPath))
        #expect(store.lookup(key: key) == .hit(store.entryURL(key)))
    }

    @Test func commitOnAnotherThreadWaitsForTheHeldLock() throws {
        let key = Self.key("wait")
        let store = self.store
        let staged = try store.stage()
        try Data("{}".utf8).write(to: staged.appendingPathComponent("output.json"))
        let done = DispatchSemaphore(value: 0)
        try store.withLock(key: key) {
            Thread {
                try? store.commit(key: key, staged: staged, step: "s", experiment: "e")
                done.signal()
            }.start()
            #expect(done.wait(timeout: .now() + 0.3) == .timedOut, "commit must block while the lock is held")
            #expect(store.lookup(key: key, verify: false) == .miss)
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(store.lookup(key: key) == .hit(store.entryURL(key)))
    }

    // MARK: Maintenance

    @Test func gcKeepsNewestPerStepAndProtectedKeys() throws {
        let train = (0..<4).map { Self.key("train-\($0)") }
        let eval = (0..<3).map { Self.key("eval-\($0)") }
        for (i, key) in train.enumerated() {
            try commit(key, step: "train")
            setLastUsed(key, secondsAgo: Double(1000 - i * 100))  // train[3] is newest
        }
        for (i, key) in eval.enumerated() {
            try commit(key, step: "eval")
            setLastUsed(key, secondsAgo: Double(1000 - i * 100))
        }
        try commit(Self.key("other"), step: "train", experiment: "digits")

        let doomedBytes = try store.entries().filter { [train[1], eval[0]].contains($0.key) }.reduce(0) { $0 + $1.bytes }
        let result = try store.gc(keepLast: 2, protecting: [train[0]])

        #expect(result.removed == 2)  // train[1] and eval[0]
        #expect(result.freedBytes == doomedBytes && doomedBytes > 2 * 93)
        let kept = Set(try store.entries().map(\.key))
        #expect(kept == [train[0], train[2], train[3], eval[1], eval[2], Self.key("other")])
        #expect(store.lookup(key: train[1]) == .miss)
    }

    @Test func hitsRefreshLastUsedAndEntriesListNewestFirst() throws {
        let old = Self.key("old"), new = Self.key("new")
        try commit(old)
        try commit(new)
        setLastUsed(old, secondsAgo: 5000)
        setLastUsed(new, secondsAgo: 100)
        #expect(try store.entries().map(\.key) == [new, old])

        _ = store.lookup(key: old)
        let entries = try store.entries()
        #expect(entries.map(\.key) == [old, new])
        #expect(abs(entries[0].lastUsedAt.timeIntervalSinceNow) < 60)
        #expect(entries.allSatisfy { $0.bytes == 80 + 13 + Int64(FileIO.treeBytes($0.url.appendingPathComponent("manifest.json"))) })
        #expect(store.totalBytes() == entries.reduce(0) { $0 + $1.bytes })
    }

    @Test func verifyAllFindsAndEvictsCorruption() throws {
        let good = Self.key("good"), bad = Self.key("bad")
        try commit(good)
        try commit(bad)
        let tensors = store.entryURL(bad).appendingPathComponent("tensors.safetensors")
        var data = try Data(contentsOf: tensors)
        data[0] ^= 0xff
        try data.write(to: tensors)
        let stray = store.objectsDirectory.appendingPathComponent("zz/not-an-entry")
        try FileManager.default.createDirectory(at: stray, withIntermediateDirectories: true)

        let problems = try store.verifyAll()
        #expect(problems.map(\.key) == [bad, "not-an-entry"])
        #expect(problems.first?.problem.hasPrefix("tensors.safetensors: SHA-256 ") == true)
        #expect(problems.last?.problem == "not-an-entry: not a cache entry folder (wrong name or shard)")
        #expect(try store.entries().map(\.key) == [good])
        #expect(!FileManager.default.fileExists(atPath: stray.path))
        #expect(try store.verifyAll().isEmpty)
    }

    @Test func gcRemovesStagingOfACrashedWriterButNotALiveOne() throws {
        // A crashed writer leaves its folder and lock file; its lock died with it.
        let crashed = store.stagingDirectory.appendingPathComponent("crashed-writer")
        try FileManager.default.createDirectory(at: crashed, withIntermediateDirectories: true)
        try Self.bytes(1000).write(to: crashed.appendingPathComponent("tensors.safetensors"))
        #expect(FileManager.default.createFile(atPath: crashed.path + ".lock", contents: nil))
        // One that lost even its lock file.
        let orphan = store.stagingDirectory.appendingPathComponent("orphan")
        try FileManager.default.createDirectory(at: orphan, withIntermediateDirectories: true)
        try Self.bytes(24).write(to: orphan.appendingPathComponent("output.json"))
        // A live writer of this process: its folder must survive.
        let live = try store.stage()
        try Data("{}".utf8).write(to: live.appendingPathComponent("output.json"))
        // A lock file left by a process that died holding an entry lock.
        let staleLock = store.root.appendingPathComponent("locks/\(Self.key("dead")).lock")
        #expect(FileManager.default.createFile(atPath: staleLock.path, contents: nil))

        let result = try store.gc(keepLast: 1)
        #expect(result.removed == 0)
        #expect(result.freedBytes == 1024)
        #expect(contents(store.stagingDirectory) == [live.lastPathComponent, live.lastPathComponent + ".lock"].sorted())
        #expect(!FileManager.default.fileExists(atPath: staleLock.path))

        try store.commit(key: Self.key("live"), staged: live, step: "s", experiment: "e")
        #expect(store.lookup(key: Self.key("live")) == .hit(store.entryURL(Self.key("live"))))
        #expect(contents(store.stagingDirectory).isEmpty)
    }

    @Test func removeAndDiscard() throws {
        let key = Self.key("remove")
        try commit(key)
        #expect(try store.remove(key: key))
        #expect(try !store.remove(key: key))
        #expect(store.lookup(key: key) == .miss)

        let staged = try store.stage()
        try Data("x".utf8).write(to: staged.appendingPathComponent("output.json"))
        try store.discard(staged: staged)
        #expect(contents(store.stagingDirectory).isEmpty)
        #expect(throws: CacheError.notStaged(path: staged.path)) { try self.store.discard(staged: staged) }
    }

    // MARK: Rejected commits

    @Test func commitRejectsBadInput() throws {
        let badKey = try store.stage()
        #expect(throws: CacheError.invalidKey("ABC")) {
            try self.store.commit(key: "ABC", staged: badKey, step: "s", experiment: "e")
        }
        #expect(contents(store.stagingDirectory).isEmpty, "a failed commit consumes its staging folder")

        let reserved = try store.stage()
        try Data("{}".utf8).write(to: reserved.appendingPathComponent("manifest.json"))
        #expect(throws: CacheError.reservedName(path: reserved.appendingPathComponent("manifest.json").path)) {
            try self.store.commit(key: Self.key("r"), staged: reserved, step: "s", experiment: "e")
        }

        let linked = try store.stage()
        try FileManager.default.createSymbolicLink(atPath: linked.appendingPathComponent("weights").path, withDestinationPath: "/etc/hostname")
        #expect(throws: CacheError.unsupportedStagedItem(path: linked.appendingPathComponent("weights").path, kind: "symbolic link")) {
            try self.store.commit(key: Self.key("l"), staged: linked, step: "s", experiment: "e")
        }

        let foreign = root.appendingPathComponent("elsewhere")
        #expect(throws: CacheError.notStaged(path: foreign.path)) {
            try self.store.commit(key: Self.key("f"), staged: foreign, step: "s", experiment: "e")
        }
        #expect(try store.entries().isEmpty)
        #expect(contents(store.stagingDirectory).isEmpty)
    }
}

/// A thread-safe counter for the concurrency tests.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add() { lock.withLock { count += 1 } }
}
