import Foundation
import GRDB
import Testing
@testable import Lab

/// A folder on its own small tmpfs (`mount -t tmpfs`, which needs root), so a test can fill
/// the disk; unmounted and removed when released. ``available`` is false where mounting is
/// not allowed, and the tests that need one are skipped.
final class SmallDisk {
    let folder: URL

    init(megabytes: Int = 2, at mountPoint: URL? = nil) throws {
        folder = mountPoint ?? FileManager.default.temporaryDirectory.appendingPathComponent("lab-small-disk-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        guard Self.command("/bin/mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", folder.path) else {
            try? FileManager.default.removeItem(at: folder)
            throw CocoaError(.fileWriteNoPermission)
        }
    }

    deinit {
        _ = Self.command("/bin/umount", folder.path)
        try? FileManager.default.removeItem(at: folder)
    }

    /// Whether a tmpfs can be mounted here (root, and a kernel that lets this container mount).
    static let available: Bool = (try? SmallDisk(megabytes: 1)) != nil

    /// Fills the disk: a file written until the next byte does not fit.
    func fill() {
        let path = folder.appendingPathComponent("filler").path
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        defer { close(fd) }
        for size in [65_536, 4_096, 1] {
            let chunk = [UInt8](repeating: 0x5A, count: size)
            while write(fd, chunk, size) == size {}
        }
    }

    /// Removes the filler.
    func free() { try? FileManager.default.removeItem(at: folder.appendingPathComponent("filler")) }

    private static func command(_ executable: String, _ arguments: String...) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

/// A pid that names no process: a child that has exited and been reaped.
private func deadPid() throws -> Int32 {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/bin/true")
    try child.run()
    child.waitUntilExit()
    return child.processIdentifier
}

private func run(_ id: String, status: RunStatus = .succeeded, pid: Int32 = getpid(), patch: String? = nil) -> RunRecord {
    RunRecord(id: id, experiment: "x", status: status, startedAt: Date(timeIntervalSince1970: 1_795_950_000),
              gitCommit: "abc", gitDirty: patch != nil, gitPatch: patch, pid: pid, hostname: RunStore.currentHostname)
}

/// Failures to record are seen, and reading never needs to write (D16, D20).
@Suite(.serialized) struct StoreFailureTests {
    @Test func listingRunsDoesNotLoadTheirPatches() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lab-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try RunStore(path: folder.appendingPathComponent("lab.sqlite").path)
        let patch = String(repeating: "+a line of a big patch\n", count: 50_000)
        try store.insert(run("r1", patch: patch))
        #expect(try store.runs().map(\.gitPatch) == [nil], "a listing reads every column but the patch")
        #expect(try store.runs().first?.gitDirty == true)
        #expect(try store.run(id: "r1").gitPatch == patch, "one run, as `lab show` reads it, has its patch")
    }

    @Test func aFailedWriteIsReportedNotSwallowed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lab-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try RunStore(path: folder.appendingPathComponent("lab.sqlite").path)
        // A step of a run that is not stored: the foreign key refuses it.
        let step = StepRecord(runId: "missing", name: "s", kind: "step", key: "k", cacheHit: false, status: "succeeded", seconds: 0, sourceLine: 1)
        #expect(store.recording("step 's' (succeeded)") { try store.record(step) } == false)
        #expect(store.recording("nothing") {} == true)
    }

    @Test func aFailedWriteIsRetriedThenThrown() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lab-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try RunStore(path: folder.appendingPathComponent("lab.sqlite").path)
        struct Injected: Error {}
        var calls = 0
        try store.retrying(attempts: 3, pause: 0.001) { calls += 1; if calls < 2 { throw Injected() } }
        #expect(calls == 2, "succeeds on the second attempt")
        calls = 0
        #expect(throws: Injected.self) { try store.retrying(attempts: 3, pause: 0.001) { calls += 1; throw Injected() } }
        #expect(calls == 3)
    }

    @Test(.enabled(if: SmallDisk.available, "needs `mount -t tmpfs` (root)"))
    func onAFullDiskTheStoreIsStillListedAndTheErrorSaysDiskNotDamage() throws {
        let disk = try SmallDisk()
        let path = disk.folder.appendingPathComponent("lab.sqlite").path
        let dead = try deadPid()
        do {
            let store = try RunStore(path: path)
            try store.insert(run("finished"))
            try store.insert(run("killed", status: .running, pid: dead))
            // A store already open when the disk fills: listing marks the crash but cannot
            // write it back, and must not fail for that.
            disk.fill()
            let listed = try store.runs()
            #expect(listed.map(\.status) == [.crashed, .succeeded] || listed.map(\.status) == [.succeeded, .crashed])
            #expect(throws: (any Error).self, "the disk is really full") {
                try store.insert(run("more", patch: String(repeating: "x", count: 1 << 20)))
            }
            disk.free()   // so the last connection's close checkpoints and removes -wal and -shm
        }
        #expect(!FileManager.default.fileExists(atPath: path + "-shm"))
        disk.fill()
        // Opened on the full disk (SQLite must create its -shm file): not "damaged", not
        // "move it aside". (Where a -shm file was left behind, it opens.)
        var opened = true
        do {
            _ = try RunStore(path: path)
        } catch let error as StoreError {
            opened = false
            guard case .diskProblem = error else { Issue.record("expected a disk problem, got: \(error)"); return }
            #expect(!error.description.contains("move it aside") && error.description.contains("keep it"), "\(error)")
        }
        #expect(!opened, "the -shm file could be created on a full disk")
        // What `lab ls` opens: readable (read-only when a normal open fails), the crash shown.
        let snapshot = try RunStore.reading(path: path)
        #expect(snapshot.isReadOnlySnapshot == !opened)
        #expect(try snapshot.runs().first { $0.id == "killed" }?.status == .crashed)
        disk.free()
        let again = try RunStore(path: path)
        #expect(try again.runs().count == 2)
        #expect(RunStore.integrityProblem(path: path) == nil, "the store was never damaged")
    }
}
