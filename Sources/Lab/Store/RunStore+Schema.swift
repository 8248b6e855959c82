import Foundation
import GRDB

extension RunStore {
    /// The schema's migrations, in order. Invariant: a registered migration is never
    /// edited once released; a schema change is a new migration.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "runs") { t in
                t.primaryKey("id", .text)
                t.column("experiment", .text).notNull()
                t.column("status", .text).notNull()
                t.column("started_at", .datetime).notNull()
                t.column("ended_at", .datetime)
                t.column("failed_step", .text)
                t.column("error", .text)
                t.column("error_location", .text)
                t.column("git_commit", .text)
                t.column("git_branch", .text)
                t.column("git_remote", .text)
                t.column("git_dirty", .boolean)
                t.column("git_patch", .text)
                t.column("environment", .text).notNull()
                t.column("config", .text).notNull()
                t.column("root_seed", .integer).notNull()
                t.column("smoke", .boolean).notNull()
                t.column("pid", .integer).notNull()
                t.column("hostname", .text).notNull()
            }
            try db.create(index: "runs_by_experiment", on: "runs", columns: ["experiment", "started_at"])

            try db.create(table: "params") { t in
                t.column("run_id", .text).notNull().references("runs", onDelete: .cascade)
                t.column("key", .text).notNull()
                t.column("value", .text).notNull()
                t.primaryKey(["run_id", "key"])
            }

            try db.create(table: "steps") { t in
                t.column("run_id", .text).notNull().references("runs", onDelete: .cascade)
                t.column("name", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("key", .text).notNull()
                t.column("cache_hit", .boolean).notNull()
                t.column("status", .text).notNull()
                t.column("seconds", .double).notNull()
                t.column("key_parts", .text).notNull()
                t.column("source_line", .integer).notNull()
                t.primaryKey(["run_id", "name"])
            }

            // Metric series. Points are many (millions per run) and written in bulk, so
            // they are kept narrow: `metric_series` names each series once, and
            // `metric_points` is a WITHOUT ROWID table clustered on (series_id, x) — one
            // B-tree per insert instead of a table plus an index on text columns, which
            // measured 3x faster (see MetricLogger). The view `metrics` joins them back
            // into one row per point: run_id, step, name, x, value.
            try db.create(table: "metric_series") { t in
                t.primaryKey("id", .integer)
                t.column("run_id", .text).notNull().references("runs", onDelete: .cascade)
                t.column("step", .text).notNull()
                t.column("name", .text).notNull()
                t.uniqueKey(["run_id", "step", "name"])
            }
            try db.create(table: "metric_points", options: .withoutRowID) { t in
                t.column("series_id", .integer).notNull()
                t.column("x", .integer).notNull()
                t.column("value", .double)  // NULL stands for NaN, which SQLite cannot store
                t.primaryKey(["series_id", "x"])
            }
            // No foreign key on `metric_points.series_id`: checking it on every point cost
            // 45% of the logging rate. This trigger gives the same cascade on delete.
            try db.execute(sql: """
                CREATE TRIGGER metric_series_delete AFTER DELETE ON metric_series
                BEGIN DELETE FROM metric_points WHERE series_id = OLD.id; END
                """)
            try db.create(view: "metrics", as: SQLRequest(sql: """
                SELECT s.run_id, s.step, s.name, p.x, p.value
                FROM metric_points p JOIN metric_series s ON s.id = p.series_id
                """))

            try db.create(table: "summaries") { t in
                t.column("run_id", .text).notNull().references("runs", onDelete: .cascade)
                t.column("step", .text).notNull()
                t.column("name", .text).notNull()
                t.column("value", .double)
                t.primaryKey(["run_id", "step", "name"])
            }

            try db.create(table: "artifacts") { t in
                t.column("run_id", .text).notNull().references("runs", onDelete: .cascade)
                t.column("step", .text).notNull()
                t.column("name", .text).notNull()
                t.column("path", .text).notNull()
                t.column("sha256", .text).notNull()
                t.column("bytes", .integer).notNull()
                t.primaryKey(["run_id", "step", "name"])
            }
        }
        // What a report needs beyond v1: the experiment file as it was run (prose and step
        // code), and each step's report items (figures, tables, images, text) as JSON.
        migrator.registerMigration("v2") { db in
            try db.create(table: "run_sources") { t in
                t.column("run_id", .text).notNull().primaryKey().references("runs", onDelete: .cascade)
                t.column("path", .text).notNull()
                t.column("text", .text).notNull()
            }
            try db.create(table: "step_outputs") { t in
                t.column("run_id", .text).notNull().references("runs", onDelete: .cascade)
                t.column("step", .text).notNull()
                t.column("items", .text).notNull()
                t.primaryKey(["run_id", "step"])
            }
        }
        return migrator
    }

    /// Brings the schema up to date. Two processes opening a new store at once both try
    /// to migrate; the loser's migration fails on the tables the winner made, which is
    /// fine as long as the winner completed every migration.
    static func migrate(_ pool: DatabasePool) throws {
        let migrator = Self.migrator
        do {
            try migrator.migrate(pool)
        } catch {
            let done = try pool.read { db in try migrator.hasCompletedMigrations(db) }
            if !done { throw error }
        }
    }
}
