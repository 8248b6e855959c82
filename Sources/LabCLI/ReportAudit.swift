import Foundation
import Lab
import Reports

/// The committed reports of a project checked against its experiment files: for each
/// experiment, a ``ReportStatus`` (current, from an older library, stale, no report, no
/// experiment file). Used by `lab status` and, for HEAD, by `lab pr-report`.
struct ReportAudit {
    /// The statuses, by experiment name.
    var statuses: [ReportStatus]
    /// Experiment files whose keys could not be computed, with the reason.
    var failures: [KeyProbe.Failure]

    /// The `results.json` of each folder of `reports/` in the working tree: folder → the file
    /// (nil when it is not a results file).
    static func workingTreeResults(root: URL) -> [(folder: String, results: ResultsFile?)] {
        let fm = FileManager.default
        let reports = root.appendingPathComponent("reports")
        var out: [(folder: String, results: ResultsFile?)] = []
        for folder in ((try? fm.contentsOfDirectory(atPath: reports.path)) ?? []).sorted() {
            let url = reports.appendingPathComponent(folder).appendingPathComponent("results.json")
            guard let data = fm.contents(atPath: url.path) else { continue }
            out.append((folder, try? ResultsFile.decode(data)))
        }
        return out
    }

    /// Audits the project at `root`: the given experiment files, or every `experiments/*.swift`
    /// and every file a committed `results.json` names, against `committed` (by default the
    /// working tree's `reports/*/results.json`).
    static func run(root: URL, files given: [String] = [],
                    committed: [(folder: String, results: ResultsFile?)]? = nil) throws -> ReportAudit {
        let fm = FileManager.default
        let committed = committed ?? workingTreeResults(root: root)
        var files: [String] = given.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        if given.isEmpty {
            let folder = root.appendingPathComponent("experiments")
            for name in ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() where name.hasSuffix(".swift") {
                files.append(folder.appendingPathComponent(name).path)
            }
            for source in committed.compactMap({ $0.results?.source }) {
                let path = root.appendingPathComponent(source).standardizedFileURL.path
                if fm.fileExists(atPath: path), !files.contains(path) { files.append(path) }
            }
        }
        let probe = try KeyProbe()
        var audit = ReportAudit(statuses: [], failures: [])
        var matched = Set<String>()
        for file in files {
            let keys: ComputedKeys
            do { keys = try probe.keys(for: URL(fileURLWithPath: file), root: root) } catch let failure as KeyProbe.Failure {
                audit.failures.append(KeyProbe.Failure(file: Reporting.relativePath(file, to: root), reason: failure.reason))
                continue
            }
            let folder = Reporting.safeName(keys.experiment)
            let source = Reporting.relativePath(file, to: root)
            guard let entry = committed.first(where: { $0.folder == folder }) else {
                audit.statuses.append(ReportStatus(experiment: keys.experiment, source: source, runId: nil, state: .noReport,
                                                   changes: [], configChanges: [], notes: []))
                continue
            }
            matched.insert(folder)
            guard let results = entry.results else {
                audit.statuses.append(ReportStatus(experiment: keys.experiment, source: source, runId: nil, state: .stale, changes: [],
                                                   configChanges: [], notes: ["reports/\(folder)/results.json is not a results file"]))
                continue
            }
            audit.statuses.append(ReportStatus.compare(committed: results, computed: keys, source: source))
        }
        if given.isEmpty {
            for entry in committed where !matched.contains(entry.folder) {
                let name = entry.results?.experiment ?? entry.folder
                let note = entry.results?.source.map { "its experiment file \($0) is not there" }
                    ?? "no experiment file in experiments/ declares it"
                audit.statuses.append(ReportStatus(experiment: name, source: entry.results?.source, runId: entry.results?.runId,
                                                   state: .noExperiment, changes: [], configChanges: [], notes: [note]))
            }
        }
        audit.statuses.sort { $0.experiment < $1.experiment }
        return audit
    }
}
