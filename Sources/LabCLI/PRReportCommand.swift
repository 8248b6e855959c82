import ArgumentParser
import Foundation
import Lab
import Reports

struct PRReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pr-report",
        abstract: "Summarize a pull request from git alone: the committed reports at the base and at HEAD, what changed, what regressed.",
        discussion: """
        Reads reports/*/results.json at --base and at HEAD from git (no run store is needed, as in CI) and, for \
        each experiment: the steps whose cache keys changed between the two published runs, the metric deltas, and \
        the regressions past thresholds. It also recomputes HEAD's step keys from the experiment files (as lab \
        status does; no step runs) to tell whether HEAD's report is what HEAD's code computes: an experiment \
        whose code or config changed but whose report was not re-run is stale.

        Thresholds come from the experiment (lab.regression(NAME, .higherIsBetter, tolerance: T), recorded in \
        HEAD's results.json) and from --threshold, which overrides them. --threshold NAME=DELTA flags a regression \
        when a metric moves past DELTA in its sign's direction: accuracy=-0.01 (a drop of more than 0.01), \
        loss=+0.05 (a rise of more than 0.05). NAME is "step/metric" or just "metric", and must be a metric of a \
        committed report.

        Exit status: 0 when every experiment's HEAD report is current (or from an older library) and nothing \
        regressed; 1 when a metric regressed, a gated metric is missing at HEAD, HEAD's report is stale, missing or \
        of a run that did not succeed, or no report was found at all; 2 for a usage error (a bad option, an \
        unknown --base, an unwritable --out), a git error, or an experiment whose keys cannot be computed.
        """)

    /// The exit status for a failed gate: a regression, a stale or missing report at HEAD.
    static let failedStatus: Int32 = 1
    /// The exit status for a usage, git or key error: no verdict was reached.
    static let errorStatus: Int32 = 2

    @Option(help: "The base revision (branch, tag or commit).")
    var base: String

    @Option(help: "Write the Markdown here instead of standard output.")
    var out: String?

    @Option(name: .customLong("threshold"), help: "NAME=DELTA (repeatable); see the discussion.")
    var thresholds: [String] = []

    func run() throws {
        let limits = try thresholds.map(RegressionThreshold.parse)
        if let out { try Self.checkWritable(out) }
        let root = projectRoot()
        guard let repository = try Git.inspect(path: root.path) else { throw PRReportError.noRepository(path: root.path) }
        guard let headCommit = repository.commit else { throw PRReportError.noCommits(path: repository.root) }
        guard let baseCommit = try Git.commitIfExists(base, at: root.path) else { throw PRReportError.noSuchRevision(base) }

        let folder = Self.reportsFolder(project: root, repositoryRoot: repository.root)
        let atBase = try Self.committedResults(at: baseCommit, folder: folder, root: root)
        let atHeadBytes = try Git.files(named: "results.json", inSubfoldersOf: folder, at: headCommit, path: root.path)
        let atHead = atHeadBytes.keys.sorted().map { ($0, try? ResultsFile.decode(Data(atHeadBytes[$0]!))) }
        let known = (atBase.values.flatMap { $0.metrics.keys } + atHead.compactMap { $0.1 }.flatMap { $0.metrics.keys })
        try RegressionThreshold.checkNames(limits, known: known)

        // HEAD's reports against HEAD's code (the experiment files as they are here; in CI, HEAD's).
        let audit = try ReportAudit.run(root: root, committed: atHead)
        if !audit.failures.isEmpty { throw PRReportError.cannotComputeKeys(audit.failures.map(\.description)) }
        let workingTree = Dictionary(ReportAudit.workingTreeResults(root: root).map { ($0.folder, $0.results) },
                                     uniquingKeysWith: { a, _ in a })

        var sections: [PullRequestReport.ExperimentSection] = []
        for status in audit.statuses {
            let name = status.experiment
            let reportFolder = Reporting.safeName(name)
            let head = atHead.first { $0.0 == reportFolder }?.1
            let baseResults = atBase[reportFolder]
            let uncommitted = workingTree[reportFolder].map { $0 != head } ?? false
            let check = PullRequestReport.HeadCheck(state: status.state, reasons: status.reasons,
                                                    uncommittedReport: uncommitted)
            sections.append(PullRequestReport.ExperimentSection(
                name: name, base: baseResults.map(PullRequestReport.RunSummary.init),
                head: head.map(PullRequestReport.RunSummary.init), check: check,
                sourcePath: status.source ?? head?.source,
                thresholds: limits + Self.declaredThresholds(head, overriddenBy: limits)))
        }
        // Experiments the base had and HEAD has neither a file nor a report of: removed.
        for (folder, results) in atBase.sorted(by: { $0.key < $1.key })
        where !sections.contains(where: { Reporting.safeName($0.name) == folder }) {
            sections.append(PullRequestReport.ExperimentSection(name: results.experiment, base: .init(results), head: nil,
                                                                sourcePath: results.source))
        }
        sections.sort { $0.name < $1.name }
        let report = PullRequestReport(baseRevision: base, baseCommit: baseCommit, headCommit: headCommit, experiments: sections)
        let markdown = PullRequestRenderer.markdown(report)
        if let out { try Self.write(markdown, to: out) } else { print(markdown, terminator: "") }
        if !report.passed { throw ExitCode(Self.failedStatus) }
    }

    /// `reports/*/results.json` at `commit`: report folder → the file; files that are not results files are left out.
    static func committedResults(at commit: String, folder: String, root: URL) throws -> [String: ResultsFile] {
        let files = try Git.files(named: "results.json", inSubfoldersOf: folder, at: commit, path: root.path)
        return files.compactMapValues { try? ResultsFile.decode(Data($0)) }
    }

    /// The thresholds the experiment declared, as recorded in HEAD's report, less those a
    /// `--threshold` of the same name overrides.
    static func declaredThresholds(_ results: ResultsFile?, overriddenBy options: [RegressionThreshold]) -> [RegressionThreshold] {
        guard let results else { return [] }
        return results.thresholds.sorted { $0.key < $1.key }
            .filter { entry in !options.contains { $0.metric == entry.key } }
            .map { RegressionThreshold(metric: $0.key, delta: $0.value, origin: .declared) }
    }

    /// The project's `reports/` folder relative to the repository's top level (`reports`, or
    /// `sub/reports` for a project in a subfolder).
    static func reportsFolder(project: URL, repositoryRoot: String) -> String {
        let top = URL(fileURLWithPath: repositoryRoot).resolvingSymlinksInPath().path
        let here = project.resolvingSymlinksInPath().path
        guard here.hasPrefix(top + "/") else { return "reports" }
        return String(here.dropFirst(top.count + 1)) + "/reports"
    }

    /// Fails early, before any work, when `--out` cannot be written.
    static func checkWritable(_ path: String) throws {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue { throw PRReportError.outIsFolder(path: path) }
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        guard fm.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw PRReportError.outFolderMissing(path: path, folder: folder)
        }
        guard fm.isWritableFile(atPath: folder) else { throw PRReportError.outNotWritable(path: path, folder: folder) }
    }

    /// A short reason for a failed write: the POSIX error when Foundation kept it.
    static func reason(_ error: Error) -> String {
        if let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        switch (error as? CocoaError)?.code {
        case .fileNoSuchFile?: return "no such file or folder"
        case .fileWriteNoPermission?: return "permission denied"
        case .fileWriteOutOfSpace?: return "no space left on the device"
        case .fileWriteVolumeReadOnly?: return "read-only file system"
        default:
            let text = error.localizedDescription
            return text.hasSuffix(".") ? String(text.dropLast()) : text
        }
    }

    /// Writes the report through a temporary file renamed into place.
    static func write(_ markdown: String, to path: String) throws {
        do {
            try Data(markdown.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw PRReportError.cannotWriteOut(path: path, reason: reason(error))
        }
    }
}
