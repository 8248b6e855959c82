import Foundation
import GRDB

extension RunStore {
    /// Keeps the experiment file as it was run, so its report can be rendered again later.
    package func saveSource(runId: String, path: String, text: String) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO run_sources (run_id, path, text) VALUES (?, ?, ?)",
                           arguments: [runId, path, text])
        }
    }

    /// The experiment file as it was when `runId` ran, or nil for a run recorded without it.
    package func source(runId: String) throws -> (path: String, text: String)? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT path, text FROM run_sources WHERE run_id = ?", arguments: [runId])
                .map { ($0["path"], $0["text"]) }
        }
    }

    /// Keeps a step's report items (JSON) with the run.
    package func saveStepOutputs(runId: String, step: String, itemsJSON: String) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO step_outputs (run_id, step, items) VALUES (?, ?, ?)",
                           arguments: [runId, step, itemsJSON])
        }
    }

    /// Each step's report items (JSON) for a run, by step name.
    package func stepOutputs(runId: String) throws -> [String: String] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT step, items FROM step_outputs WHERE run_id = ?", arguments: [runId])
            return Dictionary(rows.map { ($0["step"] as String, $0["items"] as String) }, uniquingKeysWith: { $1 })
        }
    }
}
