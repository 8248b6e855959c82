import Foundation
import Testing
@testable import Reports

/// `lab reproduce`'s document: which comparison applies, the per-metric verdict, and the
/// report's Markdown and HTML, without a store or libtorch.
@Suite struct ReproductionRendererTests {
    static let here = Reproduction.Machine(cpu: "AMD EPYC 7B13", vectorExtensions: "sse4_2 avx fma avx2", atenCapability: "AVX2",
                                           libtorch: "2.13.0", threads: 1, libraryFingerprint: "abc libtorch 2.13.0")

    func reproduction(original: [String: Double], reproduced: [String: Double],
                      originalMachine: Reproduction.Machine = here, failure: String? = nil,
                      experiment: String = "spirals", notes: [String] = []) -> Reproduction {
        let comparison = Reproduction.Comparison.choose(original: originalMachine, reproduction: Self.here, relative: 1e-4, absolute: 1e-6)
        return Reproduction(experiment: experiment, originalRunId: "20261202-000000-aaaa", recordSource: "the run store",
                            newRunId: "20261202-000100-bbbb", commit: String(repeating: "c", count: 40), dirty: false,
                            file: "experiments/spirals.swift", seed: 0, smoke: true,
                            config: [.init(key: "hidden", value: "64")],
                            originalMachine: originalMachine, reproductionMachine: Self.here, comparison: comparison,
                            originalMetrics: original, reproducedMetrics: reproduced, notes: notes, failure: failure)
    }

    @Test func theSameMachineAndLibraryAskForBitIdentity() {
        #expect(Reproduction.Comparison.choose(original: Self.here, reproduction: Self.here, relative: 1e-4, absolute: 1e-6) == .bitIdentical)
        var other = Self.here
        other.cpu = "Intel Xeon Platinum 8481C"
        other.vectorExtensions = "sse4_2 avx fma avx2 avx512f"
        guard case let .withinTolerance(relative, absolute, reasons) = Reproduction.Comparison.choose(
            original: other, reproduction: Self.here, relative: 1e-4, absolute: 1e-6) else {
            Issue.record("another CPU must not ask for bit-identity")
            return
        }
        #expect(relative == 1e-4 && absolute == 1e-6)
        #expect(reasons.count == 2, "\(reasons)")
        #expect(reasons[0] == "CPU differs (Intel Xeon Platinum 8481C there, AMD EPYC 7B13 here)", "\(reasons)")
        var newLibrary = Self.here
        newLibrary.libraryFingerprint = "def libtorch 2.13.0"
        #expect(Reproduction.Comparison.choose(original: newLibrary, reproduction: Self.here, relative: 1e-4, absolute: 1e-6)
            != .bitIdentical, "a changed library is not the same computation")
        let unknown = Reproduction.Comparison.choose(original: .init(), reproduction: Self.here, relative: 1e-4, absolute: 1e-6)
        guard case let .withinTolerance(_, _, unknownReasons) = unknown else { Issue.record("nothing recorded: tolerance"); return }
        #expect(unknownReasons.count == 1 && unknownReasons[0].hasPrefix("the record does not say which machine"), "\(unknownReasons)")
        var noThreads = Self.here
        noThreads.threads = nil
        let partly = Reproduction.Comparison.choose(original: noThreads, reproduction: Self.here, relative: 1e-4, absolute: 1e-6)
        #expect(partly == .withinTolerance(relative: 1e-4, absolute: 1e-6, reasons: ["the original run does not record its thread count"]))
    }

    @Test func bitIdentityRefusesOneUlpAndTheToleranceAcceptsRounding() {
        let x = 0.6931471805599453
        #expect(Reproduction.Comparison.bitIdentical.accepts(original: x, reproduced: x))
        #expect(!Reproduction.Comparison.bitIdentical.accepts(original: x, reproduced: x.nextUp))
        #expect(Reproduction.Comparison.bitIdentical.accepts(original: .nan, reproduced: .nan))
        #expect(!Reproduction.Comparison.bitIdentical.accepts(original: .nan, reproduced: 1))
        let tolerance = Reproduction.Comparison.withinTolerance(relative: 1e-4, absolute: 1e-6, reasons: [])
        #expect(tolerance.accepts(original: x, reproduced: x * (1 + 5e-5)))
        #expect(!tolerance.accepts(original: x, reproduced: x * (1 + 5e-4)))
        #expect(tolerance.accepts(original: 0, reproduced: 5e-7), "the absolute floor near zero")
        #expect(!tolerance.accepts(original: 0, reproduced: 5e-6))
        #expect(tolerance.accepts(original: .infinity, reproduced: .infinity))
        #expect(!tolerance.accepts(original: .infinity, reproduced: 1e300))
    }

    @Test func everyMetricEqualIsReproducedBitIdentical() {
        let r = reproduction(original: ["mlp/finalLoss": 0.125, "accuracy/accuracy": 0.995],
                             reproduced: ["mlp/finalLoss": 0.125, "accuracy/accuracy": 0.995])
        #expect(r.verdict == .reproduced && r.verdict.exitStatus == 0)
        let md = ReproductionRenderer.markdown(r)
        #expect(md.hasPrefix("# Reproduction of run `20261202-000000-aaaa` (spirals)\n\n**Reproduced: bit-identical.** "), "\(md)")
        #expect(md.contains("| accuracy/accuracy | 0.995 | 0.995 | 0.0 | same |"), "\(md)")
        #expect(md.contains("| CPU | AMD EPYC 7B13 | AMD EPYC 7B13 |"), "\(md)")
        #expect(md.contains("Comparison: **bit-identical**: the same CPU"), "\(md)")
    }

    @Test func aDifferentMissingOrExtraMetricIsNotReproduced() {
        let r = reproduction(original: ["a/x": 1, "a/gone": 2], reproduced: ["a/x": 1.0.nextUp, "a/new": 3])
        #expect(r.verdict == .notReproduced && r.verdict.exitStatus == 1)
        #expect(r.failedMetrics.map(\.name) == ["a/gone", "a/new", "a/x"])
        let md = ReproductionRenderer.markdown(r)
        #expect(md.contains("**Not reproduced.** 3 of 3 metrics of run 20261202-000000-aaaa are not matched"), "\(md)")
        #expect(md.contains("- `a/gone`: the reproduction lacks it"), "\(md)")
        #expect(md.contains("- `a/new`: only the reproduction has it"), "\(md)")
        #expect(md.contains("| a/x | 1.0 | 1.0000000000000002 | 2.220446049250313e-16 | **differs** |"), "\(md)")
        let lines = ReproductionRenderer.summary(r)
        #expect(lines.first?.hasPrefix("Not reproduced.") == true, "\(lines)")
        #expect(lines.contains("  a/x  1.0 → 1.0000000000000002  (differs)"), "\(lines)")
    }

    @Test func aFailedRunCouldNotBeReproduced() {
        let r = reproduction(original: ["a/x": 1], reproduced: [:], failure: "the reproduction run X failed at step 'fit': boom")
        #expect(r.verdict == .couldNotReproduce && r.verdict.exitStatus == 2)
        #expect(ReproductionRenderer.markdown(r).contains("**Could not reproduce.** the reproduction run X failed at step 'fit': boom"))
    }

    @Test func everyRecordedStringIsEscaped() {
        let hostile = "<script>alert(1)</script>|*x*"
        var machine = Self.here
        machine.cpu = hostile
        let r = reproduction(original: [hostile: 1], reproduced: [hostile: 2], originalMachine: machine,
                             experiment: hostile, notes: [hostile])
        let md = ReproductionRenderer.markdown(r)
        #expect(!md.contains("<script>"), "\(md)")
        #expect(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;\\|\\*x\\*"), "\(md)")
        for line in md.split(separator: "\n") where line.hasPrefix("| ") {
            #expect(line.components(separatedBy: " | ").count <= 5, "a cell's pipe must not add a column: \(line)")
        }
        let html = ReproductionRenderer.html(r)
        #expect(!html.contains("<script>") && html.contains("&lt;script&gt;"), "\(html)")
        #expect(html.contains("Content-Security-Policy"))
    }
}
