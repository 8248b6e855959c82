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

    @Test func tCriticalValuesFollowTheTable() {
        #expect(Comparison.tCritical(1) == 12.706 && Comparison.tCritical(30) == 2.042 && Comparison.tCritical(100) == 1.96)
    }
}
