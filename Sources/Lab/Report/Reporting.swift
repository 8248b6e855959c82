import Foundation
import Reports
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a run's report and, for a published one, refreshes the index of all experiments.
///
/// **Which runs publish.** `reports/<experiment>/` is the committed record of the
/// experiment as declared: a run publishes there when it succeeded, is not a smoke run, ran
/// with root seed 0, and its config equals the experiment's own (no `--set` changed a
/// value). Every other run's report goes to `.lab/reports/<run>/`, outside version control;
/// ``deviations(of:)`` names why. `lab report RUN --publish` publishes any run on purpose,
/// and such a report lists its deviations at its top.
///
/// Runs of one project may finish at the same moment, so a published folder and the index
/// are written together under an exclusive `flock` on the `reports/` folder. The index is
/// rebuilt from the `results.json` of every folder of `reports/` alone, never from the
/// local run store, so a fresh clone's index keeps every committed row.
package enum Reporting {
    /// Where a report went.
    package struct Written: Sendable {
        /// The report's folder.
        package let folder: URL
        /// True when it went to `reports/<experiment>/` (and the index was rebuilt).
        package let published: Bool
        /// Why the run is not the experiment as declared (empty for a standard run).
        package let deviations: [String]
    }

    /// Writes `runId`'s report under `root`: into `reports/<folder>/` (and refreshes
    /// `reports/README.md`) when the run has no deviations or `publish` is true, else into
    /// `.lab/reports/<run>/`. The folder is ``safeName(_:)`` of the experiment's name.
    /// - Parameter publish: true publishes whatever the run (its deviations shown at the top).
    @discardableResult
    package static func write(store: RunStore, runId: String, root: URL, publish: Bool = false) throws -> Written {
        var document = try RunDocument.build(store: store, runId: runId)
        if let path = document.run.sourcePath { document.run.sourcePath = relativePath(path, to: root) }
        let deviations = document.run.deviations
        guard publish || deviations.isEmpty else {
            let folder = root.appendingPathComponent(".lab/reports").appendingPathComponent(safeName(runId))
            try ReportWriter.write(document, to: folder)
            return Written(folder: folder, published: false, deviations: deviations)
        }
        let reports = root.appendingPathComponent("reports")
        let folder = reports.appendingPathComponent(safeName(document.run.experiment))
        try? FileManager.default.createDirectory(at: reports, withIntermediateDirectories: true)
        try withLock(on: reports) {
            try ReportWriter.write(document, to: folder)
            try writeIndex(reports: reports)
        }
        return Written(folder: folder, published: true, deviations: deviations)
    }

    /// `reports/README.md`: one line per folder of `reports/` with a `results.json`, from that
    /// file alone (what is committed is what the index shows, on any clone).
    package static func writeIndex(reports: URL) throws {
        try ReportWriter.writeIndex(IndexEntry.entries(in: reports), to: reports)
    }

    /// How `run` differs from its experiment as declared, one plain sentence each: a config
    /// value that `--set` changed (with the experiment's own), a root seed other than 0, a
    /// smoke run, a run that did not succeed. Empty for a publishable run.
    package static func deviations(of run: RunRecord) -> [String] {
        var out: [String] = []
        let environment = (try? JSONSerialization.jsonObject(with: Data(run.environment.utf8))) as? [String: Any] ?? [:]
        let config = (try? JSONSerialization.jsonObject(with: Data(run.config.utf8))) as? [String: Any] ?? [:]
        if let own = environment["config_overrides"] as? [String: String] {
            for key in own.keys.sorted() {
                let value = config[key].map(ConfigParsing.json) ?? "?"
                out.append("config \(key) = \(value), the experiment's own is \(own[key]!)")
            }
        }
        if run.rootSeed != 0 { out.append("root seed \(UInt64(bitPattern: run.rootSeed)), not 0") }
        if run.smoke { out.append("a smoke run (reduced data and steps)") }
        if run.status != .succeeded { out.append("the run \(run.status.rawValue)" + (run.failedStep.map { " in step \($0)" } ?? "")) }
        return out
    }

    /// `path` relative to `root` when it is inside it (symbolic links resolved), else `path`.
    package static func relativePath(_ path: String, to root: URL) -> String {
        let base = root.resolvingSymlinksInPath().path + "/"
        let full = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return full.hasPrefix(base) ? String(full.dropFirst(base.count)) : path
    }

    /// An experiment name as its report folder's name, also used for the index's links: the
    /// name itself when it is a plain lowercase file name, else a slug and a hash of the
    /// exact name (``FileName/component(_:fallback:)``), so two names never share a folder
    /// and no name leaves `reports/`.
    package static func safeName(_ name: String) -> String {
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
