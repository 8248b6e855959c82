import Foundation
import Torch

/// A Transformer text encoder ([Vaswani et al. 2017](https://arxiv.org/abs/1706.03762)) in the
/// form CLIP's text tower takes ([Radford et al. 2021](https://arxiv.org/abs/2103.00020)):
/// token embeddings plus learned position embeddings, a stack of pre-norm encoder layers
/// ([Xiong et al. 2020](https://arxiv.org/abs/2002.04745)), a final LayerNorm, a pooling
/// over the sequence and a linear projection into the embedding space.
///
/// Tokens equal to `padID` are padding: attention never looks at them (a key padding
/// mask) and the mean pooling leaves them out. Every sequence must hold at least one
/// token that is not padding (a row of padding only has nothing to attend to).
///
/// Parameter keys match a PyTorch module with `token_embedding` and `position_embedding`
/// (`nn.Embedding`), `layers` (`nn.ModuleList` of `nn.TransformerEncoderLayer(norm_first=True,
/// batch_first=True)`), `final_norm` (`nn.LayerNorm`) and `projection` (`nn.Linear`).
///
/// ```swift
/// let encoder = TextEncoder(vocabularySize: 1000, maxLength: 16, embeddingDim: 128)
/// let z = encoder(tokens)   // (B, T) int64, T ≤ 16 → (B, 128)
/// ```
public final class TextEncoder: Module, Layer {
    /// How a sequence of token states becomes one vector.
    public enum Pooling: Sendable {
        /// The mean over the tokens that are not padding (a masked mean).
        case mean
        /// The state of the first token (a start or class token the tokenizer puts first),
        /// as BERT's `[CLS]` ([Devlin et al. 2018](https://arxiv.org/abs/1810.04805)).
        case first
    }

    /// (vocabularySize, width); the `padID` row is zero and gets no gradient.
    public var tokenEmbedding: Embedding
    /// (maxLength, width): one learned vector per position.
    public var positionEmbedding: Embedding
    /// The pre-norm Transformer layers, in order.
    public var layers: [TransformerEncoderLayer]
    /// Normalizes the residual stream once more after the last pre-norm layer, whose
    /// output is otherwise un-normalized.
    public var finalNorm: LayerNorm
    /// (embeddingDim, width)
    public var projection: Linear
    /// The padding token's id: masked out of attention and pooling.
    public let padID: Int
    /// The longest sequence it takes.
    public let maxLength: Int
    /// How token states become one vector.
    public let pooling: Pooling

    /// - Parameters:
    ///   - vocabularySize: the number of token ids.
    ///   - maxLength: the longest sequence (the number of position embeddings).
    ///   - width: the model width. 64 suits captions of a few dozen distinct words; CLIP's
    ///     smallest text tower uses 512 for a 49k vocabulary.
    ///   - depth: the number of encoder layers. Templated captions are short and regular,
    ///     so two layers suffice; CLIP uses 12.
    ///   - heads: attention heads; width must divide by it (16 dimensions per head by default).
    ///   - feedForward: the hidden size of each feed-forward block; 4 × width, the ratio of
    ///     the original Transformer and of CLIP.
    ///   - dropout: dropout in the layers, active in training mode only. 0.1 is the
    ///     original Transformer's value.
    ///   - embeddingDim: the size of the output embedding.
    ///   - padID: the padding token id.
    ///   - pooling: ``Pooling/mean`` (default) or ``Pooling/first``.
    public init(vocabularySize: Int, maxLength: Int, width: Int = 64, depth: Int = 2, heads: Int = 4,
                feedForward: Int? = nil, dropout: Double = 0.1, embeddingDim: Int = 128, padID: Int = 0,
                pooling: Pooling = .mean) {
        precondition(width % heads == 0, "TextEncoder: width \(width) is not divisible by heads \(heads)")
        tokenEmbedding = Embedding(vocabularySize, width, paddingIndex: padID)
        positionEmbedding = Embedding(maxLength, width)
        // GELU as in CLIP's and GPT-2's text Transformers.
        layers = (0..<depth).map { _ in
            TransformerEncoderLayer(dModel: width, numHeads: heads, dimFeedforward: feedForward ?? 4 * width,
                                    dropout: dropout, activation: .gelu, batchFirst: true, normFirst: true)
        }
        finalNorm = LayerNorm(width)
        projection = Linear(width, embeddingDim)
        self.padID = padID
        self.maxLength = maxLength
        self.pooling = pooling
        super.init()
        // CLIP's initialization: N(0, 0.02²) for tokens and N(0, 0.01²) for positions, small
        // against the unit-variance LayerNorm outputs so no single embedding dominates early.
        Init.normal_(tokenEmbedding.weight, std: 0.02)
        Init.normal_(positionEmbedding.weight, std: 0.01)
        withNoGrad { tokenEmbedding.weight[padID].fill_(0) }
    }

    /// Encodes a batch of token sequences.
    /// - Parameter tokens: (B, T) int64 token ids, T ≤ `maxLength`, padded with `padID`.
    /// - Returns: (B, embeddingDim) float32, not normalized.
    public func callAsFunction(_ tokens: Tensor) -> Tensor {
        let t = tokens.size(1)
        precondition(t <= maxLength, "TextEncoder: sequences of \(t) tokens exceed maxLength \(maxLength)")
        let padding = tokens .== padID  // (B, T) bool, true at padding
        let positions = positionEmbedding(Tensor.arange(t))  // (T, W)
        var x = tokenEmbedding(tokens) + positions  // (B, T, W)
        for layer in layers { x = layer(x, keyPaddingMask: padding) }  // (B, T, W)
        x = finalNorm(x)
        let pooled: Tensor
        switch pooling {
        case .first:
            pooled = x.select(dim: 1, index: 0)  // (B, W)
        case .mean:
            let keep = padding.logicalNot().to(x.dtype).unsqueeze(-1)  // (B, T, 1)
            let counts = keep.sum(dim: 1).clamp(min: 1)  // (B, 1)
            pooled = (x * keep).sum(dim: 1) / counts  // (B, W)
        }
        return projection(pooled)  // (B, embeddingDim)
    }
}
