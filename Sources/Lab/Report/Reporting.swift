import Foundation
import Reports

/// Writes a run's report files and refreshes the index of all experiments.
public enum Reporting {
    /// Writes `reports/<experiment>/` for `runId` under `root`, and `reports/README.md`.
    /// - Returns: the experiment's report folder.
    @discardableResult
    public static func write(store: RunStore, runId: String, root: URL) throws -> URL {
        let document = try RunDocument.build(store: store, runId: runId)
        let reports = root.appendingPathComponent("reports")
        let folder = reports.appendingPathComponent(safeName(document.title))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try ReportWriter.write(document, to: folder)
        try writeIndex(store: store, reports: reports)
        return folder
    }

    /// `reports/README.md`: every experiment that has a report folder, with its latest
    /// non-smoke run's status and metrics.
    public static func writeIndex(store: RunStore, reports: URL) throws {
        var entries: [IndexEntry] = []
        var seen = Set<String>()
        for run in try store.runs() where !run.smoke && seen.insert(run.experiment).inserted {
            guard FileManager.default.fileExists(atPath: reports.appendingPathComponent(safeName(run.experiment)).path) else { continue }
            let metrics = try store.summaries(runId: run.id).map { MetricEntry(step: $0.step, name: $0.name, value: $0.value) }
            entries.append(IndexEntry(experiment: run.experiment, runId: run.id, status: run.status.rawValue,
                                      commit: run.gitCommit, date: run.startedAt, metrics: metrics))
        }
        try ReportWriter.writeIndex(entries.sorted { $0.experiment < $1.experiment }, to: reports)
    }

    /// An experiment name as a folder name: letters, digits, `-`, `_`, `.`; others become `-`.
    public static func safeName(_ name: String) -> String {
        let mapped = String(name.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "-" })
        return mapped.isEmpty || mapped.allSatisfy({ $0 == "." }) ? "experiment" : mapped
    }
}
