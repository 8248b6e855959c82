import Foundation
import Reports
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a run's report files and refreshes the index of all experiments.
///
/// Runs of one project may finish at the same moment, so a report folder and the index
/// are written together under an exclusive `flock` on the `reports/` folder: the last run
/// to take it writes the whole folder, and the index is rebuilt from the `results.json`
/// of every folder, so each line describes the run whose report is in its folder.
public enum Reporting {
    /// Writes `reports/<folder>/` for `runId` under `root`, and `reports/README.md`; the
    /// folder is ``safeName(_:)`` of the experiment's name.
    /// - Returns: the experiment's report folder.
    @discardableResult
    public static func write(store: RunStore, runId: String, root: URL) throws -> URL {
        let document = try RunDocument.build(store: store, runId: runId)
        let reports = root.appendingPathComponent("reports")
        let folder = reports.appendingPathComponent(safeName(document.run.experiment))
        try? FileManager.default.createDirectory(at: reports, withIntermediateDirectories: true)
        try withLock(on: reports) {
            try ReportWriter.write(document, to: folder)
            try writeIndex(store: store, reports: reports)
        }
        return folder
    }

    /// `reports/README.md`: one line per folder of `reports/` with a `results.json`, for the
    /// run that wrote it — its status, date and metrics from the store when the store has
    /// it (a report committed from another clone is shown from its `results.json`).
    public static func writeIndex(store: RunStore, reports: URL) throws {
        let entries = IndexEntry.entries(in: reports).map { entry -> IndexEntry in
            guard let run = try? store.run(id: entry.runId), run.id == entry.runId,
                  let summaries = try? store.summaries(runId: run.id) else { return entry }
            return IndexEntry(experiment: run.experiment, folder: entry.folder, runId: run.id, status: run.status.rawValue,
                              commit: run.gitCommit, date: run.startedAt,
                              metrics: summaries.map { MetricEntry(step: $0.step, name: $0.name, value: $0.value) })
        }
        try ReportWriter.writeIndex(entries, to: reports)
    }

    /// An experiment name as its report folder's name, also used for the index's links: the
    /// name itself when it is a plain lowercase file name, else a slug and a hash of the
    /// exact name (``FileName/component(_:fallback:)``), so two names never share a folder
    /// and no name leaves `reports/`.
    public static func safeName(_ name: String) -> String {
        FileName.component(name)
    }

    /// Runs `body` holding an exclusive `flock` on `folder` (waiting for other processes to
    /// release theirs). When the folder cannot be opened, `body` runs without it and its own
    /// writes report the problem.
    static func withLock<T>(on folder: URL, _ body: () throws -> T) throws -> T {
        let fd = open(folder.path, O_RDONLY)
        guard fd >= 0 else { return try body() }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0, errno == EINTR {}
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
