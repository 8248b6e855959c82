import Foundation
import Testing
@testable import Reports

/// `lab pr-report`'s document, verdict and Markdown, without git.
@Suite struct PullRequestReportTests {
    typealias Run = PullRequestReport.RunSummary
    typealias Section = PullRequestReport.ExperimentSection

    static let base = "b" + String(repeating: "0", count: 39)
    static let head = "h" + String(repeating: "1", count: 39)

    func step(_ name: String, key: String = "k") -> PullRequestReport.StepSummary {
        .init(name: name, key: key, keyParts: ["source": key])
    }

    func run(_ id: String, status: String = "succeeded", commit: String = head, metrics: [String: Double]) -> Run {
        Run(id: id, commit: commit, status: status, steps: [step("score")], metrics: metrics)
    }

    func section(head: Run?, base: Run? = nil, thresholds: [RegressionThreshold] = [.init(metric: "accuracy", delta: -0.01, origin: .option)]) -> Section {
        Section(name: "spirals", base: base ?? run("base-run", commit: Self.base, metrics: ["score/accuracy": 1.0]),
                head: head, check: .init(state: .current), sourcePath: "experiments/spirals.swift", thresholds: thresholds)
    }

    func report(_ sections: [Section]) -> PullRequestReport {
        PullRequestReport(baseRevision: "main", baseCommit: Self.base, headCommit: Self.head, experiments: sections)
    }

    // MARK: - D27: what must not pass

    @Test func aPublishedRunThatDidNotSucceedFailsTheReportWhateverItsMetrics() {
        for status in ["failed", "crashed", "interrupted"] {
            let s = section(head: run("head-run", status: status, metrics: [:]))
            #expect(s.problems == [.headRunDidNotSucceed(status: status)], "\(status)")
            let r = report([s])
            #expect(!r.passed, "\(status)")
            let md = PullRequestRenderer.markdown(r)
            #expect(md.contains("**Not ready: 1 of 1 experiment has problems.**"), "\(md)")
            #expect(!md.contains("No regressions"), "\(md)")
        }
        var failed = run("head-run", status: "failed", metrics: [:])
        failed.failedStep = "eval"
        let md = PullRequestRenderer.markdown(report([section(head: failed)]))
        #expect(md.contains("- spirals: HEAD's published run `head-run` failed at step `eval`; a published run must have succeeded: "
                            + "fix it, run lab run experiments/spirals.swift and commit reports/."), "\(md)")
    }

    @Test func aStaleOrMissingReportAtHeadFailsAndSaysWhatToDo() {
        var stale = section(head: run("head-run", metrics: ["score/accuracy": 1.0]))
        stale.check = .init(state: .stale, reasons: ["fit (source)", "score (upstream: fit)"])
        #expect(stale.problems == [.staleAtHead(reasons: ["fit (source)", "score (upstream: fit)"])])
        var md = PullRequestRenderer.markdown(report([stale]))
        #expect(md.contains("- spirals: **changed, but its report was not re-run**: HEAD's report is not what HEAD's code computes "
                            + "(fit (source); score (upstream: fit)). Run lab run experiments/spirals.swift and commit reports/."), "\(md)")
        stale.check?.uncommittedReport = true
        md = PullRequestRenderer.markdown(report([stale]))
        #expect(md.contains("The working tree has a newer report: commit reports/."), "\(md)")

        var missing = section(head: nil)
        missing.check = .init(state: .noReport)
        #expect(missing.problems == [.noReportAtHead] && !report([missing]).passed)
        #expect(PullRequestRenderer.markdown(report([missing])).contains("HEAD has the experiment but no committed report of it."))
        // Removed with its file: nothing to check, not a problem.
        let removed = Section(name: "old", base: run("b", commit: Self.base, metrics: [:]), head: nil)
        #expect(removed.problems.isEmpty)
        #expect(PullRequestRenderer.markdown(report([removed])).contains("removed in this pull request"))
        // A report from an older library passes, and says so.
        var older = section(head: run("base-run", commit: Self.base, metrics: ["score/accuracy": 1.0]))
        older.check = .init(state: .olderLibrary)
        #expect(older.problems.isEmpty && older.unchanged)
        #expect(PullRequestRenderer.markdown(report([older])).contains("Unchanged (the same published run, or the same step keys and metrics): spirals (report from an older library)."))
    }

    @Test func aGatedMetricMissingAtHeadFails() {
        // Renamed: the base has score/accuracy, HEAD only score/acc.
        let renamed = section(head: run("head-run", metrics: ["score/acc": 0.5]))
        #expect(renamed.problems == [.lostMetric("score/accuracy")])
        #expect(renamed.metrics.first { $0.name == "score/accuracy" }?.verdict == .lost)
        #expect(PullRequestRenderer.markdown(report([renamed])).contains("| score/accuracy | 1 | — | — | **missing at HEAD** (limit -0.01) |"))
        // Declared in the experiment, and no run has it at all.
        let declared = section(head: run("head-run", metrics: ["score/acc": 0.5]), base: run("b", commit: Self.base, metrics: [:]),
                               thresholds: [.init(metric: "accuracy", delta: -0.01, origin: .declared)])
        #expect(declared.problems == [.lostMetric("accuracy")])
        // A metric no threshold gates may disappear.
        let ungated = section(head: run("head-run", metrics: ["score/acc": 0.5]), thresholds: [])
        #expect(ungated.problems.isEmpty)
    }

    @Test func regressionsAndNonFiniteValuesFailAndChangesWithinTheLimitPass() {
        let dropped = section(head: run("head-run", metrics: ["score/accuracy": 0.647]))
        #expect(dropped.problems.count == 1)
        #expect(!report([dropped]).passed)
        let md = PullRequestRenderer.markdown(report([dropped]))
        #expect(md.contains("| score/accuracy | 1 | 0.647 | -0.353 | **regressed** (limit -0.01) |"), "\(md)")
        #expect(md.contains("- spirals: `score/accuracy` **regressed**: moved by -0.353, past the limit -0.01."), "\(md)")
        #expect(!report([section(head: run("h", metrics: ["score/accuracy": .nan]))]).passed, "NaN at HEAD is a regression")
        let fine = section(head: run("head-run", metrics: ["score/accuracy": 0.995]))
        #expect(fine.problems.isEmpty && report([fine]).passed)
        let finemd = PullRequestRenderer.markdown(report([fine]))
        #expect(finemd.contains("**No regressions** in 1 experiment past the given thresholds."), "\(finemd)")
        #expect(finemd.contains("| score/accuracy | 1 | 0.995 | -0.005 | ok (limit -0.01) |"), "\(finemd)")
    }

    @Test func aNewExperimentWithoutABaseRunPassesWhenItsRunSucceeded() {
        let s = Section(name: "new", base: nil, head: run("h", metrics: ["score/accuracy": 0.9]),
                        thresholds: [.init(metric: "accuracy", delta: -0.01, origin: .option)])
        #expect(s.problems.isEmpty)
        #expect(s.metrics.first?.verdict == .new)
        #expect(PullRequestRenderer.markdown(report([s])).contains("nothing to compare against"))
    }

    @Test func nothingCheckedIsNotAPass() {
        let r = report([])
        #expect(!r.passed)
        #expect(PullRequestRenderer.markdown(r).contains("**Not ready: no committed report at the base or at HEAD, and no experiment file at HEAD**"))
    }

    @Test func changedStepsNameTheirKeyParts() {
        var head = run("head-run", metrics: ["score/accuracy": 1])
        head.steps = [.init(name: "data", key: "d", keyParts: ["source": "1"]), .init(name: "fit", key: "f2", keyParts: ["source": "2", "config": "c"]),
                      .init(name: "extra", key: "e", keyParts: [:])]
        var base = run("base-run", commit: Self.base, metrics: ["score/accuracy": 1])
        base.steps = [.init(name: "data", key: "d", keyParts: ["source": "1"]), .init(name: "fit", key: "f1", keyParts: ["source": "1", "config": "c"])]
        let s = section(head: head, base: base)
        #expect(s.changedSteps.map(\.name) == ["fit", "extra"] && !s.unchanged)
        let md = PullRequestRenderer.markdown(report([s]))
        #expect(md.contains("| data | no |") && md.contains("| fit | yes (source) |") && md.contains("| extra | new step |"), "\(md)")
    }

    // MARK: - D26: hostile names

    /// The reproduction of D26 and the other payloads of the hostile experiment: whatever the
    /// names, GitHub's renderer shows the verdict, and every table row keeps its columns.
    @Test func hostileNamesCannotHideTheVerdictOrBreakTheTables() throws {
        let names = ["setup\n<!-- a step name", "| pipes | x |", "<script>document.documentElement.dataset.pwned=1</script>",
                     "\"><img src=x onerror=alert(1)>", "`tick`", "[link](javascript:alert(1))", "line1\r\nline2", "rtl\u{202E}txt.exe"]
        var head = run("head-run", metrics: ["score/accuracy": 0.5])
        var base = run("base-run", commit: Self.base, metrics: ["score/accuracy": 1.0])
        head.steps = names.map { step($0, key: "new") }
        base.steps = names.map { step($0, key: "old") }
        for (i, name) in names.enumerated() {
            head.metrics["\(name)/m\(i)"] = 1; base.metrics["\(name)/m\(i)"] = 2
        }
        head.deviations = names
        let section = Section(name: "prhide <!-- " + names.joined(), base: base, head: head,
                              thresholds: [.init(metric: "accuracy", delta: -0.01, origin: .option)])
        let markdown = PullRequestRenderer.markdown(report([section]))
        guard let html = try cmarkGFM(markdown) else { return }
        #expect(html.contains("<strong>Not ready: 1 of 1 experiment has problems.</strong>"), "\(html)")
        #expect(html.contains("<strong>regressed</strong>"), "the metric table's verdict is shown: \(html)")
        #expect(html.contains("<strong>Not ready: see the problems above.</strong>"), "the last line is shown too")
        #expect(!html.contains("<!--") && !html.lowercased().contains("<script") && !html.contains("<img"), "\(html)")
        // Two tables (steps, metrics), every row with the header's number of cells.
        let tables = html.components(separatedBy: "<table>").dropFirst()
        #expect(tables.count == 2, "\(html)")
        for (table, width) in zip(tables, [2, 5]) {
            let rows = table.components(separatedBy: "</table>")[0].components(separatedBy: "<tr>").dropFirst()
            #expect(rows.count == names.count + 1 + (width == 5 ? 1 : 0), "\(table)")
            for row in rows {
                let cells = row.components(separatedBy: "<td").count - 1 + row.components(separatedBy: "<th").count - 1
                #expect(cells == width, "\(row)")
            }
        }
    }

    // MARK: - D28: thresholds that can never fire

    @Test(arguments: [
        ("accuracy=nan", "--threshold 'accuracy=nan' can never fire: DELTA must be a finite non-zero number, "
            + "e.g. accuracy=-0.01 (a drop of more than 0.01) or loss=+0.05 (a rise of more than 0.05)"),
        ("accuracy=-nan", "--threshold 'accuracy=-nan' can never fire: DELTA must be a finite non-zero number, "
            + "e.g. accuracy=-0.01 (a drop of more than 0.01) or loss=+0.05 (a rise of more than 0.05)"),
        ("loss=inf", "--threshold 'loss=inf' can never fire: DELTA must be a finite non-zero number, "
            + "e.g. accuracy=-0.01 (a drop of more than 0.01) or loss=+0.05 (a rise of more than 0.05)"),
        ("accuracy=0", "--threshold takes NAME=DELTA with a signed non-zero number, e.g. accuracy=-0.01; got 'accuracy=0'"),
        ("=0.1", "--threshold takes NAME=DELTA with a signed non-zero number, e.g. accuracy=-0.01; got '=0.1'"),
        ("accuracy", "--threshold takes NAME=DELTA with a signed non-zero number, e.g. accuracy=-0.01; got 'accuracy'"),
        ("accuracy=-0.01=3", "--threshold takes NAME=DELTA with a signed non-zero number, e.g. accuracy=-0.01; got 'accuracy=-0.01=3'"),
        ("accuracy=-1e-400", "--threshold takes NAME=DELTA with a signed non-zero number, e.g. accuracy=-0.01; got 'accuracy=-1e-400'"),
    ])
    func badThresholdsAreRejectedWithTheirText(text: String, message: String) {
        #expect(throws: (any Error).self) { try RegressionThreshold.parse(text) }
        do { _ = try RegressionThreshold.parse(text) } catch { #expect("\(error)" == message) }
    }

    @Test func thresholdsParseWithTheirSign() throws {
        #expect(try RegressionThreshold.parse("accuracy=-0.01") == .init(metric: "accuracy", delta: -0.01, origin: .option))
        #expect(try RegressionThreshold.parse("fit/loss=+0.05").delta == 0.05)
        #expect(try RegressionThreshold.parse("fit/loss=+0.05").matches("fit/loss"))
        #expect(try !RegressionThreshold.parse("fit/loss=+0.05").matches("eval/loss"))
        #expect(try RegressionThreshold.parse("loss=+0.05").matches("eval/loss"))
    }

    @Test func aThresholdNamingAMetricNoRunHasIsRejectedWithTheKnownMetrics() throws {
        let known = ["accuracy/accuracy", "accuracy/final_loss", "fit/loss"]
        let typo = RegressionThreshold(metric: "accuarcy", delta: -0.01, origin: .option)
        #expect(throws: CompareError.unknownThresholdMetric(name: "accuarcy", suggestion: "accuracy", known: known)) {
            try RegressionThreshold.checkNames([typo], known: known)
        }
        #expect(CompareError.unknownThresholdMetric(name: "accuarcy", suggestion: "accuracy", known: known).description
            == "--threshold names the metric 'accuarcy', which no committed report has. Did you mean 'accuracy'? "
            + "Known metrics (step/metric, or just metric): accuracy/accuracy, accuracy/final_loss, fit/loss")
        #expect(throws: CompareError.unknownThresholdMetric(name: "nosuchmetric", suggestion: nil, known: known)) {
            try RegressionThreshold.checkNames([.init(metric: "nosuchmetric", delta: -0.01, origin: .option)], known: known)
        }
        try RegressionThreshold.checkNames([.init(metric: "fit/loss", delta: 1, origin: .option),
                                            .init(metric: "final_loss", delta: 1, origin: .option)], known: known)
    }
}
