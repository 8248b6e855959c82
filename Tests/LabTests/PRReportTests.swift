import Foundation
import Testing
@testable import Lab

/// A project with real runs in its history, for `lab pr-report`: on `main`, C1 adds
/// `experiments/three.swift` and C1r the report of its run; HEAD is on `feature`. The run
/// store is deleted before every `pr-report`, which must work from git alone.
private final class ReportedRepo {
    let sandbox: Sandbox
    static let file = "experiments/three.swift"

    init(experiment: String = threeSteps) throws {
        sandbox = try Sandbox.withCommittedReport(experiment, at: Self.file)
        try sandbox.shell("git", "checkout", "-q", "-b", "feature")
    }

    @discardableResult
    func run(_ arguments: String...) throws -> Sandbox.Result {
        let result = try sandbox.run(Sandbox.lab, ["run", Self.file] + arguments)
        #expect(result.status == 0, "\(result.output)")
        return result
    }

    /// `lab pr-report ARGS` with no run store: what CI has.
    func prReport(_ arguments: String...) throws -> Sandbox.Result {
        try? FileManager.default.removeItem(at: sandbox.root.appendingPathComponent(".lab/lab.sqlite"))
        return try sandbox.run(Sandbox.lab, ["pr-report"] + arguments)
    }
}

/// A repository with runs written straight into its store (no experiment is compiled), for
/// `lab compare`. History: on `main`, C1 has the base run; C1r adds only `reports/`; on
/// `feature`, C2 changes the experiment again.
private final class StoreRepo {
    let sandbox: Sandbox
    let store: RunStore
    var c1 = "", c1r = "", c2 = ""
    private var clock = 1_795_950_000.0

    init() throws {
        sandbox = try Sandbox()
        store = try RunStore(path: sandbox.root.appendingPathComponent(".lab/lab.sqlite").path)
        try sandbox.write(".lab/.gitignore", "*\n")
        try sandbox.write("spirals.swift", "// learningRate = 0.1\n")
        c1 = try commit("experiment")
        try record("base", at: c1, metrics: ["score/accuracy": 1.0])
        try FileManager.default.createDirectory(at: sandbox.root.appendingPathComponent("reports/spirals"), withIntermediateDirectories: true)
        try sandbox.write("reports/spirals/README.md", "# spirals\n")
        c1r = try commit("spirals: report")
        try sandbox.shell("git", "checkout", "-q", "-b", "feature")
        try sandbox.write("spirals.swift", "// learningRate = 0.01\n")
        c2 = try commit("lower the learning rate")
    }

    func commit(_ message: String) throws -> String {
        try sandbox.commitAll(message)
        return try sandbox.shell("git", "rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Records a run of `spirals` at `commit`, newer than every run before it.
    func record(_ id: String, at commit: String, status: RunStatus = .succeeded, metrics: [String: Double],
                experiment: String = "spirals", dirty: Bool = false, patch: String? = nil, declared: [String: Double] = [:],
                pid: Int32 = 999_999, failedStep: String? = nil, error: String? = nil) throws {
        clock += 10
        let environment = String(decoding: try JSONSerialization.data(withJSONObject: ["regression_thresholds": declared]), as: UTF8.self)
        try store.insert(RunRecord(
            id: id, experiment: experiment, status: status, startedAt: Date(timeIntervalSince1970: clock),
            endedAt: status == .running ? nil : Date(timeIntervalSince1970: clock + 1), failedStep: failedStep, error: error,
            gitCommit: commit, gitBranch: "main", gitDirty: dirty, gitPatch: patch, environment: environment,
            pid: pid, hostname: RunStore.currentHostname))
        try store.record(StepRecord(runId: id, name: "score", kind: "eval", key: "key-\(commit.prefix(6))", cacheHit: false,
                                    status: status == .succeeded ? "succeeded" : "failed", seconds: 0.1, sourceLine: 3))
        for (key, value) in metrics {
            let parts = key.split(separator: "/").map(String.init)
            try store.setSummary(runId: id, step: parts[0], name: parts[1], value: value)
        }
    }

}

@Suite(.serialized) struct PRReportTests {
    @Test func nothingChangedExitsZero() throws {
        let repo = try ReportedRepo()
        try repo.sandbox.write("NOTES.md", "a file outside the experiments\n")
        try repo.sandbox.commitAll("notes")
        let result = try repo.prReport("--base", "main")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("**No regressions** in 1 experiment past the given thresholds."), "\(result.output)")
        #expect(result.output.contains("Unchanged (the same published run, or the same step keys and metrics): three."), "\(result.output)")
    }

    @Test func aChangedExperimentWhoseReportWasNotRerunExitsOne() throws {
        let repo = try ReportedRepo()
        try repo.sandbox.edit(ReportedRepo.file, replacing: "w += ctx.config.learningRate * data.x.mean().item()",
                              with: "w += 2 * ctx.config.learningRate * data.x.mean().item()")
        try repo.sandbox.commitAll("fit: twice the step")
        let result = try repo.prReport("--base", "main")
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("- three: **changed, but its report was not re-run**: HEAD's report is not what HEAD's code "
                                       + "computes (fit (source); report (upstream: fit)). Run lab run experiments/three.swift and commit reports/."),
                "\(result.output)")
        // Run, but the report not committed yet: the advice is to commit it.
        try repo.run()
        let uncommitted = try repo.prReport("--base", "main")
        #expect(uncommitted.status == 1 && uncommitted.output.contains("The working tree has a newer report: commit reports/."), "\(uncommitted.output)")
        try repo.sandbox.commitAll("three: report")
        #expect(try repo.prReport("--base", "main").status == 0)
    }

    @Test func aRegressionBetweenTwoCommitsExitsOneWithItsDelta() throws {
        let repo = try ReportedRepo()
        try repo.sandbox.edit(ReportedRepo.file, replacing: "ctx.metric(\"loss\", fit.loss)", with: "ctx.metric(\"loss\", fit.loss * 2)")
        try repo.run()
        try repo.sandbox.commitAll("report: double the loss, and its report")
        let regressed = try repo.prReport("--base", "main", "--threshold", "loss=+0.5")
        #expect(regressed.status == 1, "\(regressed.output)")
        #expect(regressed.output.contains("| report/loss | 1.05 | 2.1 | +1.05 | **regressed** (limit +0.5) |"), "\(regressed.output)")
        #expect(regressed.output.contains("| report | yes (source) |") && regressed.output.contains("| fit | no |"), "\(regressed.output)")
        #expect(regressed.output.contains("HEAD's report is current: its step keys match HEAD's code."), "\(regressed.output)")
        let loose = try repo.prReport("--base", "main", "--threshold", "report/loss=+2")
        #expect(loose.status == 0 && loose.output.contains("ok (limit +2)"), "\(loose.output)")
    }

    @Test func aThresholdTheExperimentDeclaresGatesWithoutOptions() throws {
        let gated = threeSteps.replacingOccurrences(of: "    //: ## Data", with: "    lab.regression(\"loss\", .lowerIsBetter, tolerance: 0.5)\n    //: ## Data")
        let repo = try ReportedRepo(experiment: gated)
        try repo.sandbox.edit(ReportedRepo.file, replacing: "ctx.metric(\"loss\", fit.loss)", with: "ctx.metric(\"loss\", fit.loss * 2)")
        try repo.run()
        try repo.sandbox.commitAll("report: double the loss")
        let result = try repo.prReport("--base", "main")
        #expect(result.status == 1 && result.output.contains("**regressed** (limit +0.5)"), "\(result.output)")
        #expect(try repo.sandbox.read("reports/three/results.json").contains("\"loss\" : 0.5"))
    }

    @Test func anExperimentWithoutACommittedReportExitsOne() throws {
        let repo = try ReportedRepo()
        try repo.sandbox.write("experiments/four.swift", threeSteps.replacingOccurrences(of: "Experiment(\"three\"", with: "Experiment(\"four\""))
        try repo.sandbox.commitAll("four")
        let result = try repo.prReport("--base", "main")
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("- four: HEAD has the experiment but no committed report of it."), "\(result.output)")
    }

    // MARK: - Errors exit 2 (D28, D29, D30)

    @Test func usageAndGitErrorsExitTwoWithAClearMessage() throws {
        let repo = try ReportedRepo()
        let folder = repo.sandbox.root.appendingPathComponent("reports").path
        let cases: [([String], String)] = [
            (["--base", "nonexistent"], "Error: no revision 'nonexistent' in this repository. Give --base a branch, tag or commit"),
            (["--base", "main..feature"], "Error: no revision 'main..feature' in this repository."),
            (["--base", "main", "--threshold", "loss=nan"], "Error: --threshold 'loss=nan' can never fire"),
            (["--base", "main", "--threshold", "loss=inf"], "Error: --threshold 'loss=inf' can never fire"),
            (["--base", "main", "--threshold", "los=+0.1"],
             "Error: --threshold names the metric 'los', which no committed report has. Did you mean 'loss'? "
                + "Known metrics (step/metric, or just metric): report/loss"),
            (["--base", "main", "--threshold", "nosuchmetric=-0.01"], "Error: --threshold names the metric 'nosuchmetric', which no committed report has. Known metrics"),
            (["--base", "main", "--threshold", "loss=0"], "Error: --threshold takes NAME=DELTA with a signed non-zero number"),
            (["--base", "main", "--out", "/nonexistent/dir/pr.md"],
             "Error: cannot write --out '/nonexistent/dir/pr.md': the folder '/nonexistent/dir' does not exist. Create it, or give another path."),
            (["--base", "main", "--out", folder], "Error: cannot write --out '\(folder)': it is a folder. Give a file path, e.g. --out \(folder)/pr.md."),
            (["--threshold", "loss=-0.01"], "Error: Missing expected argument '--base <base>'"),
        ]
        for (arguments, message) in cases {
            let result = try repo.sandbox.run(Sandbox.lab, ["pr-report"] + arguments)
            #expect(result.status == 2, "\(arguments): \(result.output)")
            #expect(result.output.contains(message), "\(arguments): \(result.output)")
        }
        // An experiment at HEAD that does not compile: no verdict.
        try repo.sandbox.edit(ReportedRepo.file, replacing: "ctx.metric(\"loss\", fit.loss)", with: "ctx.metric(\"loss\", fit.los)")
        let broken = try repo.prReport("--base", "main")
        #expect(broken.status == 2 && broken.output.contains("cannot tell whether HEAD's reports are current: experiments/three.swift: does not compile"),
                "\(broken.output)")
        let outside = try Sandbox(git: false)
        let notRepo = try outside.run(Sandbox.lab, ["pr-report", "--base", "main"])
        #expect(notRepo.status == 2 && notRepo.output.contains("is not inside a git repository"), "\(notRepo.output)")
        let help = try repo.sandbox.run(Sandbox.lab, ["pr-report", "--help"])
        let helpText = help.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.status == 0 && helpText.contains("1 when a metric regressed") && helpText.contains("2 for a usage error"), "\(help.output)")
    }

    @Test func outWritesTheReportFile() throws {
        let repo = try ReportedRepo()
        let result = try repo.prReport("--base", "main", "--out", "pr.md")
        #expect(result.status == 0 && !result.output.contains("# Experiments"), "\(result.output)")
        #expect(try repo.sandbox.read("pr.md").contains("**No regressions** in 1 experiment"))
    }

    // MARK: - lab compare (D31, D32, D33)

    @Test func compareRefusesOneRunGivenTwiceAndRunsOfDifferentExperiments() throws {
        let repo = try StoreRepo()
        try repo.record("head", at: repo.c2, status: .failed, metrics: ["score/accuracy": 0.5])
        try repo.record("other", at: repo.c2, metrics: ["fit/loss": 0.5], experiment: "errs")
        let twice = try repo.sandbox.run(Sandbox.lab, ["compare", "base", "base"])
        #expect(twice.status != 0 && twice.output.contains("give at least two different runs to compare; got 'base', 'base'"), "\(twice.output)")
        let noted = try repo.sandbox.run(Sandbox.lab, ["compare", "base", "head", "base"])
        #expect(noted.status == 0, "\(noted.output)")
        #expect(noted.output.contains("Note: run `base` was given more than once; each run is counted once."), "\(noted.output)")
        #expect(noted.output.contains("`head` (**failed**)") && noted.output.contains("**Not every run succeeded:** `head` failed"), "\(noted.output)")
        let mixed = try repo.sandbox.run(Sandbox.lab, ["compare", "base", "other"])
        #expect(mixed.status != 0, "\(mixed.output)")
        #expect(mixed.output.contains("these runs belong to 2 experiments: spirals (base); errs (other)"), "\(mixed.output)")
        let missing = try repo.sandbox.run(Sandbox.lab, ["compare", "nope1", "nope2"])
        #expect(missing.output.contains("Error: no run 'nope1'. Run `lab ls` to list the stored runs."), "\(missing.output)")
    }
}
