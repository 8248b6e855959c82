import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The run store: one SQLite database (normally `.lab/lab.sqlite`) holding runs, their
/// params, steps, metric series, summaries and artifacts.
///
/// The database is in WAL mode, so readers never block the writer and several processes
/// may write to it at once (each waits up to ``busyTimeout`` for the others). It is plain
/// SQLite with snake_case columns, readable with `sqlite3`:
///
/// ```
/// sqlite3 .lab/lab.sqlite "select id, status from runs order by started_at desc"
/// ```
///
/// Invariant: every write is one transaction; a reader never sees half a run or half a flush.
package final class RunStore: @unchecked Sendable {
    /// The path of the database file.
    package let path: String
    /// How long a writer waits for another process's transaction before giving up.
    package static let busyTimeout: TimeInterval = 10
    /// The store's conventional location inside a project: `.lab/lab.sqlite`.
    package static let defaultRelativePath = ".lab/lab.sqlite"

    /// The connection pool; one writer and several concurrent readers (a read-only queue
    /// for a store opened by ``reading(path:)`` on a full disk).
    let pool: any DatabaseWriter
    /// Whether the store was opened read-only, as the file was at its last checkpoint.
    package let isReadOnlySnapshot: Bool

    /// Opens the store at `path`, creating the file, its parent folders and the schema
    /// as needed.
    ///
    /// - Parameter path: The database file, e.g. `<project>/.lab/lab.sqlite`.
    /// - Throws: ``StoreError/cannotCreateFolder(path:reason:)`` when the parent folder
    ///   cannot be made; when SQLite cannot open or migrate the file,
    ///   ``StoreError/diskProblem(path:reason:)`` for a full or failing disk,
    ///   ``StoreError/damaged(path:reason:)`` when the file fails SQLite's integrity check,
    ///   else ``StoreError/cannotOpen(path:reason:)``.
    package init(path: String) throws {
        self.path = path
        isReadOnlySnapshot = false
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw StoreError.cannotCreateFolder(path: folder, reason: Self.reason(error))
            }
        }
        var config = Configuration()
        config.busyMode = .timeout(Self.busyTimeout)
        config.prepareDatabase { db in
            // In WAL mode NORMAL never corrupts the database; it only lets the last
            // transactions before a power loss be lost, and it skips an fsync per commit.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try Self.openPool(path: path, configuration: config)
        } catch {
            throw Self.openError(path: path, error)
        }
    }

    /// The store at `path`, opened for reading, as `lab ls`, `show` and `report` do: like
    /// ``init(path:)``, except that when the disk is too full (or failing) for SQLite to open
    /// it normally — opening a WAL database creates its `-shm` file — the file is opened
    /// read-only and immutable, as it was at its last checkpoint, with a warning on standard
    /// error. Writes to such a store fail.
    ///
    /// - Parameter path: The database file.
    /// - Throws: As ``init(path:)``, when the read-only open fails too.
    package static func reading(path: String) throws -> RunStore {
        do {
            return try RunStore(path: path)
        } catch StoreError.diskProblem(let failedPath, let reason) {
            var configuration = Configuration()
            configuration.readonly = true
            // `immutable=1`: no -shm or -wal is created or read (SQLite is built with URI names).
            let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#%"))
            let uri = "file:" + (path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path) + "?immutable=1"
            let store: RunStore
            do {
                let queue = try DatabaseQueue(path: uri, configuration: configuration)
                _ = try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM runs") }
                store = RunStore(path: path, pool: queue)
            } catch {
                throw StoreError.diskProblem(path: failedPath, reason: reason)
            }
            FileHandle.standardError.write(Data(
                "warning: \(reason): the run store '\(path)' is read as it was at its last checkpoint (read-only)\n".utf8))
            return store
        }
    }

    /// A store over an open read-only snapshot.
    private init(path: String, pool: DatabaseQueue) {
        self.path = path
        self.pool = pool
        isReadOnlySnapshot = true
    }

    /// Opens and migrates the database, retrying while another process is creating it.
    ///
    /// Two processes opening a new database at once can get SQLITE_BUSY without the busy
    /// timeout applying: GRDB's WAL setup and the migrator read the schema and then write
    /// to it, and SQLite refuses (rather than waits for) a read transaction that would
    /// become a write after another connection wrote. Once the database exists, this
    /// cannot happen, so retrying for up to ``busyTimeout`` is enough.
    private static func openPool(path: String, configuration: Configuration) throws -> DatabasePool {
        let deadline = Date().addingTimeInterval(busyTimeout)
        var attempt: UInt32 = 0
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try migrate(pool)
                return pool
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                attempt += 1
                usleep(UInt32.random(in: 1_000...10_000) * min(attempt, 10))  // jittered back-off
            }
        }
    }

    /// Opens the store of the project at `projectRoot`, at ``defaultRelativePath``.
    ///
    /// - Parameter projectRoot: The project's root folder.
    /// - Throws: As ``init(path:)``.
    package convenience init(projectRoot: URL) throws {
        try self.init(path: projectRoot.appendingPathComponent(Self.defaultRelativePath).path)
    }

    // MARK: - Runs

    /// Stores a new run, and one `params` row for each top-level field of its config.
    ///
    /// - Parameter run: The run; its `config` must be a JSON object.
    /// - Throws: ``StoreError/duplicateRun(id:)`` when the id is taken,
    ///   ``StoreError/configNotAJSONObject(runId:config:)`` when the config is not a JSON object.
    package func insert(_ run: RunRecord) throws {
        let params = try Self.params(of: run)
        try pool.write { db in
            if try RunRecord.exists(db, key: run.id) { throw StoreError.duplicateRun(id: run.id) }
            try run.insert(db)
            for param in params { try param.insert(db) }
        }
    }

    /// Replaces a stored run with `run` (same id), e.g. to record how it ended; its
    /// params are rebuilt from its config.
    ///
    /// - Parameter run: The run, as it is now.
    /// - Throws: ``StoreError/noSuchRun(id:)`` when no run has this id,
    ///   ``StoreError/configNotAJSONObject(runId:config:)`` when the config is not a JSON object.
    package func update(_ run: RunRecord) throws {
        let params = try Self.params(of: run)
        try pool.write { db in
            guard try RunRecord.exists(db, key: run.id) else { throw StoreError.noSuchRun(id: run.id) }
            try run.update(db)
            try ParamRecord.filter(Column("run_id") == run.id).deleteAll(db)
            for param in params { try param.insert(db) }
        }
    }

    /// The stored runs, newest first, without their patches: ``RunRecord/gitPatch`` is nil
    /// here (a listing never needs it, and a patch may be a megabyte); ``run(id:)`` reads it.
    /// Runs left `running` by a process that no longer exists on this host are reported as
    /// ``RunStatus/crashed``, and stored so when the store can be written.
    ///
    /// - Parameters:
    ///   - experiment: Only the runs of this experiment; all runs when `nil`.
    ///   - limit: At most this many runs; all when `nil`.
    /// - Throws: A database error when the store cannot be read.
    package func runs(experiment: String? = nil, limit: Int? = nil) throws -> [RunRecord] {
        let runs = try pool.read { db in
            var request = RunRecord.select(Self.listedColumns)
                .order(Column("started_at").desc, Column("id").desc)
            if let experiment { request = request.filter(Column("experiment") == experiment) }
            if let limit { request = request.limit(limit) }
            return try request.fetchAll(db)
        }
        return markingCrashes(runs)
    }

    /// Every column of `runs` except `git_patch`: what ``runs(experiment:limit:)`` reads.
    static var listedColumns: [any SQLSelectable] {
        ["id", "experiment", "status", "started_at", "ended_at", "failed_step", "error", "error_location",
         "git_commit", "git_branch", "git_remote", "git_dirty", "environment", "config", "root_seed", "smoke",
         "pid", "hostname"].map { Column($0) }
    }

    /// The run whose id is `id`, or else the only run whose id starts with `id`.
    ///
    /// - Parameter id: A full run id or a unique prefix of one, e.g. `20261129-1102`.
    /// - Throws: ``StoreError/noSuchRun(id:)`` when no id matches,
    ///   ``StoreError/ambiguousRunId(prefix:candidates:)`` when several do.
    package func run(id: String) throws -> RunRecord {
        let found: RunRecord = try pool.read { db in
            if let exact = try RunRecord.fetchOne(db, key: id) { return exact }
            guard !id.isEmpty else { throw StoreError.noSuchRun(id: id) }
            let matches = try RunRecord
                .filter(sql: "substr(id, 1, length(?)) = ?", arguments: [id, id])
                .order(Column("id"))
                .fetchAll(db)
            switch matches.count {
            case 0: throw StoreError.noSuchRun(id: id)
            case 1: return matches[0]
            default: throw StoreError.ambiguousRunId(prefix: id, candidates: matches.map(\.id))
            }
        }
        return markingCrashes([found])[0]
    }

    // MARK: - Steps, summaries, artifacts

    /// Stores a step of a run, replacing the step of the same name if there is one.
    ///
    /// - Parameter step: The step record.
    /// - Throws: A database error, e.g. when its run is not stored.
    package func record(_ step: StepRecord) throws {
        try pool.write { db in try step.upsert(db) }
    }

    /// The steps of a run, in the order they were first recorded.
    ///
    /// - Parameter runId: The full run id.
    /// - Throws: A database error when the store cannot be read.
    package func steps(runId: String) throws -> [StepRecord] {
        try pool.read { db in
            try StepRecord.filter(Column("run_id") == runId).order(Column.rowID).fetchAll(db)
        }
    }

    /// The runs, of any experiment, that computed an entry of `key` (not taking it from the
    /// cache), newest first: who made an entry another experiment now shares.
    ///
    /// - Parameter key: A step's cache key (hex).
    /// - Throws: A database error when the store cannot be read.
    package func runsComputing(key: String) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT run_id FROM steps WHERE key = ? AND cache_hit = 0 ORDER BY rowid DESC",
                                arguments: [key])
        }
    }

    /// Sets a named scalar result of a step, replacing any earlier value.
    ///
    /// - Parameters:
    ///   - runId: The full run id.
    ///   - step: The step that produced the value.
    ///   - name: The summary's name, e.g. `accuracy`.
    ///   - value: The value.
    /// - Throws: A database error, e.g. when the run is not stored.
    package func setSummary(runId: String, step: String, name: String, value: Double) throws {
        let summary = SummaryRecord(runId: runId, step: step, name: name, value: value)
        try pool.write { db in try summary.upsert(db) }
    }

    /// The summaries of a run, ordered by step, then name.
    ///
    /// - Parameter runId: The full run id.
    /// - Throws: A database error when the store cannot be read.
    package func summaries(runId: String) throws -> [SummaryRecord] {
        try pool.read { db in
            try SummaryRecord.filter(Column("run_id") == runId)
                .order(Column("step"), Column("name")).fetchAll(db)
        }
    }

    /// Records a file a step produced, replacing the artifact of the same step and name.
    ///
    /// - Parameter artifact: The artifact record.
    /// - Throws: A database error, e.g. when its run is not stored.
    package func addArtifact(_ artifact: ArtifactRecord) throws {
        try pool.write { db in try artifact.upsert(db) }
    }

    /// The artifacts of a run, ordered by step, then name.
    ///
    /// - Parameter runId: The full run id.
    /// - Throws: A database error when the store cannot be read.
    package func artifacts(runId: String) throws -> [ArtifactRecord] {
        try pool.read { db in
            try ArtifactRecord.filter(Column("run_id") == runId)
                .order(Column("step"), Column("name")).fetchAll(db)
        }
    }

    /// The params of a run, one per top-level config field, ordered by key.
    ///
    /// - Parameter runId: The full run id.
    /// - Throws: A database error when the store cannot be read.
    package func params(runId: String) throws -> [ParamRecord] {
        try pool.read { db in
            try ParamRecord.filter(Column("run_id") == runId).order(Column("key")).fetchAll(db)
        }
    }

    // MARK: - Metric series

    /// Opens a buffered logger for the metric series of a run.
    ///
    /// - Parameters:
    ///   - runId: The full run id.
    ///   - flushEvery: How many buffered points trigger a write.
    package func metricLogger(runId: String, flushEvery: Int = MetricLogger.defaultFlushEvery) -> MetricLogger {
        MetricLogger(store: self, runId: runId, flushEvery: flushEvery)
    }

    /// The metric series of a run, keyed `step/name`, each ordered by x. A NaN value is stored as SQL NULL and read back as NaN.
    ///
    /// - Parameter runId: The full run id.
    /// - Throws: A database error when the store cannot be read.
    package func series(runId: String) throws -> [String: [(x: Int64, value: Double)]] {
        try pool.read { db in
            var result: [String: [(x: Int64, value: Double)]] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT step, name, x, value FROM metrics
                WHERE run_id = ? ORDER BY step, name, x
                """, arguments: [runId])
            var currentKey = ""
            var current: [(x: Int64, value: Double)] = []
            while let row = try rows.next() {
                let key = "\(row[0] as String)/\(row[1] as String)"
                if key != currentKey {
                    if !current.isEmpty { result[currentKey] = current }
                    currentKey = key
                    current = []
                }
                current.append((x: row[2], value: (row[3] as Double?) ?? .nan))
            }
            if !current.isEmpty { result[currentKey] = current }
            return result
        }
    }

    /// Every metric point of a run, one per row of the `metrics` view, ordered by step,
    /// name and x.
    ///
    /// - Parameter runId: The full run id.
    /// - Throws: A database error when the store cannot be read.
    package func metricPoints(runId: String) throws -> [MetricPoint] {
        try pool.read { db in
            try MetricPoint.filter(Column("run_id") == runId)
                .order(Column("step"), Column("name"), Column("x")).fetchAll(db)
        }
    }

    // MARK: - Crash detection

    /// The name of this host, as stored in ``RunRecord/hostname``: ``MachineInfo/hostName``,
    /// the one source used both when a run starts and when crashes are detected.
    package static var currentHostname: String { MachineInfo.hostName }

    /// Whether process `pid` exists on this host. A process that exists but belongs to
    /// another user (EPERM) counts as alive.
    static func processExists(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno != ESRCH
    }

    /// Returns `runs` with every `running` run whose process is gone from this host marked
    /// ``RunStatus/crashed``, and stores that status when the store can be written.
    private func markingCrashes(_ runs: [RunRecord]) -> [RunRecord] {
        let host = Self.currentHostname
        var runs = runs
        var crashed: [String] = []
        for index in runs.indices
        where runs[index].status == .running && runs[index].hostname == host
            && !Self.processExists(runs[index].pid) {
            runs[index].status = .crashed
            crashed.append(runs[index].id)
        }
        guard !crashed.isEmpty else { return runs }
        // Best effort: listing is a read and must work on a full disk or a read-only `.lab/`;
        // the status is derived again on every read, so a write that fails loses nothing.
        try? pool.write { db in
            for id in crashed {
                // Only a run still marked running: its runner may have just finished it.
                try db.execute(sql: "UPDATE runs SET status = ? WHERE id = ? AND status = ?",
                               arguments: [RunStatus.crashed, id, RunStatus.running])
            }
        }
        return runs
    }

    // MARK: - Helpers

    /// The params rows of a run: one per top-level field of its config.
    private static func params(of run: RunRecord) throws -> [ParamRecord] {
        guard let fields = JSONFields.topLevel(of: run.config) else {
            throw StoreError.configNotAJSONObject(runId: run.id, config: run.config)
        }
        return fields.map { ParamRecord(runId: run.id, key: $0.key, value: $0.value) }
    }

    /// The error for a store that would not open, worded by its cause: only a file that
    /// fails SQLite's integrity check is called damaged (and worth moving aside).
    static func openError(path: String, _ error: Error) -> StoreError {
        let reason = Self.reason(error)
        guard let database = error as? DatabaseError else { return .cannotOpen(path: path, reason: reason) }
        switch database.resultCode.primaryResultCode {
        case .SQLITE_FULL, .SQLITE_IOERR:
            return .diskProblem(path: path, reason: reason)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            if let problem = integrityProblem(path: path) { return .damaged(path: path, reason: problem) }
            return .cannotOpen(path: path, reason: reason)
        default:
            return .cannotOpen(path: path, reason: reason)
        }
    }

    /// What SQLite's integrity check finds wrong with the file at `path`, read-only; nil when
    /// it passes or cannot run for another reason than damage (an I/O error, say).
    static func integrityProblem(path: String) -> String? {
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let findings = try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check(5)") }
            return findings == ["ok"] ? nil : "integrity check: " + findings.joined(separator: "; ")
        } catch let error as DatabaseError
                    where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode.primaryResultCode) {
            return Self.reason(error)
        } catch {
            return nil
        }
    }

    /// A one-line reason for an underlying error.
    static func reason(_ error: Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error)" }
        if let error = error as? StoreError { return error.description }
        return error.localizedDescription
    }
}
