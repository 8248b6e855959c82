import Testing
@testable import Torch

/// Every op family against PyTorch: values and the gradients of sum(out · w).
@Suite(.serialized) struct OpsTests {
    typealias Case = ([Tensor]) -> [Tensor]
    nonisolated(unsafe) static let cases: [String: Case] = [
        "add": { [$0[0] + $0[1]] },
        "sub": { [$0[0] - $0[1]] },
        "mul": { [$0[0] * $0[1]] },
        "div": { [$0[0] / $0[1]] },
        "scalar": { [($0[0] * 2.5 + 1.0) / 4.0 - 3.0] },
        "rsub": { [2.0 - $0[0]] },
        "pow": { [$0[0].pow(3.0)] },
        "powt": { [$0[0].pow($0[1])] },
        "neg": { [-$0[0]] },
        "matmul": { [$0[0].matmul($0[1])] },
        "matmul_batched": { [$0[0].matmul($0[1])] },
        "bmm": { [$0[0].bmm($0[1])] },
        "einsum": { [Tensor.einsum("bij,bjk->bik", $0[0], $0[1])] },
        "sum_all": { [$0[0].sum()] },
        "sum_dim": { [$0[0].sum(dim: 1, keepDim: true)] },
        "mean_dims": { [$0[0].mean(dims: [0, 2])] },
        "amax": { [$0[0].max(dims: [2])] },
        "amin": { [$0[0].min(dims: [0], keepDim: true)] },
        "max_dim": { let r = $0[0].max(dim: 1); return [r.values, r.indices] },
        "argmax": { [$0[0].argmax(dim: 2)] },
        "var": { [$0[0].variance(dims: [1])] },
        "var_biased": { [$0[0].variance(dims: [1, 2], correction: 0, keepDim: true)] },
        "std": { [$0[0].std(dims: [2])] },
        "logsumexp": { [$0[0].logsumexp(dim: 1)] },
        "prod": { [$0[0].prod(dim: 1)] },
        "exp": { [$0[0].exp()] }, "tanh": { [$0[0].tanh()] }, "sigmoid": { [$0[0].sigmoid()] },
        "relu": { [$0[0].relu()] }, "gelu": { [$0[0].gelu()] }, "gelu_tanh": { [$0[0].gelu(approximate: true)] },
        "silu": { [$0[0].silu()] }, "abs": { [$0[0].abs()] }, "sin": { [$0[0].sin()] }, "cos": { [$0[0].cos()] },
        "erf": { [$0[0].erf()] }, "square": { [$0[0].square()] },
        "clamp": { [$0[0].clamp(min: -0.5, max: 0.7)] }, "clamp_min": { [$0[0].clamp(min: 0.1)] },
        "softmax": { [$0[0].softmax(dim: 1)] }, "log_softmax": { [$0[0].logSoftmax(dim: 0)] },
        "log": { [$0[0].log()] }, "sqrt": { [$0[0].sqrt()] }, "rsqrt": { [$0[0].rsqrt()] },
        "reciprocal": { [$0[0].reciprocal()] },
        "normalize": { [F.normalize($0[0], dim: -1)] },
        "cosine_similarity": { [F.cosineSimilarity($0[0], $0[1], dim: 1)] },
        "norm": { [$0[0].norm()] },
        "reshape_permute": { [$0[0].reshape(4, 6).T.reshape(2, 12).permute(1, 0) * 1.0] },
        "transpose": { [$0[0].transposed(0, 2).contiguous()] },
        "expand": { [$0[0].unsqueeze(0).expand([3, 2, 4]) * 1.0] },
        "squeeze": { [$0[0].squeeze(1).unsqueeze(-1)] },
        "flatten": { [$0[0].flatten(start: 1)] },
        "slice": { [$0[0][1..<3, .stride(by: 2), (-2)...]] },
        "select": { [$0[0][2, .all, 1]] },
        "index_select": { [$0[0].indexSelect(dim: 1, index: $0[1])] },
        "gather": { [$0[0].gather(dim: 1, index: $0[1])] },
        "scatter": { [$0[0].scatter(dim: 1, index: $0[1], source: $0[2])] },
        "scatter_add": { [$0[0].scatterAdd(dim: 1, index: $0[1], source: $0[2])] },
        "masked_fill": { [$0[0].maskedFill($0[1], -1.5)] },
        "where": { [Tensor.where($0[0], $0[1], $0[2])] },
        "cat": { [Tensor.cat([$0[0], $0[1]], dim: 1)] },
        "stack": { [Tensor.stack([$0[0], $0[1]], dim: 1)] },
        "topk": { let r = $0[0].topk(3, dim: 1); return [r.values, r.indices] },
        "sort": { let r = $0[0].sort(dim: 0, descending: true); return [r.values, r.indices] },
        "cumsum": { [$0[0].cumsum(dim: 1)] },
        "tril": { [$0[0].tril()] },
        "linear": { [F.linear($0[0], weight: $0[1], bias: $0[2])] },
        "conv1d": { [F.conv1d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1)] },
        "conv2d": { [F.conv2d($0[0], weight: $0[1], bias: $0[2], padding: (1, 1))] },
        "conv2d_groups": { [F.conv2d($0[0], weight: $0[1], stride: (2, 2), groups: 2)] },
        "max_pool2d": { [F.maxPool2d($0[0], kernel: (2, 2))] },
        "max_pool2d_pad": { [F.maxPool2d($0[0], kernel: (3, 3), stride: (2, 2), padding: (1, 1))] },
        "avg_pool2d": { [F.avgPool2d($0[0], kernel: (2, 2))] },
        "max_pool1d": { [F.maxPool1d($0[0], kernel: 2)] },
        "adaptive_avg_pool2d": { [F.adaptiveAvgPool2d($0[0], outputSize: (3, 2))] },
        "adaptive_max_pool2d": { [F.adaptiveMaxPool2d($0[0], outputSize: (2, 2))] },
        "adaptive_avg_pool1d": { [F.adaptiveAvgPool1d($0[0], outputSize: 4)] },
        "layer_norm": { [F.layerNorm($0[0], normalizedShape: [6], weight: $0[1], bias: $0[2])] },
        "embedding": { [F.embedding($0[0], weight: $0[1])] },
        "sdpa": { [F.scaledDotProductAttention($0[0], $0[1], $0[2])] },
        "sdpa_mask": { [F.scaledDotProductAttention($0[0], $0[1], $0[2], mask: $0[3])] },
    ]

    @Test func everyFixtureCaseHasASwiftCase() {
        let names = Set(Fixture.load("ops").tensors.keys.compactMap { $0.hasSuffix(".in0") ? String($0.dropLast(4)) : nil })
        #expect(names == Set(Self.cases.keys), "missing in Swift: \(names.subtracting(Self.cases.keys).sorted()); missing in fixtures: \(Set(Self.cases.keys).subtracting(names).sorted())")
    }

    @Test(arguments: cases.keys.sorted())
    func matchesPyTorch(_ name: String) {
        checkCase(file: "ops", name: name, run: Self.cases[name]!)
    }
}

/// Runs a fixture case: inputs → outputs compared, then gradients of sum(out0 · w).
func checkCase(file: String, name: String, rtol: Double = 1e-5, atol: Double = 1e-5, run: ([Tensor]) -> [Tensor]) {
    let t = Fixture.load(file).tensors
    var inputs: [Tensor] = []
    while let x = t["\(name).in\(inputs.count)"] {
        let copy = x.clone()
        if copy.dtype.isFloatingPoint, t["\(name).w"] != nil, t["\(name).grad\(inputs.count)"] != nil { copy.requiresGrad = true }
        inputs.append(copy)
    }
    let outputs = run(inputs)
    for (j, out) in outputs.enumerated() {
        expectClose(out, t["\(name).out\(j)"], rtol: rtol, atol: atol, "\(name) output \(j)")
        if let expected = t["\(name).out\(j)"], !expected.dtype.isFloatingPoint {
            #expect(out.dtype == expected.dtype, "\(name) output \(j) dtype \(out.dtype), expected \(expected.dtype)")
        }
    }
    guard let w = t["\(name).w"] else { return }
    (outputs[0] * w).sum().backward()
    for (i, x) in inputs.enumerated() where t["\(name).grad\(i)"] != nil {
        expectClose(x.grad, t["\(name).grad\(i)"], rtol: rtol, atol: atol, "\(name) gradient of input \(i)")
    }
}
