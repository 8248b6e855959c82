/// Multi-head attention, as `torch.nn.MultiheadAttention` (Vaswani et al. 2017,
/// [arXiv:1706.03762](https://arxiv.org/abs/1706.03762)), with the same parameter names
/// (`in_proj_weight`, `in_proj_bias`, `out_proj.weight`, `out_proj.bias`) and initialization.
///
/// Inputs are batch-first, (B, T, E), unless `batchFirst` is false ((T, B, E), PyTorch's default).
public final class MultiheadAttention: Module {
    /// (3E, E): the query, key and value projections stacked.
    public var inProjWeight: Tensor
    /// (3E), or nil without bias.
    public var inProjBias: Tensor?
    /// The output projection, E → E (`out_proj`).
    public var outProj: Linear
    /// E, the model width of queries, keys, values and the output.
    public let embedDim: Int
    /// The number of heads; each has E / numHeads dimensions.
    public let numHeads: Int
    /// The dropout probability on the attention weights, applied in training mode only.
    public let dropout: Double
    /// True when inputs and outputs are (B, T, E), false for PyTorch's (T, B, E).
    public let batchFirst: Bool
    /// A trainable change added to the packed in-projection, W = `inProjWeight` + delta()
    /// (LoRA's (α/r)·B·A over the (3E, E) weight, set by `LoRA.apply`); nil: none.
    /// Its tensors stand at the key `in_proj` (`self_attn.in_proj.lora_A.weight`).
    public var inProjDelta: (any WeightDelta)?

    /// An attention layer of width `embedDim` split into `numHeads` heads, initialized as PyTorch (in_proj xavier-uniform, out_proj as a `Linear`, biases zero); float32 on the CPU by default.
    /// Stops the process when `embedDim` is not divisible by `numHeads` (a precondition).
    public init(embedDim: Int, numHeads: Int, dropout: Double = 0, bias: Bool = true, batchFirst: Bool = true,
                dtype: DType = .float32, device: Device = .cpu) {
        precondition(embedDim % numHeads == 0, "MultiheadAttention: embedDim \(embedDim) is not divisible by numHeads \(numHeads)")
        self.embedDim = embedDim
        self.numHeads = numHeads
        self.dropout = dropout
        self.batchFirst = batchFirst
        inProjWeight = Init.parameter([3 * embedDim, embedDim], dtype: dtype, device: device)
        inProjBias = bias ? Init.parameter([3 * embedDim], dtype: dtype, device: device) : nil
        // Same order of random draws as PyTorch: out_proj's own init, then in_proj_weight.
        outProj = Linear(embedDim, embedDim, bias: bias, dtype: dtype, device: device)
        super.init()
        Init.xavierUniform_(inProjWeight)
        if let inProjBias {
            Init.zeros_(inProjBias)
            if let b = outProj.bias { Init.zeros_(b) }
        }
    }

    /// `out_proj`, and `in_proj` when the in-projection has a delta.
    public override func namedChildren() -> [(String, Module)] {
        [("out_proj", outProj as Module)] + (inProjDelta.map { [("in_proj", $0 as Module)] } ?? [])
    }

    /// The in-projection weight the layer computes with: `inProjWeight`, plus the delta if any.
    public var effectiveInProjWeight: Tensor { inProjDelta.map { inProjWeight + $0.delta() } ?? inProjWeight }

    /// Attends from `query` to `key`/`value`.
    ///
    /// - Parameters:
    ///   - query: (B, T, E); key, value: (B, S, E) (sequence-first when `batchFirst` is false).
    ///   - key: (B, S, E), the positions attended to.
    ///   - value: (B, S, E), what each attended position contributes.
    ///   - keyPaddingMask: (B, S) bool, true where a key is padding and must be ignored.
    ///   - attentionMask: (T, S) or (B·heads, T, S); bool true = not allowed, or float added to the scores.
    ///   - needWeights: also return the attention weights (B, T, S), averaged over heads
    ///     unless `averageWeights` is false ((B, heads, T, S)).
    ///   - averageWeights: with `needWeights`, average the weights over heads (true) or return them per head.
    ///   - isCausal: also mask every key after its query's position (a causal mask).
    /// - Returns: the output (B, T, E) and the weights when asked for.
    public func callAsFunction(_ query: Tensor, _ key: Tensor, _ value: Tensor, keyPaddingMask: Tensor? = nil,
                               attentionMask: Tensor? = nil, needWeights: Bool = false, averageWeights: Bool = true,
                               isCausal: Bool = false) -> (output: Tensor, weights: Tensor?) {
        var q = query, k = key, v = value
        if !batchFirst { q = q.transposed(0, 1); k = k.transposed(0, 1); v = v.transposed(0, 1) }
        let b = q.size(0), t = q.size(1), s = k.size(1)
        let h = numHeads, d = embedDim / numHeads

        // Projections: one matmul when self-attending, else three slices of the packed weight.
        let qp: Tensor, kp: Tensor, vp: Tensor
        let inProjWeight = effectiveInProjWeight
        if query === key && key === value {
            let qkv = F.linear(q, weight: inProjWeight, bias: inProjBias).chunk(3, dim: -1)  // 3 × (B, T, E)
            (qp, kp, vp) = (qkv[0], qkv[1], qkv[2])
        } else {
            let w = inProjWeight.chunk(3, dim: 0)
            let bs = inProjBias?.chunk(3, dim: 0)
            qp = F.linear(q, weight: w[0], bias: bs?[0])
            kp = F.linear(k, weight: w[1], bias: bs?[1])
            vp = F.linear(v, weight: w[2], bias: bs?[2])
        }
        let qh = qp.reshape(b, t, h, d).transposed(1, 2)  // (B, H, T, d)
        let kh = kp.reshape(b, s, h, d).transposed(1, 2)  // (B, H, S, d)
        let vh = vp.reshape(b, s, h, d).transposed(1, 2)  // (B, H, S, d)

        // One additive float mask (B or 1, H or 1, T, S): −inf where attention is not allowed.
        var mask: Tensor?
        if let attentionMask {
            var m = attentionMask.dtype == .bool
                ? Tensor.zeros(attentionMask.shape, dtype: qh.dtype).maskedFill(attentionMask, -.infinity)
                : attentionMask
            if m.rank == 3 { m = m.reshape(b, h, t, s) }
            mask = m
        }
        if let keyPaddingMask {
            let m = Tensor.zeros(keyPaddingMask.shape, dtype: qh.dtype).maskedFill(keyPaddingMask, -.infinity)
                .reshape(b, 1, 1, s)
            mask = mask.map { $0 + m } ?? m
        }
        let p = isTraining ? dropout : 0

        var weights: Tensor?
        let attended: Tensor
        if needWeights {
            var scores = qh.matmul(kh.transposed(-2, -1)) * (1.0 / Double(d).squareRoot())  // (B, H, T, S)
            if let mask { scores = scores + mask }
            if isCausal {
                let causal = Tensor.ones([t, s], dtype: .bool).triu(diagonal: 1)
                scores = scores.maskedFill(causal, -.infinity)
            }
            let w = scores.softmax(dim: -1)
            attended = F.dropout(w, p: p, training: p > 0).matmul(vh)  // (B, H, T, d)
            weights = averageWeights ? w.mean(dim: 1) : w
        } else {
            attended = F.scaledDotProductAttention(qh, kh, vh, mask: mask, dropout: p, isCausal: isCausal)
        }
        var out = outProj(attended.transposed(1, 2).reshape(b, t, embedDim))  // (B, T, E)
        if !batchFirst { out = out.transposed(0, 1) }
        return (out, weights)
    }
}

extension Tensor {
    /// The upper triangle (on and above `diagonal`), the rest zero.
    public func triu(diagonal: Int = 0) -> Tensor { Ops.call("aten::triu", [.tensor(self), .int(diagonal)]).tensor(0) }
    /// The lower triangle (on and below `diagonal`), the rest zero.
    public func tril(diagonal: Int = 0) -> Tensor { Ops.call("aten::tril", [.tensor(self), .int(diagonal)]).tensor(0) }
}

/// The activation of a Transformer's feed-forward block.
public enum Activation: Sendable {
    /// Rectified linear (PyTorch's default) or exact GELU.
    case relu, gelu
    func callAsFunction(_ x: Tensor) -> Tensor { self == .relu ? x.relu() : x.gelu() }
}

/// One Transformer encoder layer, as `torch.nn.TransformerEncoderLayer` with the same
/// parameter names: self-attention and a feed-forward block, each with a residual
/// connection and LayerNorm — after the block (post-norm, the 2017 paper and PyTorch's
/// default) or before it (`normFirst`, pre-norm, which trains more stably in deep stacks;
/// [Xiong et al. 2020](https://arxiv.org/abs/2002.04745)).
public final class TransformerEncoderLayer: Module, Layer {
    /// The self-attention block (`self_attn`).
    public var selfAttn: MultiheadAttention
    /// The feed-forward block's first projection, dModel → dimFeedforward.
    public var linear1: Linear
    /// The dropout after the feed-forward activation.
    public var dropout: Dropout
    /// The feed-forward block's second projection, dimFeedforward → dModel.
    public var linear2: Linear
    /// The LayerNorm around the self-attention block (before it when `normFirst`, else after the residual sum).
    public var norm1: LayerNorm
    /// The LayerNorm around the feed-forward block (before it when `normFirst`, else after the residual sum).
    public var norm2: LayerNorm
    /// The dropout on the self-attention output.
    public var dropout1: Dropout
    /// The dropout on the feed-forward output.
    public var dropout2: Dropout
    /// True for pre-norm (LayerNorm before each block), false for post-norm (PyTorch's default).
    public let normFirst: Bool
    /// The feed-forward activation.
    public let activation: Activation

    /// An encoder layer of width `dModel` with `numHeads` heads and a feed-forward block of width `dimFeedforward`; every sublayer initialized as its PyTorch counterpart, float32 on the CPU by default.
    public init(dModel: Int, numHeads: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
                activation: Activation = .relu, layerNormEps: Double = 1e-5, batchFirst: Bool = true,
                normFirst: Bool = false, bias: Bool = true, dtype: DType = .float32, device: Device = .cpu) {
        selfAttn = MultiheadAttention(embedDim: dModel, numHeads: numHeads, dropout: dropout, bias: bias,
                                      batchFirst: batchFirst, dtype: dtype, device: device)
        linear1 = Linear(dModel, dimFeedforward, bias: bias, dtype: dtype, device: device)
        self.dropout = Dropout(dropout)
        linear2 = Linear(dimFeedforward, dModel, bias: bias, dtype: dtype, device: device)
        norm1 = LayerNorm([dModel], eps: layerNormEps, bias: bias, dtype: dtype, device: device)
        norm2 = LayerNorm([dModel], eps: layerNormEps, bias: bias, dtype: dtype, device: device)
        dropout1 = Dropout(dropout)
        dropout2 = Dropout(dropout)
        self.normFirst = normFirst
        self.activation = activation
    }

    /// x: (B, T, E) → (B, T, E). `keyPaddingMask` (B, T): true marks padding tokens.
    ///
    /// In evaluation mode without gradients and without masks, the layer runs as one fused
    /// libtorch kernel (`aten::_transformer_encoder_layer_fwd`), the "fast path" that
    /// PyTorch's own layer takes under the same conditions; otherwise it runs op by op.
    public func callAsFunction(_ x: Tensor, keyPaddingMask: Tensor?, mask: Tensor? = nil, isCausal: Bool = false) -> Tensor {
        if let fused = fastPath(x, hasMask: keyPaddingMask != nil || mask != nil || isCausal) { return fused }
        func selfAttention(_ y: Tensor) -> Tensor {
            dropout1(selfAttn(y, y, y, keyPaddingMask: keyPaddingMask, attentionMask: mask, isCausal: isCausal).output)
        }
        func feedForward(_ y: Tensor) -> Tensor { dropout2(linear2(dropout(activation(linear1(y))))) }
        if normFirst {
            let h = x + selfAttention(norm1(x))
            return h + feedForward(norm2(h))
        }
        let h = norm1(x + selfAttention(x))
        return norm2(h + feedForward(h))
    }

    /// x: (B, T, E) → (B, T, E), with no padding mask.
    public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, keyPaddingMask: nil) }

    /// PyTorch's conditions for its fused inference kernel, and the call.
    func fastPath(_ x: Tensor, hasMask: Bool) -> Tensor? {
        // A replaced projection (LoRA, int8) computes otherwise than its weight says: op by op then.
        guard !isTraining, !hasMask, x.rank == 3, selfAttn.batchFirst, selfAttn.numHeads % 2 == 0,
              selfAttn.inProjDelta == nil, [selfAttn.outProj, linear1, linear2].allSatisfy({ $0.replacement == nil }),
              let inBias = selfAttn.inProjBias, let outBias = selfAttn.outProj.bias,
              let w1 = norm1.weight, let b1 = norm1.bias, let w2 = norm2.weight, let b2 = norm2.bias,
              let f1 = linear1.bias, let f2 = linear2.bias, norm1.eps == norm2.eps
        else { return nil }
        let tensors = [x, selfAttn.inProjWeight, inBias, selfAttn.outProj.weight, outBias, w1, b1, w2, b2,
                       linear1.weight, f1, linear2.weight, f2]
        if isGradEnabled && tensors.contains(where: \.requiresGrad) { return nil }
        return Ops.call("aten::_transformer_encoder_layer_fwd", [
            .tensor(x), .int(selfAttn.embedDim), .int(selfAttn.numHeads),
            .tensor(selfAttn.inProjWeight), .tensor(inBias), .tensor(selfAttn.outProj.weight), .tensor(outBias),
            .bool(activation == .gelu), .bool(normFirst), .double(norm1.eps),
            .tensor(w1), .tensor(b1), .tensor(w2), .tensor(b2),
            .tensor(linear1.weight), .tensor(f1), .tensor(linear2.weight), .tensor(f2),
        ]).tensor(0)
    }
}
