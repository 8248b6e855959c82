import Testing
@testable import Torch

@Suite(.serialized) struct LossTests {
    nonisolated(unsafe) static let cases: [String: ([Tensor]) -> [Tensor]] = [
        "ce": { [F.crossEntropy($0[0], $0[1])] },
        "ce_smooth": { [F.crossEntropy($0[0], $0[1], labelSmoothing: 0.1)] },
        "ce_ignore": { [F.crossEntropy($0[0], $0[1], ignoreIndex: 1)] },
        "ce_sum": { [F.crossEntropy($0[0], $0[1], reduction: .sum)] },
        "ce_probs": { [F.crossEntropy($0[0], $0[1])] },
        "ce_spatial": { [F.crossEntropy($0[0], $0[1])] },
        "mse": { [F.mseLoss($0[0], $0[1])] },
        "mse_none": { [F.mseLoss($0[0], $0[1], reduction: .none)] },
        "bce": { [F.binaryCrossEntropyWithLogits($0[0], $0[1])] },
        "bce_pos": { [F.binaryCrossEntropyWithLogits($0[0], $0[1], posWeight: $0[2].detached())] },
    ]

    @Test(arguments: cases.keys.sorted())
    func matchesPyTorch(_ name: String) { checkCase(file: "losses", name: name, run: Self.cases[name]!) }
}

/// Each optimizer runs six steps from the same parameters with the same gradients as
/// torch.optim, and must land on the same values after every step.
@Suite(.serialized) struct OptimizerTests {
    static let t = Fixture.load("optim").tensors

    nonisolated(unsafe) static let configs: [String: ([Tensor]) -> any Optimizer] = [
        "sgd": { SGD($0, learningRate: 0.1) },
        "sgd_momentum": { SGD($0, learningRate: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01) },
        "sgd_nesterov": { SGD($0, learningRate: 0.05, momentum: 0.9, nesterov: true) },
        "adam": { Adam($0, learningRate: 0.01) },
        "adam_l2": { Adam($0, learningRate: 0.01, weightDecay: 0.1) },
        "adam_amsgrad": { Adam($0, learningRate: 0.01, betas: (0.8, 0.9), amsgrad: true) },
        "adamw": { AdamW($0, learningRate: 0.01) },
        "adamw_wd": { AdamW($0, learningRate: 0.02, eps: 1e-6, weightDecay: 0.3) },
    ]

    static func gradientStep(_ ps: [Tensor], _ k: Int) {
        let loss = (ps[0] * t["grad\(k).0"]!).sum() + (ps[1] * t["grad\(k).1"]!).sum()
        loss.backward()
    }

    @Test(arguments: configs.keys.sorted())
    func matchesTorchOptim(_ name: String) {
        let ps = [Self.t["p0"]!.clone().requiringGrad(), Self.t["p1"]!.clone().requiringGrad()]
        let optimizer = Self.configs[name]!(ps)
        for k in 0..<6 {
            optimizer.zeroGrad()
            Self.gradientStep(ps, k)
            optimizer.step()
            // The same ops in the same order on the same libtorch: the same bits.
            expectIdentical(ps[0], Self.t["\(name).step\(k).0"], "\(name) step \(k) parameter 0")
            expectIdentical(ps[1], Self.t["\(name).step\(k).1"], "\(name) step \(k) parameter 1")
        }
    }

    @Test(arguments: ["sgd_momentum", "adam_amsgrad", "adamw_wd"])
    func stateSavedAndLoadedContinuesIdentically(_ name: String) throws {
        let path = FileManagerTemp.path("optimizer-\(name).safetensors")
        let ps = [Self.t["p0"]!.clone().requiringGrad(), Self.t["p1"]!.clone().requiringGrad()]
        let first = Self.configs[name]!(ps)
        for k in 0..<3 { first.zeroGrad(); Self.gradientStep(ps, k); first.step() }
        try first.save(to: path)
        let second = Self.configs[name]!(ps)
        try second.load(from: path)
        for k in 3..<6 { second.zeroGrad(); Self.gradientStep(ps, k); second.step() }
        expectIdentical(ps[0], Self.t["\(name).step5.0"], "\(name) after resume")
        expectIdentical(ps[1], Self.t["\(name).step5.1"], "\(name) after resume")
    }

    @Test func loadingStateOfAnotherOptimizerFails() throws {
        let path = FileManagerTemp.path("optimizer-mismatch.safetensors")
        let p = [Tensor.zeros([2]).requiringGrad()]
        try SGD(p, learningRate: 0.1, momentum: 0.9).save(to: path)
        #expect(throws: TorchError.stateDict("the saved state is from SGD, this optimizer is AdamW")) {
            try AdamW(p).load(from: path)
        }
        #expect(throws: TorchError.stateDict("the saved SGD state is for 1 parameters, this optimizer has 2")) {
            try SGD(p + [Tensor.zeros([1]).requiringGrad()], learningRate: 0.1).load(from: path)
        }
    }

    @Test func stepLRMatchesPyTorch() {
        let expected = Self.t["lr.step"]!.asArray(Double.self)
        let optimizer = SGD([Tensor.zeros([1]).requiringGrad()], learningRate: 0.5)
        let scheduler = LRScheduler(optimizer, schedule: StepLR(stepSize: 3, gamma: 0.5))
        for e in expected { #expect(abs(optimizer.learningRate - e) < 1e-12); scheduler.step() }
    }

    @Test func cosineWithWarmupMatchesPyTorchSequentialLR() {
        let expected = Self.t["lr.cosine"]!.asArray(Double.self)
        let optimizer = SGD([Tensor.zeros([1]).requiringGrad()], learningRate: 0.5)
        let scheduler = LRScheduler(optimizer, schedule: CosineWithWarmup(warmupSteps: 5, totalSteps: 20, minLearningRate: 0.01))
        for (i, e) in expected.enumerated() {
            #expect(abs(optimizer.learningRate - e) < 1e-9, "step \(i): \(optimizer.learningRate) vs \(e)")
            scheduler.step()
        }
    }

    @Test func aResumedSchedulerContinuesWhereItStopped() {
        let expected = Self.t["lr.cosine"]!.asArray(Double.self)
        let optimizer = SGD([Tensor.zeros([1]).requiringGrad()], learningRate: 0.5)
        let scheduler = LRScheduler(optimizer, schedule: CosineWithWarmup(warmupSteps: 5, totalSteps: 20, minLearningRate: 0.01))
        scheduler.resume(atStep: 12)
        #expect(scheduler.stepCount == 12)
        for (i, e) in expected.enumerated().dropFirst(12) {
            #expect(abs(optimizer.learningRate - e) < 1e-9, "step \(i): \(optimizer.learningRate) vs \(e)")
            scheduler.step()
        }
    }

    @Test func gradientClippingMatchesPyTorch() {
        let a = Self.t["clip.a"]!.clone().requiringGrad(), b = Self.t["clip.b"]!.clone().requiringGrad()
        ((a * 3.0).sum() + b.pow(2.0).sum()).backward()
        let total = clipGradNorm([a, b], maxNorm: 1.0)
        #expect(abs(total - Self.t["clip.total"]!.item()) < 1e-5)
        expectClose(a.grad, Self.t["clip.grad_a"], "clipped gradient a")
        expectClose(b.grad, Self.t["clip.grad_b"], "clipped gradient b")
    }
}

enum FileManagerTemp {
    static let directory: String = {
        let path = NSTemporaryDirectory() + "lab-torch-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()
    static func path(_ name: String) -> String { directory + "/" + name }
}

import Foundation
