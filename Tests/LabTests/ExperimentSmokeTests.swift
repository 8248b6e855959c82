import Foundation
import Testing

/// The experiments that ship in experiments/, run with `--smoke` (tiny data, seconds) through
/// the real `lab` command; a second run with nothing changed is a full cache hit.
@Suite(.serialized) struct ExperimentSmokeTests {
    /// Every file in experiments/: a new experiment is covered without editing this list.
    static let shipped: [String] = ((try? FileManager.default.contentsOfDirectory(
        atPath: Sandbox.packageRoot.appendingPathComponent("experiments").path)) ?? [])
        .filter { $0.hasSuffix(".swift") }.map { String($0.dropLast(".swift".count)) }.sorted()

    @Test func theShippedExperimentsAreFound() {
        for name in ["spirals", "clip-fashion", "spoken-digits", "int8-quantization", "cross-attention-vqa",
                     "perceiver-resampler", "regularization", "lora-adaptation", "contrastive-negatives", "open-vocabulary"] {
            #expect(Self.shipped.contains(name), "experiments/\(name).swift not found in \(Self.shipped)")
        }
    }

    @Test(arguments: shipped)
    func runsInSmokeModeAndThenHitsTheCache(_ name: String) throws {
        let box = try Sandbox()
        let source = try String(contentsOf: Sandbox.packageRoot.appendingPathComponent("experiments/\(name).swift"), encoding: .utf8)
        try box.write("\(name).swift", source)
        let first = try box.lab("run", "\(name).swift", "--smoke")
        #expect(first.status == 0, "\(first.output)")
        #expect(!first.ran.isEmpty && first.cached.isEmpty, "\(first.output)")
        let second = try box.lab("run", "\(name).swift", "--smoke")
        #expect(second.status == 0 && second.ran.isEmpty && second.cached == first.ran, "\(second.output)")
    }
}
