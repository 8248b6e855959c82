import Torch

/// Flamingo's Perceiver resampler (Alayrac et al. 2022, [arXiv:2204.14198](https://arxiv.org/abs/2204.14198),
/// §2.1 and Fig. 5; after the Perceiver of Jaegle et al. 2021, [arXiv:2103.03206](https://arxiv.org/abs/2103.03206)):
/// a fixed number of learned latent vectors attend to a variable number of input tokens,
/// so that whatever the input length T, the output is `numLatents` tokens.
///
/// ```
/// latents ← learned (N, E), repeated over the batch          (B, N, E)
/// repeat depth times:
///     kv      = concat(LN(x), LN(latents)) along tokens       (B, T + N, E)
///     latents = latents + Attention(q: LN(latents), kv: kv)   (B, N, E)
///     latents = latents + FFW(latents)                        (B, N, E)
/// output = LN(latents)                                        (B, N, E)
/// ```
///
/// As in Flamingo, the keys and values are the inputs *and* the latents (the paper's
/// Fig. 5: `kv_input = concat([x_f, x])`), the projections have no biases, and the
/// feed-forward block is LN → Linear(E, mult·E) → GELU → Linear(mult·E, E). Not kept from
/// the paper: its learned time embeddings over video frames (inputs here are one token
/// sequence) and its attention width `heads × 64` (here the heads split E itself).
public final class PerceiverResampler: Module {
    /// The learned queries (N, E), initialized N(0, 0.02²) (the scale ViT and CLIP use for
    /// learned tokens, small next to LayerNorm's unit-scale outputs).
    public var latents: Tensor
    /// The cross-attention layers, applied in order to the latents.
    public var layers: [PerceiverLayer]
    /// The final LayerNorm over the latents.
    public var norm: LayerNorm
    /// k: the number of output tokens.
    public let numLatents: Int
    /// E: the width of the inputs, the latents and the outputs.
    public let dim: Int

    /// - Parameters:
    ///   - dim: E, the width of the input tokens and of the latents.
    ///   - depth: the number of [cross-attention, feed-forward] layers (Flamingo uses 6).
    ///   - numLatents: N, the number of output tokens (Flamingo uses 64).
    ///   - numHeads: attention heads; must divide `dim`.
    ///   - ffMult: the feed-forward block's hidden width as a multiple of E (Flamingo: 4).
    public init(dim: Int, depth: Int, numLatents: Int, numHeads: Int, ffMult: Int = 4,
                dtype: DType = .float32, device: Device = .cpu) {
        self.dim = dim
        self.numLatents = numLatents
        latents = Tensor.empty([numLatents, dim], dtype: dtype, device: device).requiringGrad()
        Init.normal_(latents, std: 0.02)
        layers = (0..<depth).map { _ in
            PerceiverLayer(dim: dim, numHeads: numHeads, ffMult: ffMult, dtype: dtype, device: device)
        }
        norm = LayerNorm([dim], dtype: dtype, device: device)
    }

    /// Resamples `x` (B, T, E), any T ≥ 1, to (B, N, E).
    ///
    /// - Parameter keyPaddingMask: (B, T) bool, true where an input token is padding; the
    ///   latents themselves are never masked, so every query has at least N keys.
    public func callAsFunction(_ x: Tensor, keyPaddingMask: Tensor? = nil) -> Tensor {
        let b = x.size(0)
        var mask: Tensor?
        if let keyPaddingMask {
            let latentKeys = Tensor.zeros([b, numLatents], dtype: .bool, device: x.device)
            mask = Tensor.cat([keyPaddingMask, latentKeys], dim: 1)  // (B, T + N)
        }
        var h = latents.unsqueeze(0).expand([b, numLatents, dim])  // (B, N, E)
        for layer in layers { h = layer(x, latents: h, keyPaddingMask: mask) }
        return norm(h)
    }
}

/// One layer of ``PerceiverResampler``: pre-norm cross-attention from the latents to
/// concat(inputs, latents), then a pre-norm feed-forward block, each with a residual.
public final class PerceiverLayer: Module {
    /// LayerNorm over the input tokens before they become keys and values.
    public var mediaNorm: LayerNorm
    /// LayerNorm over the latents (queries, and keys/values alongside the inputs).
    public var latentNorm: LayerNorm
    /// Queries E → E, keys and values E → E, no biases.
    public var attention: CrossModalAttention
    /// LN → Linear(E, mult·E) → GELU → Linear(mult·E, E), no biases.
    public var feedForward: Sequential

    /// A layer of width `dim` with `numHeads` heads and a feed-forward block `ffMult` times as wide.
    public init(dim: Int, numHeads: Int, ffMult: Int, dtype: DType = .float32, device: Device = .cpu) {
        mediaNorm = LayerNorm([dim], dtype: dtype, device: device)
        latentNorm = LayerNorm([dim], dtype: dtype, device: device)
        attention = CrossModalAttention(queryDim: dim, contextDim: dim, embedDim: dim, numHeads: numHeads,
                                        bias: false, dtype: dtype, device: device)
        feedForward = Sequential(
            LayerNorm([dim], dtype: dtype, device: device),
            Linear(dim, ffMult * dim, bias: false, dtype: dtype, device: device),
            GELU(),
            Linear(ffMult * dim, dim, bias: false, dtype: dtype, device: device))
    }

    /// x: (B, T, E) inputs, latents: (B, N, E) → (B, N, E).
    /// `keyPaddingMask` (B, T + N) covers the concatenated keys.
    public func callAsFunction(_ x: Tensor, latents: Tensor, keyPaddingMask: Tensor? = nil) -> Tensor {
        let queries = latentNorm(latents)                            // (B, N, E)
        let keysValues = Tensor.cat([mediaNorm(x), queries], dim: 1)  // (B, T + N, E)
        let attended = latents + attention(queries, keysValues, keyPaddingMask: keyPaddingMask).output
        return attended + feedForward(attended)
    }
}
