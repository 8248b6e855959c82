import Foundation
import GRDB
#if canImport(GRDBSQLite)
import GRDBSQLite
#else
import SQLite3
#endif

/// Buffered logging of the metric series of one run, fast enough to log every iteration.
///
/// ``log(step:name:x:value:)`` only appends to an in-memory buffer (under a lock, so any
/// thread may log); ``flush()`` writes the buffer in one transaction, through one prepared
/// INSERT reused for every point. The logger flushes by itself every ``flushEvery`` points
/// and on ``close()``.
///
/// A series is identified by `(step, name)`, and holds one value per `x`: logging the same
/// `x` again replaces the earlier value. NaN is stored as SQL NULL and read back as NaN.
///
/// Why it is fast (about 1.1M points/s end to end on 2 shared cores, measured by
/// `LabStoreBench`; the target is 1M):
/// - points are bound with the SQLite C API on GRDB's cached statement: binding through
///   GRDB's `StatementArguments` nearly halved the rate;
/// - they go to the narrow WITHOUT ROWID table `metric_points`, clustered on
///   `(series_id, x)`: one B-tree write per point. A flat table of text columns plus an
///   index on `(run_id, step, name, x)` managed about 400k points/s;
/// - `metric_points` has no foreign key (a check per point cost 45%; a trigger cascades
///   deletes instead), and the database runs with `synchronous = NORMAL` in WAL mode.
/// Multi-row `INSERT … VALUES (…),(…)` batches measured no faster, so each point is one
/// execution of a one-row INSERT.
package final class MetricLogger: @unchecked Sendable {
    /// The default number of buffered points that triggers a write.
    package static let defaultFlushEvery = 50_000

    /// The run whose series are logged.
    package let runId: String
    /// How many buffered points trigger a write.
    package let flushEvery: Int

    private let store: RunStore
    /// Up to this many series are looked up by a linear scan rather than by hashing.
    private static let linearSearchLimit = 16

    /// One buffered point; `series` indexes ``seriesNames``.
    private struct Point {
        var series: Int32
        var x: Int64
        var value: Double
    }

    private struct SeriesName: Hashable {
        var step: String
        var name: String
    }

    // Guarded by `bufferLock`.
    private let bufferLock = NSLock()
    private var buffer: [Point] = []
    private var seriesIndex: [SeriesName: Int32] = [:]
    private var seriesNames: [SeriesName] = []
    private var closed = false

    // Guarded by `writeLock`, which also keeps flushes in the order their points were logged.
    private let writeLock = NSLock()
    private var seriesIds: [Int64] = []  // database id of each entry of `seriesNames`

    /// Creates a logger for the series of run `runId`; ``RunStore/metricLogger(runId:flushEvery:)``
    /// is the usual way to get one.
    ///
    /// - Parameters:
    ///   - store: The store to write to.
    ///   - runId: The full id of a stored run.
    ///   - flushEvery: How many buffered points trigger a write; at least 1.
    package init(store: RunStore, runId: String, flushEvery: Int = MetricLogger.defaultFlushEvery) {
        self.store = store
        self.runId = runId
        self.flushEvery = max(1, flushEvery)
        buffer.reserveCapacity(self.flushEvery)
    }

    /// Writes what is still buffered; a failure is a warning on standard error (call
    /// ``close()`` to handle it instead).
    deinit {
        let pending = bufferLock.withLock { buffer.count }
        store.recording("\(pending) buffered metric points of run '\(runId)'") { try flush() }
    }

    /// Buffers one point of the series `step/name`; writes the buffer when it holds
    /// ``flushEvery`` points.
    ///
    /// - Parameters:
    ///   - step: The step logging the point, e.g. `train`.
    ///   - name: The series name, e.g. `loss`.
    ///   - x: The position along the series, e.g. the iteration.
    ///   - value: The value at `x`.
    /// - Throws: ``StoreError/loggerClosed(runId:)`` after ``close()``; the errors of
    ///   ``flush()`` when this point triggers a write.
    package func log(step: String, name: String, x: Int64, value: Double) throws {
        bufferLock.lock()
        if closed {
            bufferLock.unlock()
            throw StoreError.loggerClosed(runId: runId)
        }
        let series = index(step: step, name: name)
        buffer.append(Point(series: series, x: x, value: value))
        let full = buffer.count >= flushEvery
        bufferLock.unlock()
        if full { try flush() }
    }

    /// Writes every buffered point in one transaction. On failure the points stay buffered,
    /// so a later flush can write them.
    ///
    /// - Throws: ``StoreError/noSuchRun(id:)`` when the run is not stored; a database
    ///   error when the write fails.
    package func flush() throws {
        writeLock.lock()
        defer { writeLock.unlock() }
        bufferLock.lock()
        let points = buffer
        let names = seriesNames
        buffer.removeAll(keepingCapacity: true)
        bufferLock.unlock()
        guard !points.isEmpty else { return }
        do {
            try write(points, names: names)
        } catch {
            bufferLock.lock()
            buffer.insert(contentsOf: points, at: 0)
            bufferLock.unlock()
            throw error
        }
    }

    /// Writes what is buffered and refuses further points. Closing twice is harmless.
    ///
    /// - Throws: As ``flush()``.
    package func close() throws {
        bufferLock.lock()
        closed = true
        bufferLock.unlock()
        try flush()
    }

    // MARK: - Internals

    /// The index of a series in ``seriesNames``, adding it if new. Call with `bufferLock` held.
    private func index(step: String, name: String) -> Int32 {
        if seriesNames.count <= Self.linearSearchLimit {
            // A training loop logs a handful of series in turn; comparing their names
            // (usually the very same string literals) is cheaper than hashing them.
            for (index, series) in seriesNames.enumerated() where series.step == step && series.name == name {
                return Int32(index)
            }
        }
        let series = SeriesName(step: step, name: name)
        if let known = seriesIndex[series] { return known }
        let index = Int32(seriesNames.count)
        seriesNames.append(series)
        seriesIndex[series] = index
        return index
    }

    /// Writes `points` in one transaction. Call with `writeLock` held.
    private func write(_ points: [Point], names: [SeriesName]) throws {
        seriesIds = try store.pool.write { db in
            let ids = try resolveSeriesIds(names, db)
            let sql = "INSERT OR REPLACE INTO metric_points (series_id, x, value) VALUES (?, ?, ?)"
            let statement = try db.cachedStatement(sql: sql)
            let handle = statement.sqliteStatement
            defer {
                sqlite3_reset(handle)
                sqlite3_clear_bindings(handle)
            }
            for point in points {
                sqlite3_bind_int64(handle, 1, ids[Int(point.series)])
                sqlite3_bind_int64(handle, 2, point.x)
                sqlite3_bind_double(handle, 3, point.value)  // SQLite stores NaN as NULL
                let code = sqlite3_step(handle)
                guard code == SQLITE_DONE else {
                    let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
                }
                sqlite3_reset(handle)
            }
            return ids
        }
    }

    /// The database id of every series in `names`, adding rows to `metric_series` for new
    /// ones. Call with `writeLock` held, inside the write transaction: the ids are kept in
    /// ``seriesIds`` only once that transaction commits.
    private func resolveSeriesIds(_ names: [SeriesName], _ db: Database) throws -> [Int64] {
        guard seriesIds.count < names.count else { return seriesIds }
        guard try RunRecord.exists(db, key: runId) else { throw StoreError.noSuchRun(id: runId) }
        var resolved = seriesIds
        for series in names[resolved.count...] {
            try db.execute(
                sql: "INSERT OR IGNORE INTO metric_series (run_id, step, name) VALUES (?, ?, ?)",
                arguments: [runId, series.step, series.name])
            let id = try Int64.fetchOne(
                db, sql: "SELECT id FROM metric_series WHERE run_id = ? AND step = ? AND name = ?",
                arguments: [runId, series.step, series.name])
            resolved.append(id!)  // inserted or already there, in this transaction
        }
        return resolved
    }
}
