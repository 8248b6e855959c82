import Torch

/// One BERT encoder layer (post-norm): self-attention with separate query, key and value
/// maps, then a GELU feed-forward block, each followed by dropout, a residual sum and a
/// LayerNorm. Keys are Hugging Face's (`attention.self.query.weight`,
/// `attention.output.dense.weight`, `attention.output.LayerNorm.weight`,
/// `intermediate.dense.weight`, `output.dense.weight`, `output.LayerNorm.weight`), so a
/// `transformers` checkpoint loads as it is, and `LoRA.apply` reaches every map.
public final class BertLayer: Module, Layer {
    /// Query map, H → H.
    public let query: Linear
    /// Key map, H → H.
    public let key: Linear
    /// Value map, H → H.
    public let value: Linear
    /// The attention output's projection, H → H.
    public let attentionOutput: Linear
    /// The LayerNorm after the attention block's residual sum.
    public let attentionNorm: LayerNorm
    /// The feed-forward block's first map, H → intermediate.
    public let intermediate: Linear
    /// The feed-forward block's second map, intermediate → H.
    public let output: Linear
    /// The LayerNorm after the feed-forward block's residual sum.
    public let outputNorm: LayerNorm
    /// Dropout on the attention weights and on each block's output, in training mode.
    public let attentionDropout: Double, hiddenDropout: Dropout
    /// The number of heads.
    public let heads: Int

    /// A layer shaped by `config`, initialized as `Linear` and `LayerNorm` are (a checkpoint
    /// replaces the values).
    public init(_ config: BertConfig) {
        let h = config.hiddenSize
        query = Linear(h, h); key = Linear(h, h); value = Linear(h, h)
        attentionOutput = Linear(h, h)
        attentionNorm = LayerNorm([h], eps: config.layerNormEps)
        intermediate = Linear(h, config.intermediateSize)
        output = Linear(config.intermediateSize, h)
        outputNorm = LayerNorm([h], eps: config.layerNormEps)
        attentionDropout = config.attentionDropout
        hiddenDropout = Dropout(config.hiddenDropout)
        heads = config.heads
    }

    /// The sub-layers under Hugging Face's names (the dropout has no tensors, so no key).
    public override func namedChildren() -> [(String, Module)] {
        [("attention.self.query", query), ("attention.self.key", key), ("attention.self.value", value),
         ("attention.output.dense", attentionOutput), ("attention.output.LayerNorm", attentionNorm),
         ("intermediate.dense", intermediate), ("output.dense", output), ("output.LayerNorm", outputNorm),
         ("dropout", hiddenDropout)]
    }

    /// x: (B, T, H) → (B, T, H). `additiveMask`: (B, 1, 1, T), 0 where a token is attended
    /// and a large negative number at padding.
    public func callAsFunction(_ x: Tensor, additiveMask: Tensor?) -> Tensor {
        let b = x.size(0), t = x.size(1), width = x.size(2), d = width / heads
        func split(_ y: Tensor) -> Tensor { y.reshape(b, t, heads, d).transposed(1, 2) }  // (B, heads, T, d)
        let attended = F.scaledDotProductAttention(split(query(x)), split(key(x)), split(value(x)), mask: additiveMask,
                                                   dropout: isTraining ? attentionDropout : 0)   // (B, heads, T, d)
        let merged = attended.transposed(1, 2).reshape(b, t, width)                           // (B, T, H)
        let h = attentionNorm(x + hiddenDropout(attentionOutput(merged)))
        return outputNorm(h + hiddenDropout(output(intermediate(h).gelu())))
    }

    /// x: (B, T, H) → (B, T, H), every token attended.
    public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, additiveMask: nil) }
}
