import Testing
@testable import Torch

/// Autograd against central finite differences in float64, for each differentiable op family
/// and layer: every gradient entry of L = Σ f(x)·w is checked against (L(x+ε) − L(x−ε)) / 2ε.
@Suite(.serialized) struct GradientTests {
    static func gradcheck(_ name: String, _ inputs: [Tensor], eps: Double = 1e-6, tolerance: Double = 1e-5,
                          parameters: [Tensor] = [], _ f: ([Tensor]) -> Tensor) {
        manualSeed(3)
        let xs = inputs.map { $0.dtype.isFloatingPoint ? $0.to(.float64).clone().requiringGrad() : $0 }
        let w = f(xs).detached().randnLike()
        func loss() -> Double { (f(xs) * w).sum().item() }
        (f(xs) * w).sum().backward()
        for (k, x) in (xs + parameters).enumerated() where x.requiresGrad {
            guard let analytic = x.grad?.reshape(-1).asArray(Double.self) else {
                Issue.record("\(name): no gradient for input \(k)")
                continue
            }
            let flat = x.detached().view(-1)
            for i in 0..<x.count {
                let numeric: Double = withNoGrad {
                    flat[i].add_(eps); let plus = loss()
                    flat[i].add_(-2 * eps); let minus = loss()
                    flat[i].add_(eps)
                    return (plus - minus) / (2 * eps)
                }
                if abs(numeric - analytic[i]) > tolerance * max(1, abs(numeric)) {
                    Issue.record("\(name): input \(k) element \(i): autograd \(analytic[i]), finite difference \(numeric)")
                    return
                }
            }
        }
    }

    static func r(_ shape: Int...) -> Tensor { Tensor.randn(shape, dtype: .float64) }
    static func positive(_ shape: Int...) -> Tensor { Tensor.rand(shape, dtype: .float64) + 0.5 }

    @Test func arithmetic() {
        Self.gradcheck("add/sub/mul/div", [Self.r(3, 4), Self.r(4), Self.positive(3, 1)]) { ($0[0] + $0[1]) * $0[0] / $0[2] - $0[1] }
        Self.gradcheck("pow", [Self.positive(3, 4), Self.r(3, 4)]) { $0[0].pow($0[1]) + $0[0].pow(2.5) }
        Self.gradcheck("scalars", [Self.r(5)]) { 2.0 - $0[0] * 3.0 + 1.0 / ($0[0].square() + 1.0) }
    }

    @Test func linearAlgebra() {
        Self.gradcheck("matmul", [Self.r(2, 3, 4), Self.r(4, 5)]) { $0[0].matmul($0[1]) }
        Self.gradcheck("bmm", [Self.r(2, 3, 4), Self.r(2, 4, 2)]) { $0[0].bmm($0[1]) }
        Self.gradcheck("einsum", [Self.r(3, 4), Self.r(4, 2)]) { Tensor.einsum("ij,jk->ik", $0[0], $0[1]) }
    }

    @Test func reductions() {
        let x = Self.r(3, 4, 2)
        Self.gradcheck("sum/mean", [x]) { $0[0].sum(dim: 1) + $0[0].mean(dims: [1], keepDim: false) }
        Self.gradcheck("var/std", [x]) { $0[0].variance(dims: [1]) + $0[0].std(dims: [0, 2]).sum() }
        Self.gradcheck("logsumexp", [x]) { $0[0].logsumexp(dim: 2) }
        Self.gradcheck("max", [x]) { $0[0].max(dim: 1).values + $0[0].min(dims: [2]).sum() }
        Self.gradcheck("norm", [x]) { $0[0].norm(dims: [2]) }
    }

    @Test func elementwise() {
        Self.gradcheck("exp/tanh/sigmoid", [Self.r(3, 4)]) { $0[0].exp() + $0[0].tanh() + $0[0].sigmoid() }
        Self.gradcheck("log/sqrt", [Self.positive(3, 4)]) { $0[0].log() + $0[0].sqrt() + $0[0].rsqrt() }
        Self.gradcheck("gelu/silu", [Self.r(3, 4)]) { $0[0].gelu() + $0[0].silu() + $0[0].gelu(approximate: true) }
        Self.gradcheck("softmax", [Self.r(3, 4)]) { $0[0].softmax(dim: 1) + $0[0].logSoftmax(dim: 0) }
        Self.gradcheck("normalize/cosine", [Self.r(3, 4), Self.r(3, 4)]) {
            F.normalize($0[0], dim: 1) + F.cosineSimilarity($0[0], $0[1]).unsqueeze(1)
        }
    }

    @Test func shapesAndIndexing() {
        Self.gradcheck("views", [Self.r(2, 3, 4)]) { $0[0].permute(2, 0, 1).reshape(4, 6)[1..<3, .stride(by: 2)] * 2.0 }
        Self.gradcheck("cat/stack/split", [Self.r(2, 3), Self.r(2, 3)]) {
            let parts = Tensor.cat([$0[0], $0[1]], dim: 1).split(size: 2, dim: 1)
            return Tensor.stack([parts[0], parts[2]]) * Tensor.stack([$0[0][.all, 0..<2], $0[1][.all, 1...]])
        }
        Self.gradcheck("gather/where", [Self.r(3, 4)]) {
            $0[0].gather(dim: 1, index: Tensor([Int64(0), 3, 1, 1, 2, 0], shape: [3, 2])).sum(dim: 1)
                + Tensor.where($0[0] .> 0.0, $0[0], $0[0] * 0.1).sum(dim: 1)
        }
    }

    @Test func convolutionAndPooling() {
        Self.gradcheck("conv1d", [Self.r(2, 3, 9), Self.r(4, 3, 3), Self.r(4)]) {
            F.conv1d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1)
        }
        Self.gradcheck("conv2d", [Self.r(1, 2, 5, 5), Self.r(3, 2, 3, 3), Self.r(3)]) {
            F.conv2d($0[0], weight: $0[1], bias: $0[2], padding: (1, 1))
        }
        Self.gradcheck("pooling", [Self.r(1, 2, 6, 6)]) {
            F.maxPool2d($0[0], kernel: (2, 2)) + F.avgPool2d($0[0], kernel: (2, 2)) + F.adaptiveAvgPool2d($0[0], outputSize: (3, 3))
        }
    }

    @Test func normalizationEmbeddingAttention() {
        Self.gradcheck("layerNorm", [Self.r(2, 3, 5), Self.r(5), Self.r(5)]) {
            F.layerNorm($0[0], normalizedShape: [5], weight: $0[1], bias: $0[2])
        }
        Self.gradcheck("embedding", [Tensor([Int64(1), 3, 1, 0]), Self.r(4, 3)]) { F.embedding($0[0], weight: $0[1]) }
        Self.gradcheck("sdpa", [Self.r(2, 3, 4), Self.r(2, 5, 4), Self.r(2, 5, 4)]) { F.scaledDotProductAttention($0[0], $0[1], $0[2]) }
    }

    @Test func losses() {
        let target = Tensor([Int64(0), 2, 1])
        Self.gradcheck("crossEntropy", [Self.r(3, 4)]) { F.crossEntropy($0[0], target, labelSmoothing: 0.1) }
        Self.gradcheck("mse", [Self.r(3, 4), Self.r(3, 4)]) { F.mseLoss($0[0], $0[1]) }
        let probabilities = Tensor.rand([3, 4], dtype: .float64)
        Self.gradcheck("bce", [Self.r(3, 4)]) { F.binaryCrossEntropyWithLogits($0[0], probabilities) }
    }

    @Test func layers() {
        let linear = Linear(4, 3, dtype: .float64)
        Self.gradcheck("Linear", [Self.r(2, 4)], parameters: linear.parameters()) { linear($0[0]) }
        let conv = Conv2d(2, 3, kernelSize: 3, padding: 1, dtype: .float64)
        Self.gradcheck("Conv2d", [Self.r(1, 2, 4, 4)], parameters: conv.parameters()) { conv($0[0]) }
        let attention = MultiheadAttention(embedDim: 8, numHeads: 2, dtype: .float64)
        Self.gradcheck("MultiheadAttention", [Self.r(2, 3, 8)], parameters: attention.parameters()) { attention($0[0], $0[0], $0[0]).output }
        let encoder = TransformerEncoderLayer(dModel: 8, numHeads: 2, dimFeedforward: 16, dropout: 0, normFirst: true, dtype: .float64)
        Self.gradcheck("TransformerEncoderLayer", [Self.r(2, 3, 8)], parameters: encoder.parameters()) { encoder($0[0]) }
        let embedding = Embedding(6, 4, dtype: .float64)
        Self.gradcheck("Embedding", [Tensor([Int64(1), 5, 5])], parameters: embedding.parameters()) { embedding($0[0]) }
        let norm = LayerNorm([4], dtype: .float64)
        Self.gradcheck("LayerNorm", [Self.r(3, 4)], parameters: norm.parameters()) { norm($0[0]) }
    }

    @Test func higherOrderAndFunctionalGradients() {
        let x = Tensor([2.0]).requiringGrad()
        let y = x.pow(3.0)
        let dy = gradients(of: [y.sum()], withRespectTo: [x], createGraph: true)[0]!
        #expect(dy.item() == 12)                          // 3x²
        let d2y = gradients(of: [dy.sum()], withRespectTo: [x])[0]!
        #expect(d2y.item() == 12)                         // 6x
        let unused = Tensor([1.0]).requiringGrad()
        #expect(gradients(of: [(x * 2.0).sum()], withRespectTo: [unused]) .allSatisfy { $0 == nil })
    }

    @Test func gradModesAndAccumulation() {
        let x = Tensor([1.0, 2.0]).requiringGrad()
        #expect(x.grad == nil)
        let noGrad = withNoGrad { x * 2.0 }
        #expect(!noGrad.requiresGrad && isGradEnabled)
        let y = (x * x).sum()
        y.backward(retainGraph: true)
        y.backward()
        #expect(x.grad!.asArray(Double.self) == [4, 8], "two backward passes accumulate 2·(2x)")
        x.zeroGrad(setToNone: false)
        #expect(x.grad!.asArray(Double.self) == [0, 0])
        x.zeroGrad()
        #expect(x.grad == nil)
        #expect(!(x * 2.0).detached().requiresGrad && x.isLeaf && !(x * 2.0).isLeaf)
    }
}

extension Tensor {
    func randnLike() -> Tensor { Tensor.randn(shape, dtype: dtype) }
}
