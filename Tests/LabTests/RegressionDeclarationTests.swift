import Foundation
import Testing
@testable import Lab

private struct GateConfig: ExperimentConfig { var x = 1 }

/// A regression gate names the metric's good direction, so its sign cannot be misread
/// (`cross-attention-vqa` once declared `beyond: 0.01` on an accuracy: a drop never fired).
@Suite struct RegressionDeclarationTests {
    @Test func theDirectionDecidesTheSignOfTheRecordedDelta() {
        let experiment = Experiment("gates", config: GateConfig()) { lab in
            lab.regression("evaluate/accuracy", .higherIsBetter, tolerance: 0.01)
            lab.regression("train/loss", .lowerIsBetter, tolerance: 0.05)
            lab.regression("exact", .higherIsBetter, tolerance: 0)
        }
        #expect(experiment.thresholds == ["evaluate/accuracy": -0.01, "train/loss": 0.05, "exact": -0.0])
    }

    /// The shipped experiments name a direction for every gate they declare.
    @Test func shippedExperimentsUseTheNamedDirection() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../experiments").standardized
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".swift") {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            #expect(!text.contains("beyond:"), "experiments/\(name) declares a signed `beyond:` threshold")
        }
    }
}
