import Foundation
import GRDB
import Testing
@testable import Lab

/// A fresh store in its own temporary folder, removed when the test ends.
private final class TemporaryStore {
    let folder: URL
    let path: String
    let store: RunStore

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("lab-store-tests-\(UUID().uuidString)")
        path = folder.appendingPathComponent(".lab/lab.sqlite").path
        store = try RunStore(path: path)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }
}

/// A run with every optional field empty, started at a whole millisecond (the store's precision).
private func makeRun(
    id: String, experiment: String = "mnist", status: RunStatus = .succeeded,
    pid: Int32 = getpid(), hostname: String = RunStore.currentHostname, config: String = "{}"
) -> RunRecord {
    RunRecord(id: id, experiment: experiment, status: status,
              startedAt: Date(timeIntervalSince1970: 1_795_950_123.456),
              config: config, pid: pid, hostname: hostname)
}

/// Checks `actual == expected`, allowing dates to differ by less than a millisecond.
private func expectSameRun(_ actual: RunRecord, _ expected: RunRecord, sourceLocation: SourceLocation = #_sourceLocation) {
    var actual = actual
    #expect(abs(actual.startedAt.timeIntervalSince(expected.startedAt)) < 0.001, sourceLocation: sourceLocation)
    actual.startedAt = expected.startedAt
    #expect((actual.endedAt == nil) == (expected.endedAt == nil), sourceLocation: sourceLocation)
    if let ended = actual.endedAt, let expectedEnd = expected.endedAt {
        #expect(abs(ended.timeIntervalSince(expectedEnd)) < 0.001, sourceLocation: sourceLocation)
        actual.endedAt = expectedEnd
    }
    #expect(actual == expected, sourceLocation: sourceLocation)
}

/// Runs an executable and returns its standard output, trimmed.
private func output(of executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    let status = Sandbox.wait(process)
    #expect(status == 0, "\(executable) \(arguments) exited \(status)")
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The `sqlite3` command-line shell, which the store promises to stay readable by.
private func sqlite3Path() throws -> String {
    let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        .split(separator: ":").map { "\($0)/sqlite3" }
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        Issue.record("the sqlite3 command-line shell is not on PATH; install it (Debian: apt-get install sqlite3)")
        throw CancellationError()
    }
    return found
}

@Suite("RunStore")
struct RunStoreTests {
    @Test("every field of a run survives insert, update and read")
    func runRoundTrip() throws {
        let temp = try TemporaryStore()
        var run = RunRecord(
            id: "20261129-110203-3f9a", experiment: "mnist-mlp", status: .running,
            startedAt: Date(timeIntervalSince1970: 1_795_950_123.456),
            gitCommit: "0123456789abcdef0123456789abcdef01234567", gitBranch: "main",
            gitRemote: "https://example.com/lab.git", gitDirty: true,
            gitPatch: "diff --git a/x b/x\n+é unicode ✓\n",
            environment: #"{"swift":"6.3.1","threads":8}"#,
            config: #"{"lr":0.001,"epochs":3}"#, rootSeed: -42, smoke: true,
            pid: getpid(), hostname: RunStore.currentHostname)
        try temp.store.insert(run)
        expectSameRun(try temp.store.run(id: run.id), run)

        run.status = .failed
        run.endedAt = Date(timeIntervalSince1970: 1_795_950_200.789)
        run.failedStep = "train"
        run.error = "loss is NaN at iteration 12"
        run.errorLocation = "Train.swift:123"
        run.gitDirty = false
        run.rootSeed = Int64.max
        run.smoke = false
        try temp.store.update(run)
        expectSameRun(try temp.store.run(id: run.id), run)

        // Outside a git repository every git field is nil, and stays so.
        let plain = makeRun(id: "20261129-110204-0000")
        try temp.store.insert(plain)
        expectSameRun(try temp.store.run(id: plain.id), plain)
        #expect(try temp.store.runs().map(\.id) == [plain.id, run.id])  // same start: id breaks the tie
    }

    @Test("runs are listed newest first, by experiment and with a limit")
    func listing() throws {
        let temp = try TemporaryStore()
        for (offset, (id, experiment)) in [("a", "mnist"), ("b", "cifar"), ("c", "mnist")].enumerated() {
            var run = makeRun(id: id, experiment: experiment)
            run.startedAt = Date(timeIntervalSince1970: 1_795_950_000 + Double(offset))
            try temp.store.insert(run)
        }
        #expect(try temp.store.runs().map(\.id) == ["c", "b", "a"])
        #expect(try temp.store.runs(experiment: "mnist").map(\.id) == ["c", "a"])
        #expect(try temp.store.runs(limit: 1).map(\.id) == ["c"])
    }

    @Test("inserting the same id twice is refused")
    func duplicateRun() throws {
        let temp = try TemporaryStore()
        try temp.store.insert(makeRun(id: "x"))
        #expect(throws: StoreError.duplicateRun(id: "x")) { try temp.store.insert(makeRun(id: "x")) }
        #expect(throws: StoreError.noSuchRun(id: "y")) { try temp.store.update(makeRun(id: "y")) }
    }

    @Test("params hold one row per top-level config field, as JSON text")
    func params() throws {
        let temp = try TemporaryStore()
        let config = #"""
            { "lr": 0.001, "optimizer": "adam", "layers": [64, 64],
              "model": {"depth": 2, "name": "a,b}"}, "smoke": true, "note": null,
              "quote": "say \"hi\"", "lr": 0.002 }
            """#
        try temp.store.insert(makeRun(id: "r1", config: config))
        let rows = try temp.store.params(runId: "r1").map { "\($0.key)=\($0.value)" }
        #expect(rows == [
            "layers=[64, 64]", "lr=0.002", #"model={"depth": 2, "name": "a,b}"}"#, "note=null",
            "optimizer=\"adam\"", #"quote="say \"hi\"""#, "smoke=true",
        ])

        var run = try temp.store.run(id: "r1")
        run.config = #"{"lr": 0.1}"#
        try temp.store.update(run)
        #expect(try temp.store.params(runId: "r1") == [ParamRecord(runId: "r1", key: "lr", value: "0.1")])

        #expect(throws: StoreError.configNotAJSONObject(runId: "r2", config: "[1, 2]")) {
            try temp.store.insert(makeRun(id: "r2", config: "[1, 2]"))
        }
    }

    @Test("a run is found by its id or a unique prefix of it")
    func idPrefix() throws {
        let temp = try TemporaryStore()
        for id in ["20261129-110203-3f9a", "20261129-110203-77b1", "20261130-090000-0001"] {
            try temp.store.insert(makeRun(id: id))
        }
        #expect(try temp.store.run(id: "20261130").id == "20261130-090000-0001")
        #expect(try temp.store.run(id: "20261129-110203-7").id == "20261129-110203-77b1")
        #expect(try temp.store.run(id: "20261129-110203-3f9a").id == "20261129-110203-3f9a")

        let ambiguous = #expect(throws: StoreError.self) { try temp.store.run(id: "20261129-110203") }
        #expect(ambiguous?.description == "run id '20261129-110203' is ambiguous: it matches "
            + "20261129-110203-3f9a, 20261129-110203-77b1. Give more characters of the id.")
        let none = #expect(throws: StoreError.self) { try temp.store.run(id: "2025") }
        #expect(none?.description == "no run '2025'. Run `lab ls` to list the stored runs.")
        #expect(throws: StoreError.noSuchRun(id: "")) { try temp.store.run(id: "") }
    }

    @Test("metric series come back in x order, across automatic flushes")
    func metrics() throws {
        let temp = try TemporaryStore()
        try temp.store.insert(makeRun(id: "r"))
        let logger = temp.store.metricLogger(runId: "r", flushEvery: 7)
        var expected: [String: [(x: Int64, value: Double)]] = [:]
        for i in 0..<50 {
            let x = Int64(i)
            try logger.log(step: "train", name: "loss", x: x, value: 1 / Double(i + 1))
            expected["train/loss", default: []].append((x, 1 / Double(i + 1)))
            // Logged backwards, read forwards.
            try logger.log(step: "eval", name: "acc", x: 100 - x, value: Double(i))
            expected["eval/acc", default: []].insert((100 - x, Double(i)), at: 0)
        }
        // 100 points with a flush every 7: 98 are written, 2 still buffered.
        #expect(try temp.store.metricPoints(runId: "r").count == 98)
        try logger.log(step: "train", name: "lr", x: 0, value: .infinity)
        try logger.log(step: "train", name: "lr", x: 1, value: .nan)
        try logger.log(step: "train", name: "lr", x: 1, value: 0.5)  // replaces the NaN
        try logger.log(step: "train", name: "gnorm", x: 3, value: .nan)
        expected["train/lr"] = [(0, .infinity), (1, 0.5)]
        try logger.close()

        let series = try temp.store.series(runId: "r")
        #expect(Set(series.keys) == Set(expected.keys).union(["train/gnorm"]))
        for (key, points) in expected {
            #expect(series[key]?.map(\.x) == points.map(\.x), "\(key) x")
            #expect(series[key]?.map(\.value) == points.map(\.value), "\(key) values")
        }
        #expect(series["train/gnorm"]?.count == 1)
        #expect(series["train/gnorm"]?.first?.value.isNaN == true)
        #expect(try temp.store.metricPoints(runId: "r").count == 103)

        #expect(throws: StoreError.loggerClosed(runId: "r")) {
            try logger.log(step: "train", name: "loss", x: 51, value: 0)
        }
    }

    @Test("several threads may log at once")
    func metricsFromThreads() throws {
        let temp = try TemporaryStore()
        try temp.store.insert(makeRun(id: "r"))
        let logger = temp.store.metricLogger(runId: "r", flushEvery: 1_000)
        let errors = ErrorList()
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            do {
                for i in 0..<10_000 {
                    try logger.log(step: "worker\(thread)", name: "loss", x: Int64(i), value: Double(thread))
                }
            } catch {
                errors.append(error)
            }
        }
        try logger.close()
        #expect(errors.all.isEmpty, "\(errors.all)")
        let series = try temp.store.series(runId: "r")
        for thread in 0..<4 {
            #expect(series["worker\(thread)/loss"]?.map(\.x) == Array(0..<10_000))
            #expect(series["worker\(thread)/loss"]?.allSatisfy { $0.value == Double(thread) } == true)
        }
    }

    @Test("logging for a run that is not stored fails at flush, and keeps the points")
    func metricsForMissingRun() throws {
        let temp = try TemporaryStore()
        let logger = temp.store.metricLogger(runId: "ghost")
        try logger.log(step: "train", name: "loss", x: 0, value: 1)
        #expect(throws: StoreError.noSuchRun(id: "ghost")) { try logger.flush() }
        try temp.store.insert(makeRun(id: "ghost"))
        try logger.close()
        #expect(try temp.store.series(runId: "ghost")["train/loss"]?.map(\.value) == [1])
    }

    @Test("steps, summaries and artifacts are upserted")
    func upserts() throws {
        let temp = try TemporaryStore()
        try temp.store.insert(makeRun(id: "r"))

        try temp.store.setSummary(runId: "r", step: "eval", name: "accuracy", value: 0.5)
        try temp.store.setSummary(runId: "r", step: "eval", name: "accuracy", value: 0.97)
        try temp.store.setSummary(runId: "r", step: "data", name: "examples", value: 60_000)
        #expect(try temp.store.summaries(runId: "r") == [
            SummaryRecord(runId: "r", step: "data", name: "examples", value: 60_000),
            SummaryRecord(runId: "r", step: "eval", name: "accuracy", value: 0.97),
        ])

        let key = String(repeating: "ab", count: 32)
        var train = StepRecord(runId: "r", name: "train", kind: "train", key: key, cacheHit: false,
                               status: "not run", seconds: 0, keyParts: #"{"code":"00ff"}"#, sourceLine: 12)
        let data = StepRecord(runId: "r", name: "data", kind: "data", key: key, cacheHit: true,
                              status: "succeeded", seconds: 0.25, sourceLine: 4)
        try temp.store.record(train)
        try temp.store.record(data)
        train.status = "succeeded"
        train.seconds = 12.5
        try temp.store.record(train)
        #expect(try temp.store.steps(runId: "r") == [train, data])

        var artifact = ArtifactRecord(runId: "r", step: "train", name: "checkpoint",
                                      path: ".lab/cache/ab.pt", sha256: key, bytes: 1 << 40)
        try temp.store.addArtifact(artifact)
        artifact.bytes = 10
        try temp.store.addArtifact(artifact)
        #expect(try temp.store.artifacts(runId: "r") == [artifact])
    }

    @Test("a running run whose process is gone is reported, and stored, as crashed")
    func crashDetection() throws {
        let temp = try TemporaryStore()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()  // reaped: its pid no longer names a process
        let deadPid = child.processIdentifier

        try temp.store.insert(makeRun(id: "dead", status: .running, pid: deadPid))
        try temp.store.insert(makeRun(id: "alive", status: .running, pid: getpid()))
        try temp.store.insert(makeRun(id: "elsewhere", status: .running, pid: deadPid, hostname: "another-host"))
        try temp.store.insert(makeRun(id: "done", status: .succeeded, pid: deadPid))

        #expect(try temp.store.run(id: "dead").status == .crashed)
        let statuses = Dictionary(uniqueKeysWithValues: try temp.store.runs().map { ($0.id, $0.status) })
        #expect(statuses == ["dead": .crashed, "alive": .running, "elsewhere": .running, "done": .succeeded])
        // Persisted: a plain read of the table sees it too.
        let stored = try temp.store.pool.read { db in
            try String.fetchOne(db, sql: "SELECT status FROM runs WHERE id = 'dead'")
        }
        #expect(stored == "crashed")
    }

    @Test("the database is in WAL mode")
    func walMode() throws {
        let temp = try TemporaryStore()
        let mode = try temp.store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        #expect(FileManager.default.fileExists(atPath: temp.path))
    }

    @Test("two writers on two connections both succeed")
    func concurrentWriters() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lab-store-tests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("lab.sqlite").path
        let errors = ErrorList()
        // Both open the new database at once too, racing to create the schema.
        DispatchQueue.concurrentPerform(iterations: 2) { writer in
            do {
                let store = try RunStore(path: path)
                for i in 0..<1_000 {
                    try store.insert(makeRun(id: "w\(writer)-\(i)", config: #"{"i": \#(i)}"#))
                }
            } catch {
                errors.append(error)
            }
        }
        #expect(errors.all.isEmpty, "\(errors.all)")
        let store = try RunStore(path: path)
        #expect(try store.runs().count == 2_000)
        let check = try store.pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        #expect(check == ["ok"])
    }

    @Test("the database is readable with the sqlite3 shell")
    func readableBySqlite3() throws {
        let temp = try TemporaryStore()
        try temp.store.insert(makeRun(id: "20261129-110203-3f9a"))
        let logger = temp.store.metricLogger(runId: "20261129-110203-3f9a")
        for i in 0..<100 { try logger.log(step: "train", name: "loss", x: Int64(i), value: Double(i)) }
        try logger.close()

        let sqlite3 = try sqlite3Path()
        #expect(try output(of: sqlite3, [temp.path, "select count(*) from metrics"]) == "100")
        #expect(try output(of: sqlite3, [temp.path, "select id, status from runs"]) == "20261129-110203-3f9a|succeeded")
        #expect(try output(of: sqlite3, [temp.path, "select x, value from metrics where name = 'loss' and x = 7"]) == "7|7.0")
    }
}

/// Error messages, pinned word for word.
@Suite("StoreError")
struct StoreErrorTests {
    @Test("each message says what failed, the value and what to do", arguments: [
        (StoreError.noSuchRun(id: "abc"), "no run 'abc'. Run `lab ls` to list the stored runs."),
        (StoreError.ambiguousRunId(prefix: "2026", candidates: ["2026-a", "2026-b"]),
         "run id '2026' is ambiguous: it matches 2026-a, 2026-b. Give more characters of the id."),
        (StoreError.ambiguousRunId(prefix: "2", candidates: (1...12).map { "r\($0)" }),
         "run id '2' is ambiguous: it matches r1, r2, r3, r4, r5, r6, r7, r8, r9, r10 and 2 more. "
            + "Give more characters of the id."),
        (StoreError.duplicateRun(id: "r1"), "a run with id 'r1' is already stored. Give each run a fresh id."),
        (StoreError.configNotAJSONObject(runId: "r1", config: "[1]"),
         "the config of run 'r1' is not a JSON object: [1]. Store the config as a JSON object, e.g. {\"lr\": 0.001}."),
        (StoreError.loggerClosed(runId: "r1"),
         "the metric logger of run 'r1' is closed. Log every point before calling close()."),
        (StoreError.cannotCreateFolder(path: "/x/.lab", reason: "Permission denied"),
         "cannot create the run store folder '/x/.lab': Permission denied. "
            + "Check that the parent folder exists and is writable."),
        (StoreError.cannotOpen(path: "/x/lab.sqlite", reason: "unable to open database file"),
         "cannot open the run store '/x/lab.sqlite': unable to open database file. "
            + "Check that the file and its folder are readable and writable by this user."),
        (StoreError.diskProblem(path: "/x/lab.sqlite", reason: "disk I/O error"),
         "cannot use the run store '/x/lab.sqlite': disk I/O error. The disk holding it is full or failing: free space on it (df -h '/x') and run again. Nothing says the store is damaged: keep it, it holds the run history."),
        (StoreError.damaged(path: "/x/lab.sqlite", reason: "file is not a database"),
         "the run store '/x/lab.sqlite' is damaged: file is not a database. Move it aside (mv '/x/lab.sqlite' '/x/lab.sqlite.damaged') and Lab will start a new one; sqlite3's .recover may still read the old runs from it."),
    ])
    func message(error: StoreError, text: String) {
        #expect(error.description == text)
    }

    @Test("a file that is not a database is reported as such")
    func notADatabase() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lab-store-tests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("lab.sqlite").path
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: StoreError.self) { try RunStore(path: path) }
        #expect(error == .damaged(path: path, reason: "file is not a database"), "only a file that fails the integrity check is called damaged")
    }
}

/// Errors collected from several threads.
private final class ErrorList: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Error] = []
    func append(_ error: Error) { lock.withLock { errors.append(error) } }
    var all: [Error] { lock.withLock { errors } }
}
