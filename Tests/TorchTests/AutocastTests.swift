import Foundation
import Testing
@testable import Torch

/// Mixed precision against torch.autocast("cpu") on this machine, bit for bit (the reference
/// values are written at test time: bfloat16 kernels differ between CPUs), and GradScaler's
/// rules against torch.amp.GradScaler's.
@Suite(.serialized) struct AutocastTests {
    static let fresh = Fixture.fresh("autocast")

    /// Runs `fn` on fresh leaves from the reference inputs, then backward of sum(out · w), as
    /// scripts/make-fixtures.py's Cases.add does, and compares outputs and gradients exactly.
    func check(_ name: String, inputs: Int, _ fn: ([Tensor]) throws -> Tensor) throws {
        guard let t = Self.fresh?.tensors else { return }
        let leaves = (0..<inputs).map { t["\(name).in\($0)"]!.clone().requiringGrad() }
        let out = try fn(leaves)
        expectIdentical(out.detached(), t["\(name).out0"], "\(name): output")
        (out * t["\(name).w"]!).sum().backward()
        for (i, leaf) in leaves.enumerated() {
            expectIdentical(leaf.grad, t["\(name).grad\(i)"], "\(name): gradient \(i)")
            #expect(leaf.grad?.dtype == .float32, "\(name): gradient \(i) of a float32 leaf is float32")
        }
    }

    @Test func linearMatmulAndConvolutionRunInBfloat16() throws {
        try check("bf16_linear", inputs: 3) { x in try withAutocast(.bfloat16) { F.linear(x[0], weight: x[1], bias: x[2]) } }
        try check("bf16_matmul", inputs: 2) { x in try withAutocast(.bfloat16) { x[0].matmul(x[1]) } }
        try check("bf16_conv2d", inputs: 3) { x in try withAutocast(.bfloat16) { F.conv2d(x[0], weight: x[1], bias: x[2], padding: (1, 1)) } }
        try check("fp16_linear", inputs: 3) { x in try withAutocast(.float16) { F.linear(x[0], weight: x[1], bias: x[2]) } }
        try check("bf16_untouched", inputs: 1) { x in try withAutocast(.bfloat16) { x[0].tanh() } }
    }

    @Test func scopesNestAndRestoreTheStateBefore() throws {
        let x = Tensor.ones([2, 3]), w = Tensor.ones([4, 3])
        #expect(!isAutocastEnabled())
        try withAutocast(.bfloat16) {
            #expect(isAutocastEnabled())
            #expect(F.linear(x, weight: w).dtype == .bfloat16)
            try withAutocast(.float16) { #expect(F.linear(x, weight: w).dtype == .float16) }
            #expect(F.linear(x, weight: w).dtype == .bfloat16, "the outer scope's dtype is back")
            try withAutocast(.float32) { #expect(isAutocastEnabled(), "fp32 inside leaves the scope as it is") }
        }
        #expect(!isAutocastEnabled())
        #expect(F.linear(x, weight: w).dtype == .float32)
        struct Thrown: Error {}
        #expect(throws: Thrown.self) { try withAutocast(.bfloat16) { throw Thrown() } }
        #expect(!isAutocastEnabled(), "a body that throws leaves autocast off")
    }

    @Test(.enabled(if: !Runtime.isCUDABuild, "this libtorch has CUDA"))
    func cudaWithoutCUDAIsAClearError() {
        #expect(!Runtime.isCUDAAvailable && Runtime.cudaDeviceCount == 0 && Runtime.bestDevice == .cpu)
        do {
            _ = try withAutocast(.bfloat16, on: .cuda(0)) { 1 }
            Issue.record("autocast on cuda:0 ran without CUDA")
        } catch {
            #expect("\(error)".contains("has no CUDA support"), "\(error)")
        }
        #expect(throws: TorchError.self) { try Runtime.synchronize(.cuda(0)) }
        #expect(throws: Never.self) { try Runtime.synchronize(.cpu) }
        #expect(!isAutocastEnabled(on: .cuda(0)))
    }

    @Test func precisionAndDeviceParse() throws {
        #expect(Precision(parsing: "bf16") == .bfloat16 && Precision(parsing: "BFloat16") == .bfloat16)
        #expect(Precision(parsing: "fp16") == .float16 && Precision(parsing: "float32") == .float32 && Precision(parsing: "fp64") == nil)
        struct Config: Codable { var precision: Precision }
        let decoded = try JSONDecoder().decode(Config.self, from: Data(#"{"precision": "bfloat16"}"#.utf8))
        #expect(decoded.precision == .bfloat16)
        #expect(String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self) == #"{"precision":"bf16"}"#)
        do {
            _ = try JSONDecoder().decode(Config.self, from: Data(#"{"precision": "fp8"}"#.utf8))
            Issue.record("fp8 decoded")
        } catch {
            #expect("\(error)".contains("precision 'fp8' is not one of fp32, bf16, fp16"), "\(error)")
        }
        #expect(Device(parsing: "cpu") == .cpu && Device(parsing: "cuda") == .cuda(0) && Device(parsing: "cuda:3") == .cuda(3))
        #expect(Device(parsing: "gpu") == nil && Device(parsing: "cuda:-1") == nil && Device(parsing: "cuda:x") == nil)
    }

    /// A loss scaled by a power of two, its gradients unscaled: the step is exactly the
    /// unscaled step. An overflowing scale skips the step and halves; growth after the interval.
    @Test func gradScalerStepsSkipsAndAdjustsItsScale() {
        func model() -> (Linear, SGD) {
            manualSeed(3)
            let layer = Linear(5, 2)
            return (layer, SGD(layer.parameters(), learningRate: 0.1))
        }
        manualSeed(4)
        let x = Tensor.randn([8, 5]), y = Tensor.randn([8, 2])
        let (plain, plainOptimizer) = model()
        (plain(x) - y).square().mean().backward()
        plainOptimizer.step()

        let (scaled, optimizer) = model()
        let scaler = GradScaler(initialScale: 1024, growthInterval: 2)
        scaler.scale((scaled(x) - y).square().mean()).backward()
        #expect(scaler.step(optimizer))
        scaler.update()
        for (a, b) in zip(scaled.parameters(), plain.parameters()) { expectIdentical(a, b, "a step through the scaler") }
        #expect(scaler.scale == 1024)
        optimizer.zeroGrad()
        scaler.scale((scaled(x) - y).square().mean()).backward()
        scaler.step(optimizer)
        scaler.update()
        #expect(scaler.scale == 2048, "two finite steps in a row double it")

        let (overflowing, overflowOptimizer) = model()
        let before = overflowing.parameters().map { $0.detached().clone() }
        let big = GradScaler(initialScale: 3e38)
        big.scale((overflowing(x) - y).square().mean() * 10).backward()
        #expect(!big.step(overflowOptimizer), "an infinite gradient skips the step")
        #expect(big.foundNonFinite)
        big.update()
        #expect(big.scale == 1.5e38)
        for (a, b) in zip(overflowing.parameters(), before) { expectIdentical(a.detached(), b, "the skipped step changed nothing") }

        // Training with a scaler: the same step as without one, and a skipped overflowing step.
        let (withScaler, scalerOptimizer) = model()
        Training(withScaler, optimizer: scalerOptimizer, scaler: GradScaler(initialScale: 4096)).step((withScaler(x) - y).square().mean())
        for (a, b) in zip(withScaler.parameters(), plain.parameters()) { expectIdentical(a, b, "Training.step through a scaler") }
        let (skipped, skippedOptimizer) = model()
        let skippedBefore = skipped.parameters().map { $0.detached().clone() }
        let training = Training(skipped, optimizer: skippedOptimizer, scaler: GradScaler(initialScale: 3e38))
        training.step((skipped(x) - y).square().mean() * 10)
        #expect(training.steps == 1 && training.scaler?.scale == 1.5e38)
        for (a, b) in zip(skipped.parameters(), skippedBefore) { expectIdentical(a.detached(), b, "Training skipped the overflowing step") }

        let off = GradScaler(enabled: false)
        let loss = Tensor.ones([1])
        #expect(off.scale(loss) === loss)
    }
}
