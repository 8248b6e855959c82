import ArgumentParser
import Foundation
import Lab

struct PRReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pr-report",
        abstract: "Summarize a pull request: changed steps and metric deltas between the base commit's runs and HEAD's.",
        discussion: """
        For each experiment, compares the latest succeeded run of the base commit's code with the latest run of \
        HEAD's code (smoke runs are ignored). A run stands for a commit when it ran that commit's code: recorded \
        at that commit, or at one whose only differences from it are under reports/ (the commit that adds a run's \
        reports keeps the run), with no uncommitted change outside reports/. \
        Thresholds come from the experiment (lab.regression(NAME, .higherIsBetter, tolerance: T)) and from --threshold, which \
        overrides them. --threshold NAME=DELTA flags a regression when a metric moves past DELTA in its sign's \
        direction: accuracy=-0.01 (a drop of more than 0.01), loss=+0.05 (a rise of more than 0.05). NAME is \
        "step/metric" or just "metric", and must be a metric some recorded run has.

        Exit status: 0 when every experiment's HEAD run succeeded and nothing regressed; 1 when a metric regressed, \
        a gated metric is missing at HEAD, or an experiment's HEAD run failed, crashed, is still running or is \
        missing; 2 for a usage error (a bad option, an unknown --base, an unwritable --out) or a git or store error.
        """)

    /// The exit status for a failed gate: a regression, a missing or unsuccessful HEAD run.
    static let failedStatus: Int32 = 1
    /// The exit status for a usage, git or store error: no verdict was reached.
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
        let store = try openStore()
        try RegressionThreshold.checkNames(limits, known: store.metricKeys())

        let reports = Self.reportsFolder(project: root, repositoryRoot: repository.root)
        let atHead = try store.codeMatches(for: headCommit, repository: root.path, ignoring: reports)
        let atBase = baseCommit == headCommit ? atHead
            : try store.codeMatches(for: baseCommit, repository: root.path, ignoring: reports)
        let names = Set((atHead + atBase).filter(\.standsForCommit).map(\.run.experiment)).sorted()
        let sections = try names.map { name in
            let head = atHead.first { $0.run.experiment == name && $0.standsForCommit }?.run
            let base = atBase.first { $0.run.experiment == name && $0.standsForCommit && $0.run.status == .succeeded }?.run
            let elsewhere = head == nil ? atHead.first { $0.run.experiment == name } : nil
            let newest = atHead.first { $0.run.experiment == name }?.run
            return PullRequestReport.ExperimentSection(
                name: name, base: try base.map { try Self.summary($0, store: store) },
                head: try head.map { try Self.summary($0, store: store) },
                latestElsewhere: elsewhere.map {
                    .init(id: $0.run.id, commit: $0.run.gitCommit ?? "", changedPaths: Array($0.differences.prefix(3)))
                },
                sourcePath: try newest.flatMap { try store.source(runId: $0.id)?.path }.map { Self.relative($0, to: root) },
                thresholds: limits + Self.declaredThresholds(head, overriddenBy: limits))
        }
        let report = PullRequestReport(baseRevision: base, baseCommit: baseCommit, headCommit: headCommit, experiments: sections)
        let markdown = PullRequestRenderer.markdown(report)
        if let out { try Self.write(markdown, to: out) } else { print(markdown, terminator: "") }
        if !report.passed { throw ExitCode(Self.failedStatus) }
    }

    /// A run as the report needs it: status, steps in source order, metrics.
    static func summary(_ run: RunRecord, store: RunStore) throws -> PullRequestReport.RunSummary {
        let steps = try store.steps(runId: run.id).sorted { $0.sourceLine < $1.sourceLine }.map { step in
            let parts = (try? JSONSerialization.jsonObject(with: Data(step.keyParts.utf8))) as? [String: String] ?? [:]
            return PullRequestReport.StepSummary(name: step.name, key: step.key, keyParts: parts, cacheHit: step.cacheHit)
        }
        let metrics = Dictionary(try store.summaries(runId: run.id).map { ("\($0.step)/\($0.name)", $0.value) },
                                 uniquingKeysWith: { $1 })
        return .init(id: run.id, commit: run.gitCommit ?? "", status: run.status.rawValue, failedStep: run.failedStep,
                     error: run.error, steps: steps, metrics: metrics)
    }

    /// The thresholds the experiment declared, as recorded with HEAD's run, less those a
    /// `--threshold` of the same name overrides.
    static func declaredThresholds(_ run: RunRecord?, overriddenBy options: [RegressionThreshold]) -> [RegressionThreshold] {
        guard let run, let env = try? JSONSerialization.jsonObject(with: Data(run.environment.utf8)) as? [String: Any],
              let declared = env["regression_thresholds"] as? [String: Double] else { return [] }
        return declared.sorted { $0.key < $1.key }
            .filter { entry in !options.contains { $0.metric == entry.key } }
            .map { RegressionThreshold(metric: $0.key, delta: $0.value, origin: .declared) }
    }

    /// The project's `reports/` folder relative to the repository's top level (`reports/`, or
    /// `sub/reports/` for a project in a subfolder).
    static func reportsFolder(project: URL, repositoryRoot: String) -> String {
        let top = URL(fileURLWithPath: repositoryRoot).resolvingSymlinksInPath().path
        let here = project.resolvingSymlinksInPath().path
        guard here.hasPrefix(top + "/") else { return "reports/" }
        return String(here.dropFirst(top.count + 1)) + "/reports/"
    }

    /// `path` relative to `root` when it is inside it.
    static func relative(_ path: String, to root: URL) -> String {
        let base = root.resolvingSymlinksInPath().path + "/"
        let full = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return full.hasPrefix(base) ? String(full.dropFirst(base.count)) : path
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
