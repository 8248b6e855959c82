import Testing
import Torch
@testable import Multimodal

@Suite(.serialized) struct CrossModalAttentionTests {
    /// PyTorch's nn.MultiheadAttention(E, heads, kdim, vdim) state dict, mapped onto the
    /// Swift module's separate projections.
    static func mapped(_ torch: [String: Tensor], embedDim e: Int) -> [String: Tensor] {
        let bias = torch["in_proj_bias"]!.chunk(3, dim: 0)  // 3 × (E)
        return [
            "query_proj.weight": torch["q_proj_weight"]!, "query_proj.bias": bias[0],
            "key_proj.weight": torch["k_proj_weight"]!, "key_proj.bias": bias[1],
            "value_proj.weight": torch["v_proj_weight"]!, "value_proj.bias": bias[2],
            "out_proj.weight": torch["out_proj.weight"]!, "out_proj.bias": torch["out_proj.bias"]!,
        ]
    }

    func check(_ name: String, preNorm: Bool) throws {
        let f = Fixture.group("mm1", name)
        let attention = CrossModalAttention(queryDim: 16, contextDim: 24, embedDim: 16, numHeads: 4, preNorm: preNorm)
        var state = Self.mapped(Fixture.group("mm1", name + ".state"), embedDim: 16)
        if preNorm {
            for (k, v) in Fixture.group("mm1", name + ".qnorm.state") { state["query_norm." + k] = v }
            for (k, v) in Fixture.group("mm1", name + ".cnorm.state") { state["context_norm." + k] = v }
        }
        try attention.loadStateDict(state)
        let (out, weights) = attention(f["query"]!, f["context"]!, keyPaddingMask: f["mask"]!)
        expectClose(out, f["out"], rtol: 0, atol: 1e-5, "\(name) output")
        expectClose(weights, f["weights"], rtol: 0, atol: 1e-5, "\(name) weights (B, heads, Tq, Tk)")
    }

    @Test func matchesPyTorchMultiheadAttentionWithKdimVdim() throws { try check("cma", preNorm: false) }
    @Test func preNormMatchesLayerNormThenPyTorch() throws { try check("cma_pre", preNorm: true) }

    @Test func weightsSumToOneAndPaddedKeysGetNone() {
        manualSeed(7)
        // Three different widths: text tokens of 12, audio frames of 20, a shared 16.
        let attention = CrossModalAttention(queryDim: 12, contextDim: 20, embedDim: 16, numHeads: 2, preNorm: true)
        let query = Tensor.randn([3, 5, 12]), context = Tensor.randn([3, 9, 20])
        let mask = Tensor.arange(9).reshape(1, 9) .>= Tensor([9, 6, 2]).reshape(3, 1)  // (B, Tk): lengths 9, 6, 2
        let (out, weights) = attention(query, context, keyPaddingMask: mask)
        #expect(out.shape == [3, 5, 16])
        #expect(weights.shape == [3, 2, 5, 9])
        expectClose(weights.sum(dim: -1), Tensor.ones([3, 2, 5]), rtol: 0, atol: 1e-6, "rows of the weights")
        let padded = weights.maskedSelect(mask.reshape(3, 1, 1, 9).expand([3, 2, 5, 9]))
        #expect(padded.count == 2 * 5 * (0 + 3 + 7))
        #expect(padded.abs().max().item() == 0, "padded keys get exactly zero weight")
        // Padding must not change the result: the second sequence cut to its 6 real tokens.
        let (cut, _) = attention(query[1...1], context[1...1, 0..<6])
        expectClose(out[1...1], cut, rtol: 0, atol: 1e-6, "output with padding vs without the padded tokens")
    }

    @Test func gradientsReachBothModalities() {
        manualSeed(8)
        let attention = CrossModalAttention(queryDim: 8, contextDim: 6, embedDim: 8, numHeads: 2)
        let query = Tensor.randn([2, 3, 8]).requiringGrad(), context = Tensor.randn([2, 4, 6]).requiringGrad()
        attention(query, context).output.square().sum().backward()
        #expect((query.grad?.abs().sum().item() ?? 0) > 0)
        #expect((context.grad?.abs().sum().item() ?? 0) > 0)
        #expect(attention.stateDictKeys() == ["query_proj.weight", "query_proj.bias", "key_proj.weight", "key_proj.bias",
                                               "value_proj.weight", "value_proj.bias", "out_proj.weight", "out_proj.bias"])
    }
}
