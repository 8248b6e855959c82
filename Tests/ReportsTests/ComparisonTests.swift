import Foundation
import Testing
@testable import Reports

@Suite struct ComparisonTests {
    func run(_ id: String, seed: Int64, lr: String, accuracy: Double) -> ComparedRun {
        ComparedRun(id: id, experiment: "e", commit: nil, seed: seed, config: ["lr": lr, "epochs": "3"],
                    metrics: ["eval/accuracy": accuracy], series: ["fit/loss": [SeriesPoint(x: 0, value: accuracy)]])
    }

    @Test func runsThatDifferOnlyBySeedAreGroupedWithA95PercentInterval() {
        let c = Comparison.build([run("r1", seed: 0, lr: "0.1", accuracy: 0.80), run("r2", seed: 1, lr: "0.1", accuracy: 0.84),
                                  run("r3", seed: 2, lr: "0.1", accuracy: 0.82), run("r4", seed: 0, lr: "0.2", accuracy: 0.70)])
        #expect(c.groups.map(\.runIds) == [["r1", "r2", "r3"], ["r4"]])
        #expect(c.differingKeys == ["lr"], "only the keys that differ")
        #expect(c.groups.map { $0.config["lr"] } == ["0.1", "0.2"])
        let row = c.metrics[0]
        #expect(row.name == "eval/accuracy")
        let a = row.estimates[0]!
        #expect(abs(a.mean - 0.82) < 1e-12 && a.n == 3)
        // s = 0.02, t(0.975, 2) = 4.303: half-width 4.303 · 0.02 / √3
        #expect(abs(a.halfWidth! - 4.303 * 0.02 / 3.0.squareRoot()) < 1e-9)
        #expect(row.estimates[1]!.halfWidth == nil, "a single run has no interval")
        #expect(abs(row.deltas[1]! - (0.70 - 0.82)) < 1e-12 && row.deltas[0] == 0)
        #expect(c.curves["fit/loss"]?.count == 4)
    }

    @Test func markdownShowsSignedDeltasAndEscapesNames() {
        var hostile = run("r2", seed: 0, lr: "0.2", accuracy: 0.9)
        hostile.metrics = ["eval/a|b<script>": 0.9]
        var base = run("r1", seed: 0, lr: "0.1", accuracy: 0.8)
        base.metrics = ["eval/a|b<script>": 0.8]
        let md = ComparisonRenderer.markdown(Comparison.build([base, hostile]))
        #expect(md.contains("| eval/a\\|b&lt;script&gt; | 0.8 (n=1) | 0.9 (n=1) | +0.1 |"), "\(md)")
        #expect(!md.contains("<script>"))
        #expect(md.contains("| lr | 0.1 | 0.2 |"))
    }

    @Test func theSameRunGivenTwiceCountsOnceWithANote() throws {
        let a = run("r1", seed: 0, lr: "0.1", accuracy: 1)
        let c = Comparison.build([a, a, run("r2", seed: 1, lr: "0.1", accuracy: 0.5)])
        #expect(c.runIds == ["r1", "r2"] && c.duplicateRunIds == ["r1"])
        #expect(c.metrics[0].estimates[0]?.n == 2)
        #expect(ComparisonRenderer.markdown(c).contains("Note: run `r1` was given more than once; each run is counted once."))
        #expect(ComparisonRenderer.html(c).contains("Note: run r1 was given more than once; each run is counted once."))
        #expect(throws: CompareError.tooFewRuns(given: ["r1", "r1"])) { try Comparison.validate([a, a]) }
        #expect(CompareError.tooFewRuns(given: ["r1", "r1"]).description
            == "give at least two different runs to compare; got 'r1', 'r1' (lab ls lists the runs)")
    }

    @Test func runsOfDifferentExperimentsAreRefusedWithTheListOfExperiments() throws {
        var other = run("r3", seed: 0, lr: "0.1", accuracy: 1)
        other.experiment = "errs"
        let runs = [run("r1", seed: 0, lr: "0.1", accuracy: 1), other, run("r2", seed: 1, lr: "0.1", accuracy: 1)]
        let expected = CompareError.differentExperiments(experiments: ["e", "errs"], runIds: [["r1", "r2"], ["r3"]])
        #expect(throws: expected) { try Comparison.validate(runs) }
        #expect(expected.description == "lab compare puts runs of one experiment side by side; these runs belong to 2 experiments: "
            + "e (r1, r2); errs (r3). Compare the runs of one of them (lab ls EXPERIMENT lists them).")
        try Comparison.validate(Array(runs.filter { $0.experiment == "e" }))
    }

    @Test func runsThatDidNotSucceedShowTheirStatus() {
        var crashed = run("r1", seed: 0, lr: "0.1", accuracy: 1)
        crashed.status = "crashed"; crashed.metrics = [:]
        var failed = run("r2", seed: 1, lr: "0.2", accuracy: 1)
        failed.status = "failed"
        let c = Comparison.build([crashed, failed, run("r3", seed: 0, lr: "0.2", accuracy: 0.5)])
        #expect(c.groups.map(\.statuses) == [["crashed"], ["failed", "succeeded"]])
        let md = ComparisonRenderer.markdown(c)
        #expect(md.contains("**A** = `r1` (**crashed**) (seed 0); **B** = `r2` (**failed**), `r3` (seeds 1, 0)"), "\(md)")
        #expect(md.contains("**Not every run succeeded:** `r1` crashed, `r2` failed: their metrics are missing or partial"), "\(md)")
        #expect(ComparisonRenderer.html(c).contains("<b>Not every run succeeded:</b> r1 crashed, r2 failed"))
    }

    @Test func tCriticalValuesFollowTheTable() {
        #expect(Comparison.tCritical(1) == 12.706 && Comparison.tCritical(30) == 2.042 && Comparison.tCritical(100) == 1.96)
    }
}
