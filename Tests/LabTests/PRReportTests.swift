import Foundation
import Testing
@testable import Lab

/// A repository with runs written straight into its store (no experiment is compiled), and
/// the real `lab pr-report` run on it: which run stands for HEAD, the verdict, the exit status.
///
/// History: on `main`, C1 changes the experiment and has the base run; C1r adds only
/// `reports/`. On `feature`, C2 changes the experiment again. HEAD is C2.
private final class PullRequestRepo {
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

    func prReport(_ arguments: String...) throws -> Sandbox.Result {
        try sandbox.run(Sandbox.lab, ["pr-report"] + arguments)
    }
}

@Suite(.serialized) struct PRReportTests {
    @Test func aHeadRunThatDidNotSucceedFailsTheGate() throws {
        let repo = try PullRequestRepo()
        let cases: [(RunStatus, Int32, String)] = [
            (.failed, 999_999, "HEAD's run `h-failed` **failed** at step `score`: boom. Fix it and run it again"),
            (.crashed, 999_999, "HEAD's run `h-crashed` **crashed**"),
            (.running, getpid(), "HEAD's run `h-running` is **still running**: wait for it to finish"),
            (.running, 999_999, "HEAD's run `h-running-gone` **crashed**"),  // its process is gone: the store says crashed
            (.interrupted, 999_999, "HEAD's run `h-interrupted` was **interrupted**"),
        ]
        for (status, pid, expected) in cases {
            let id = "h-\(status.rawValue)" + (pid == getpid() || status != .running ? "" : "-gone")
            try repo.record(id, at: repo.c2, status: status, metrics: [:], pid: pid,
                            failedStep: status == .failed ? "score" : nil, error: status == .failed ? "boom" : nil)
            let result = try repo.prReport("--base", "main", "--threshold", "accuracy=-0.01")
            #expect(result.status == 1, "\(status): \(result.output)")
            #expect(result.output.contains(expected), "\(result.output)")
            #expect(result.output.contains("**Not ready: 1 of 1 experiment has problems.**"))
            #expect(!result.output.contains("No regressions"), "\(result.output)")
        }
        try repo.record("h-ok", at: repo.c2, metrics: ["score/accuracy": 1.0])
        let passed = try repo.prReport("--base", "main", "--threshold", "accuracy=-0.01")
        #expect(passed.status == 0, "\(passed.output)")
        #expect(passed.output.contains("Runs: base `base` → HEAD `h-ok` (succeeded)."), "\(passed.output)")
    }

    @Test func aRegressionExitsOneAndAChangeWithinTheLimitExitsZero() throws {
        let repo = try PullRequestRepo()
        try repo.record("head", at: repo.c2, metrics: ["score/accuracy": 0.647])
        let regressed = try repo.prReport("--base", "main", "--threshold", "accuracy=-0.01")
        #expect(regressed.status == 1, "\(regressed.output)")
        #expect(regressed.output.contains("| score/accuracy | 1 | 0.647 | -0.353 | **regressed** (limit -0.01) |"), "\(regressed.output)")
        let loose = try repo.prReport("--base", "main", "--threshold", "score/accuracy=-0.5")
        #expect(loose.status == 0, "\(loose.output)")
        #expect(loose.output.contains("ok (limit -0.5)"))
    }

    @Test func aGatedMetricMissingAtHeadFailsTheGate() throws {
        let repo = try PullRequestRepo()
        try repo.record("head", at: repo.c2, metrics: ["score/acc": 0.5])
        let result = try repo.prReport("--base", "main", "--threshold", "accuracy=-0.01")
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("HEAD's run has no metric `score/accuracy`, which a threshold gates"), "\(result.output)")
        // A threshold the experiment declares gates it without --threshold.
        let declared = try PullRequestRepo()
        try declared.record("head", at: declared.c2, metrics: ["score/acc": 0.5], declared: ["accuracy": -0.01])
        #expect(try declared.prReport("--base", "main").status == 1)
    }

    @Test func noRunOfHeadsCodeFailsTheGateAndNamesTheLastRun() throws {
        let repo = try PullRequestRepo()
        let result = try repo.prReport("--base", "main")
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("- spirals: no run of HEAD's code. Its latest run `base` ran other code (at `\(repo.c1.prefix(10))`; "
                                       + "files that differ, committed or not: `spirals.swift`)."), "\(result.output)")
        // A run with uncommitted changes to the code did not run HEAD's code either.
        try repo.record("dirty", at: repo.c2, metrics: ["score/accuracy": 1.0], dirty: true,
                        patch: "diff --git a/spirals.swift b/spirals.swift\n--- a/spirals.swift\n+++ b/spirals.swift\n")
        #expect(try repo.prReport("--base", "main").status == 1)
    }

    /// The workflow the old message could not support: run at C2, then commit its reports.
    @Test func aRunStandsForTheCommitThatOnlyAddsItsReports() throws {
        let repo = try PullRequestRepo()
        try repo.record("head", at: repo.c2, metrics: ["score/accuracy": 1.0], dirty: true,
                        patch: "diff --git a/reports/spirals/README.md b/reports/spirals/README.md\n")
        try repo.sandbox.write("reports/spirals/README.md", "# spirals, HEAD's run\n")
        let c2r = try repo.commit("spirals: report")
        let result = try repo.prReport("--base", "main", "--threshold", "accuracy=-0.01")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("Base `\(repo.c1r.prefix(10))` (`main`) → HEAD `\(c2r.prefix(10))`."), "\(result.output)")
        #expect(result.output.contains("HEAD's run was recorded at `\(repo.c2.prefix(10))`, which has HEAD's code"), "\(result.output)")
        #expect(result.output.contains("The base's run was recorded at `\(repo.c1.prefix(10))`"), "\(result.output)")
        // A commit that changes code is a different story.
        try repo.sandbox.write("helper.swift", "// new\n")
        _ = try repo.commit("a helper")
        #expect(try repo.prReport("--base", "main").status == 1)
    }

    // MARK: - Errors exit 2 (D28, D29, D30)

    @Test func usageAndGitErrorsExitTwoWithAClearMessage() throws {
        let repo = try PullRequestRepo()
        try repo.record("head", at: repo.c2, metrics: ["score/accuracy": 0.5])
        let folder = repo.sandbox.root.appendingPathComponent("reports").path
        let cases: [([String], String)] = [
            (["--base", "nonexistent"], "Error: no revision 'nonexistent' in this repository. Give --base a branch, tag or commit"),
            (["--base", "main..feature"], "Error: no revision 'main..feature' in this repository."),
            (["--base", "main", "--threshold", "accuracy=nan"], "Error: --threshold 'accuracy=nan' can never fire"),
            (["--base", "main", "--threshold", "accuracy=inf"], "Error: --threshold 'accuracy=inf' can never fire"),
            (["--base", "main", "--threshold", "accuarcy=-0.01"],
             "Error: --threshold names the metric 'accuarcy', which no recorded run has. Did you mean 'accuracy'? "
                + "Known metrics (step/metric, or just metric): score/accuracy"),
            (["--base", "main", "--threshold", "nosuchmetric=-0.01"], "Error: --threshold names the metric 'nosuchmetric', which no recorded run has. Known metrics"),
            (["--base", "main", "--threshold", "accuracy=0"], "Error: --threshold takes NAME=DELTA with a signed non-zero number"),
            (["--base", "main", "--out", "/nonexistent/dir/pr.md"],
             "Error: cannot write --out '/nonexistent/dir/pr.md': the folder '/nonexistent/dir' does not exist. Create it, or give another path."),
            (["--base", "main", "--out", folder], "Error: cannot write --out '\(folder)': it is a folder. Give a file path, e.g. --out \(folder)/pr.md."),
            (["--threshold", "accuracy=-0.01"], "Error: Missing expected argument '--base <base>'"),
        ]
        for (arguments, message) in cases {
            let result = try repo.sandbox.run(Sandbox.lab, ["pr-report"] + arguments)
            #expect(result.status == 2, "\(arguments): \(result.output)")
            #expect(result.output.contains(message), "\(arguments): \(result.output)")
            #expect(!result.output.contains("git status"), "\(result.output)")
        }
        let outside = try Sandbox(git: false)
        let notRepo = try outside.run(Sandbox.lab, ["pr-report", "--base", "main"])
        #expect(notRepo.status == 2 && notRepo.output.contains("is not inside a git repository"), "\(notRepo.output)")
        let help = try repo.sandbox.run(Sandbox.lab, ["pr-report", "--help"])
        let helpText = help.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.status == 0 && helpText.contains("1 when a metric regressed") && helpText.contains("2 for a usage error"), "\(help.output)")
    }

    @Test func outWritesTheReportFile() throws {
        let repo = try PullRequestRepo()
        try repo.record("head", at: repo.c2, metrics: ["score/accuracy": 1.0])
        let result = try repo.prReport("--base", "main", "--out", "pr.md")
        #expect(result.status == 0 && result.output.isEmpty, "\(result.output)")
        #expect(try repo.sandbox.read("pr.md").contains("**No regressions** in 1 experiment"))
    }

    // MARK: - lab compare (D31, D32, D33)

    @Test func compareRefusesOneRunGivenTwiceAndRunsOfDifferentExperiments() throws {
        let repo = try PullRequestRepo()
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

/// Which files a patch touches, for deciding whether a dirty run ran a commit's code.
@Suite struct PatchedPathsTests {
    @Test func pathsComeFromTheDiffHeadersAndOddHeadersAreKeptWhole() {
        let patch = """
            diff --git a/reports/x/README.md b/reports/x/README.md
            --- a/reports/x/README.md
            diff --git a/a b/c.txt b/a b/c.txt
            diff --git a/old.txt b/new.txt
            diff --git "a/t\\tab" "b/t\\tab"
            """
        #expect(RunStore.patchedPaths(patch) == ["reports/x/README.md", "a b/c.txt", "a/old.txt b/new.txt", "\"a/t\\tab\" \"b/t\\tab\""])
    }

    /// Untracked files are listed by size, hash and path, not as diffs (D16): they still count,
    /// and a patch cut at its size limit never passes for a clean one.
    @Test func untrackedFilesListedByNameAndACutPatchCount() {
        let patch = "# untracked files, not stored (bytes, SHA-256, path):\n"
            + "#\t12\t\(String(repeating: "a", count: 64))\treports/x/index.html\n"
            + "#\t187000000\t\(String(repeating: "b", count: 64))\tdata.csv\n"
            + "#\t3\t\(String(repeating: "c", count: 64))\todd\\\\name\\n.txt\n"
            + "diff --git a/src.swift b/src.swift\n"
            + "# patch cut at 1048576 of 2000000 bytes; the full patch's SHA-256 is abc\n"
        #expect(RunStore.patchedPaths(patch) == [
            "reports/x/index.html", "data.csv", "odd\\name\n.txt",
            "# patch cut at 1048576 of 2000000 bytes; the full patch's SHA-256 is abc", "src.swift",
        ])
    }
}
