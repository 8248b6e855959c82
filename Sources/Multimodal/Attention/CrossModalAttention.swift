import Torch

/// Multi-head attention from one modality to another: the queries come from one sequence
/// (text tokens, say) and the keys and values from another (image patches, audio frames),
/// each through its own projection to a shared width (Vaswani et al. 2017,
/// [arXiv:1706.03762](https://arxiv.org/abs/1706.03762), §3.2.3 "encoder-decoder attention";
/// used across modalities by ViLBERT, [arXiv:1908.02265](https://arxiv.org/abs/1908.02265),
/// and Flamingo, [arXiv:2204.14198](https://arxiv.org/abs/2204.14198)).
///
/// ```
/// q = LN?(query)·Wqᵀ + bq      (B, Tq, Eq) → (B, Tq, E)
/// k = LN?(context)·Wkᵀ + bk    (B, Tk, Ek) → (B, Tk, E)
/// v = LN?(context)·Wvᵀ + bv    (B, Tk, Ek) → (B, Tk, E)
/// per head h: A_h = softmax(q_h·k_hᵀ/√(E/heads) + mask)    (B, Tq, Tk)
/// output = concat_h(A_h·v_h)·Woᵀ + bo                       (B, Tq, E)
/// ```
///
/// With `Eq == E` and `kdim == vdim == Ek` this is `torch.nn.MultiheadAttention(E, heads,
/// kdim: Ek, vdim: Ek, batch_first: True)` with its packed projections stored as three
/// `Linear`s: `query_proj`, `key_proj`, `value_proj` (PyTorch's `q_proj_weight`,
/// `k_proj_weight`, `v_proj_weight` and the thirds of `in_proj_bias`) and `out_proj`.
/// Initialization follows PyTorch's for those weights: Xavier-uniform projections, zero biases.
public final class CrossModalAttention: Module {
    /// Eq → E.
    public var queryProj: Linear
    /// Ek → E.
    public var keyProj: Linear
    /// Ek → E.
    public var valueProj: Linear
    /// E → E.
    public var outProj: Linear
    /// LayerNorm over the queries (Eq) before projecting, when pre-norm is on.
    public var queryNorm: LayerNorm?
    /// LayerNorm over the context (Ek) before projecting, when pre-norm is on.
    public var contextNorm: LayerNorm?
    /// The query tokens' width.
    public let queryDim: Int
    /// The context tokens' width (keys and values are projected from it).
    public let contextDim: Int
    /// The attention width, split across the heads.
    public let embedDim: Int
    /// The number of heads; `embedDim` is a multiple of it.
    public let numHeads: Int
    /// Dropout on the attention weights while training (the returned weights are before dropout).
    public let dropout: Double

    /// - Parameters:
    ///   - queryDim: Eq, the width of the query modality's tokens.
    ///   - contextDim: Ek, the width of the key/value modality's tokens.
    ///   - embedDim: E, the shared width; divisible by `numHeads`. Defaults to `queryDim`.
    ///   - numHeads: the number of heads; each attends in E/heads dimensions.
    ///   - dropout: dropout probability on the attention weights in training mode.
    ///   - bias: biases on the four projections (Flamingo's resampler uses none).
    ///   - preNorm: LayerNorm both inputs before projecting (pre-norm, as in Flamingo's
    ///     gated cross-attention and Perceiver blocks; [Xiong et al. 2020](https://arxiv.org/abs/2002.04745)).
    public init(queryDim: Int, contextDim: Int, embedDim: Int? = nil, numHeads: Int, dropout: Double = 0,
                bias: Bool = true, preNorm: Bool = false, dtype: DType = .float32, device: Device = .cpu) {
        let e = embedDim ?? queryDim
        precondition(e % numHeads == 0, "CrossModalAttention: embedDim \(e) is not divisible by numHeads \(numHeads)")
        self.queryDim = queryDim
        self.contextDim = contextDim
        self.embedDim = e
        self.numHeads = numHeads
        self.dropout = dropout
        queryProj = Linear(queryDim, e, bias: bias, dtype: dtype, device: device)
        keyProj = Linear(contextDim, e, bias: bias, dtype: dtype, device: device)
        valueProj = Linear(contextDim, e, bias: bias, dtype: dtype, device: device)
        outProj = Linear(e, e, bias: bias, dtype: dtype, device: device)
        queryNorm = preNorm ? LayerNorm([queryDim], dtype: dtype, device: device) : nil
        contextNorm = preNorm ? LayerNorm([contextDim], dtype: dtype, device: device) : nil
        super.init()
        // PyTorch's MultiheadAttention: Xavier-uniform input projections, zero biases.
        for projection in [queryProj, keyProj, valueProj] {
            Init.xavierUniform_(projection.weight)
            if let b = projection.bias { Init.zeros_(b) }
        }
        if let b = outProj.bias { Init.zeros_(b) }
    }

    /// Attends from `query` to `context`.
    ///
    /// - Parameters:
    ///   - query: (B, Tq, Eq) float.
    ///   - context: (B, Tk, Ek) float, the keys and values.
    ///   - keyPaddingMask: (B, Tk) bool, true where a context token is padding and must get
    ///     no weight. A query whose keys are all masked gets NaN weights, as in PyTorch.
    /// - Returns: `output` (B, Tq, E) and `weights` (B, heads, Tq, Tk), each row summing to
    ///   one (before dropout), for plotting which tokens each query looked at.
    public func callAsFunction(_ query: Tensor, _ context: Tensor, keyPaddingMask: Tensor? = nil)
        -> (output: Tensor, weights: Tensor) {
        let b = query.size(0), tq = query.size(1), tk = context.size(1)
        let h = numHeads, d = embedDim / numHeads
        let qIn = queryNorm.map { $0(query) } ?? query
        let cIn = contextNorm.map { $0(context) } ?? context

        let q = queryProj(qIn).reshape(b, tq, h, d).transposed(1, 2)  // (B, H, Tq, d)
        let k = keyProj(cIn).reshape(b, tk, h, d).transposed(1, 2)    // (B, H, Tk, d)
        let v = valueProj(cIn).reshape(b, tk, h, d).transposed(1, 2)  // (B, H, Tk, d)

        var scores = q.matmul(k.transposed(-2, -1)) * (1.0 / Double(d).squareRoot())  // (B, H, Tq, Tk)
        if let keyPaddingMask {
            scores = scores.maskedFill(keyPaddingMask.reshape(b, 1, 1, tk), -.infinity)  // mask (B, 1, 1, Tk)
        }
        let weights = scores.softmax(dim: -1)  // (B, H, Tq, Tk)
        let p = isTraining ? dropout : 0
        let attended = F.dropout(weights, p: p, training: p > 0).matmul(v)  // (B, H, Tq, d)
        let merged = attended.transposed(1, 2).reshape(b, tq, embedDim)     // (B, Tq, E)
        return (outProj(merged), weights)
    }
}
