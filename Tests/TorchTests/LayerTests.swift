import Testing
@testable import Torch

/// Layers against torch.nn: the same seed gives the same initial weights, the state-dict
/// keys are PyTorch's, and outputs and gradients match.
///
/// Initial weights are bit for bit PyTorch's when both run on this machine (each test also
/// checks them against `Fixture.fresh`, written at test time). Against the committed fixture they
/// agree within `initRtol`/`initAtol`: ATen draws uniform and normal values with vectorized
/// kernels chosen by CPU, and `ATEN_CPU_CAPABILITY=default` on the AVX2 machine that wrote
/// the fixture moved uniform draws by up to 1 ulp (3e-8) and normal draws by up to 1.9e-6
/// in 100,000 draws: Box–Muller's `r·cos θ` carries the vectorized log's and cosine's error
/// as an absolute error of the order of r·ε, whatever |x| is (so rtol alone cannot bound it).
/// The bound is twice that.
@Suite(.serialized) struct LayerTests {
    static let t = Fixture.load("layers")
    static let initRtol = 1e-6, initAtol = 4e-6
    static let fresh = Fixture.fresh("layers")

    func check(_ name: String, seed: UInt64, make: () -> Module, run: @escaping (Module, [Tensor]) -> [Tensor],
               rtol: Double = 1e-5, atol: Double = 1e-5) {
        manualSeed(seed)
        let module = make()
        module.eval()
        let expectedKeys = Self.t.metadata["\(name).keys"]!.split(separator: ",").map(String.init)
        #expect(module.stateDictKeys() == expectedKeys, "\(name): state-dict keys")
        for (key, value) in module.stateDict() {
            expectClose(value, Self.t.tensors["\(name).state.\(key)"], rtol: Self.initRtol, atol: Self.initAtol, "\(name): initial \(key)")
            if let fresh = Self.fresh?.tensors["\(name).state.\(key)"] {
                expectIdentical(value, fresh, "\(name): initial \(key), against torch.nn on this machine")
            }
        }
        checkCase(file: "layers", name: name, rtol: rtol, atol: atol) { run(module, $0) }
        for (key, p) in module.namedParameters() {
            if let expected = Self.t.tensors["\(name).pgrad.\(key)"] {
                expectClose(p.grad, expected, rtol: rtol, atol: atol, "\(name): gradient of \(key)")
            }
        }
    }

    @Test func linear() { check("linear", seed: 10, make: { Linear(16, 7) }, run: { m, x in [(m as! Linear)(x[0])] }) }
    @Test func conv2d() { check("conv2d", seed: 11, make: { Conv2d(3, 4, kernelSize: 3, padding: 1) }, run: { m, x in [(m as! Conv2d)(x[0])] }) }
    @Test func conv1d() { check("conv1d", seed: 12, make: { Conv1d(3, 5, kernelSize: 5, stride: 2) }, run: { m, x in [(m as! Conv1d)(x[0])] }) }
    @Test func layerNorm() { check("layer_norm", seed: 13, make: { LayerNorm(16) }, run: { m, x in [(m as! LayerNorm)(x[0])] }) }
    @Test func embedding() {
        check("embedding", seed: 14, make: { Embedding(10, 6, paddingIndex: 0) }, run: { m, x in [(m as! Embedding)(x[0])] })
    }
    @Test func multiheadAttention() {
        check("mha", seed: 15, make: { MultiheadAttention(embedDim: 16, numHeads: 4) }, run: { m, x in
            [(m as! MultiheadAttention)(x[0], x[0], x[0]).output]
        })
    }
    @Test func multiheadAttentionWeights() {
        check("mha_weights", seed: 16, make: { MultiheadAttention(embedDim: 16, numHeads: 2) }, run: { m, x in
            let r = (m as! MultiheadAttention)(x[0], x[0], x[0], needWeights: true)
            return [r.output, r.weights!]
        })
    }
    @Test func multiheadAttentionPadding() {
        check("mha_padding", seed: 17, make: { MultiheadAttention(embedDim: 16, numHeads: 4) }, run: { m, x in
            [(m as! MultiheadAttention)(x[0], x[0], x[0], keyPaddingMask: x[1]).output]
        })
    }
    @Test func transformerEncoderPostNorm() {
        check("encoder_post", seed: 18, make: { TransformerEncoderLayer(dModel: 16, numHeads: 4, dimFeedforward: 32) },
              run: { m, x in [(m as! TransformerEncoderLayer)(x[0])] })
    }
    @Test func transformerEncoderPreNorm() {
        check("encoder_pre", seed: 19,
              make: { TransformerEncoderLayer(dModel: 16, numHeads: 4, dimFeedforward: 32, activation: .gelu, normFirst: true) },
              run: { m, x in [(m as! TransformerEncoderLayer)(x[0], keyPaddingMask: x[1])] })
    }
    @Test func sequential() {
        check("sequential", seed: 20,
              make: { Sequential(Conv2d(3, 4, kernelSize: 3, padding: 1), ReLU(), MaxPool2d(2), Flatten(), Linear(4 * 4 * 4, 5)) },
              run: { m, x in [(m as! Sequential)(x[0])] })
    }

    /// Without gradients in evaluation mode the layer takes libtorch's fused kernel, as PyTorch does;
    /// its output must match the op-by-op path (the fixture) within float32 rounding.
    @Test func transformerEncoderFastPathMatchesComposite() {
        manualSeed(18)
        let layer = TransformerEncoderLayer(dModel: 16, numHeads: 4, dimFeedforward: 32)
        layer.eval()
        let x = Self.t.tensors["encoder_post.in0"]!
        #expect(layer.fastPath(x, hasMask: false) == nil, "gradients are on: no fast path")
        let fused = withNoGrad { layer.fastPath(x, hasMask: false) }
        expectClose(fused, Self.t.tensors["encoder_post.out0"], rtol: 1e-4, atol: 1e-5, "fused encoder layer")
        expectClose(withNoGrad { layer(x) }, Self.t.tensors["encoder_post.out0"], rtol: 1e-4, atol: 1e-5, "encoder layer without grad")
    }

    @Test func seededGeneratorMatchesPyTorch() {
        manualSeed(42)
        // Fewer than 16 values: ATen's scalar path on every CPU, so the committed bits hold anywhere.
        expectIdentical(Tensor.randn([3, 4]), Self.t.tensors["randn.seed42"], "randn after manualSeed(42)")
        expectIdentical(Tensor.rand([5]), Self.t.tensors["rand.seed42"], "rand after manualSeed(42)")
    }

    /// One training step of BatchNorm2d (batch statistics; running mean and unbiased variance
    /// moved by momentum 0.01; the gradients of sum(out · w)), then evaluation with the updated
    /// running statistics, against torch.nn.BatchNorm2d(3, eps=1e-3, momentum=0.01).
    @Test func batchNorm2dTrainsAndEvaluatesAsTorch() throws {
        let t = Self.t.tensors
        let bn = BatchNorm2d(3, eps: 1e-3, momentum: 0.01)
        #expect(bn.stateDictKeys() == Self.t.metadata["batch_norm.keys"]!.split(separator: ",").map(String.init))
        try bn.loadStateDict(["weight": Tensor([0.5, 1.5, -1.0] as [Float]), "bias": Tensor([0.1, -0.2, 0.3] as [Float]),
                              "running_mean": Tensor.zeros([3]), "running_var": Tensor.ones([3]),
                              "num_batches_tracked": Tensor.zeros([], dtype: .int64)])
        let x = t["batch_norm.in"]!.requiringGrad()
        let y = bn(x)
        expectClose(y, t["batch_norm.train.out"], rtol: 1e-5, atol: 1e-5, "training-mode output")
        (y * t["batch_norm.w"]!).sum().backward()
        expectClose(x.grad, t["batch_norm.grad.in"], rtol: 1e-5, atol: 1e-5, "gradient of the input")
        expectClose(bn.weight!.grad, t["batch_norm.grad.weight"], rtol: 1e-5, atol: 1e-5, "gradient of the weight")
        expectClose(bn.bias!.grad, t["batch_norm.grad.bias"], rtol: 1e-5, atol: 1e-5, "gradient of the bias")
        expectClose(bn.runningMean, t["batch_norm.running_mean"], rtol: 1e-6, atol: 1e-6, "running mean after one step")
        expectClose(bn.runningVar, t["batch_norm.running_var"], rtol: 1e-6, atol: 1e-6, "running variance after one step")
        #expect(bn.numBatchesTracked.item(Int.self) == t["batch_norm.num_batches_tracked"]!.item(Int.self))
        bn.eval()
        let before = bn.runningMean.clone()
        expectClose(withNoGrad { bn(x.detached() * 0.5) }, t["batch_norm.eval.out"], rtol: 1e-5, atol: 1e-5, "evaluation-mode output")
        #expect(bn.runningMean.allClose(before, rtol: 0, atol: 0) && bn.numBatchesTracked.item(Int.self) == 1, "evaluation leaves the statistics alone")
    }

    @Test func dropoutIsActiveOnlyInTraining() {
        let d = Dropout(0.5)
        let x = Tensor.ones([1000])
        let y = d(x)
        let zeros = (y .== 0.0).to(.float32).sum().item()
        #expect(zeros > 350 && zeros < 650, "about half the elements dropped, got \(zeros)")
        #expect((y .== 2.0).logicalOr(y .== 0.0).all().item() == 1, "survivors scaled by 1/(1-p)")
        d.eval()
        #expect(d(x).allClose(x))
    }

    @Test func trainAndEvalReachEverySubmodule() {
        let layer = TransformerEncoderLayer(dModel: 8, numHeads: 2, dimFeedforward: 16)
        layer.eval()
        #expect(layer.namedModules().allSatisfy { !$0.1.isTraining })
        layer.train()
        #expect(layer.namedModules().allSatisfy { $0.1.isTraining })
        #expect(layer.namedModules().map(\.0).contains("self_attn.out_proj"))
    }

    @Test func loadStateDictCopiesInPlaceAndRejectsMismatches() throws {
        let a = Linear(4, 3), b = Linear(4, 3)
        let weightBefore = b.weight
        try b.loadStateDict(a.stateDict())
        #expect(b.weight === weightBefore, "parameters keep their identity")
        #expect(b.weight.allClose(a.weight) && b.bias!.allClose(a.bias!))

        #expect(throws: TorchError.stateDict("missing keys [\"bias\"]; expected keys are [\"weight\", \"bias\"]")) {
            try b.loadStateDict(["weight": a.weight])
        }
        #expect(throws: TorchError.stateDict("'weight' has shape [3, 5] in the file but [3, 4] in the module")) {
            try b.loadStateDict(["weight": Tensor.zeros([3, 5]), "bias": Tensor.zeros([3])])
        }
        #expect(throws: TorchError.self) { try b.loadStateDict(["weight": a.weight, "bias": a.bias!, "extra": a.bias!]) }
    }

    @Test func frozenParametersAreNotTrainable() {
        let m = Sequential(Linear(4, 4), ReLU(), Linear(4, 2))
        #expect(m.parameterCount() == 4 * 4 + 4 + 4 * 2 + 2)
        (m.layers[0] as! Linear).requiresGrad(false)
        #expect(m.parameterCount(trainableOnly: true) == 4 * 2 + 2)
        #expect(m.stateDictKeys() == ["0.weight", "0.bias", "2.weight", "2.bias"])
    }
}
