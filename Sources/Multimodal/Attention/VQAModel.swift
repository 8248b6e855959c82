import Torch

/// Visual question answering by cross-modal attention: each question's embedding queries the
/// image's patch tokens, and an MLP scores the answers from the question and what it attended to.
///
/// ```
/// patches  = PatchEncoder(images)                          (B, T, E)   T = grid²
/// visual   = reduce(patches)                               (B, T', E)  all T, the mean (1), or k Perceiver latents
/// query    = TextEncoder(question tokens)                  (B, Q, E)   each question on its own
/// attended = CrossModalAttention(q: query, kv: visual)     (B, Q, E)
/// logits   = MLP(LN([query, attended, query ⊙ attended]))  (B, Q, answers)
/// ```
///
/// The element-wise product gives the head a multiplicative interaction between the question
/// and the attended features: "is there a bag here?" is a match between two vectors, which a
/// sum followed by an MLP learns slowly (Hadamard-product fusion, Kim et al. 2017,
/// [arXiv:1610.04325](https://arxiv.org/abs/1610.04325)).
public final class VQAModel: Module {
    /// How the patch tokens are reduced before the questions attend to them.
    public enum Reduction: Codable, Sendable, Equatable, CustomStringConvertible {
        /// All T patch tokens.
        case none
        /// One token: the mean of the patch tokens (no position left to attend to).
        case mean
        /// `latents` tokens from a ``PerceiverResampler`` of `depth` layers.
        case perceiver(latents: Int, depth: Int)

        /// How the report names the reduction.
        public var description: String {
            switch self {
            case .none: "all patch tokens"
            case .mean: "mean pooling"
            case .perceiver(let k, _): "Perceiver, \(k) latents"
            }
        }
    }

    /// Images → patch tokens of width E.
    public var image: PatchEncoder
    /// Question token ids → per-token states of width E.
    public var question: TextEncoder
    /// Patch tokens → latents, when the reduction is `.perceiver`.
    public var resampler: PerceiverResampler?
    /// Questions attending to the (reduced) image tokens.
    public var attention: CrossModalAttention
    /// E → answers.
    public var head: Sequential
    /// How the patch tokens are reduced before cross-attention.
    public let reduction: Reduction

    /// - Parameters:
    ///   - image: the patch encoder (its `dim` is the model's width E).
    ///   - vocabularySize / maxLength: of the question tokenizer.
    ///   - answers: the size of the answer vocabulary.
    ///   - heads: attention heads (of the question attention and the resampler).
    public init(image: PatchEncoder, vocabularySize: Int, maxLength: Int, answers: Int, heads: Int = 4,
                reduction: Reduction = .none) {
        let width = image.dim
        self.image = image
        self.reduction = reduction
        question = TextEncoder(vocabularySize: vocabularySize, maxLength: maxLength, width: 64, depth: 1,
                               heads: 4, dropout: 0, embeddingDim: width)
        if case .perceiver(let latents, let depth) = reduction {
            resampler = PerceiverResampler(dim: width, depth: depth, numLatents: latents, numHeads: heads)
        }
        attention = CrossModalAttention(queryDim: width, contextDim: width, numHeads: heads, preNorm: true)
        head = Sequential(LayerNorm([3 * width]), Linear(3 * width, 2 * width), GELU(), Linear(2 * width, answers))
    }

    /// The tokens the questions attend to: (B, C, S, S) images → (B, T', E).
    public func visualTokens(_ images: Tensor) -> Tensor {
        let patches = image(images)  // (B, T, E)
        switch reduction {
        case .none: return patches
        case .mean: return patches.mean(dim: 1, keepDim: true)  // (B, 1, E)
        case .perceiver: return resampler!(patches)               // (B, k, E)
        }
    }

    /// Answers questions about already reduced tokens: `visual` (B, T', E), `questions`
    /// (B, Q, L) token ids → logits (B, Q, answers) and attention weights (B, heads, Q, T').
    public func answer(_ visual: Tensor, _ questions: Tensor) -> (logits: Tensor, weights: Tensor) {
        let query = embedQuestions(questions)                                             // (B, Q, E)
        let (attended, weights) = attention(query, visual)                                // (B, Q, E), (B, H, Q, T')
        return (head(Tensor.cat([query, attended, query * attended], dim: -1)), weights)
    }

    /// Question token ids (B, Q, L) → one embedding per question (B, Q, E), each encoded on its own.
    public func embedQuestions(_ questions: Tensor) -> Tensor {
        let b = questions.size(0), q = questions.size(1)
        return question(questions.reshape(b * q, questions.size(2))).reshape(b, q, -1)
    }

    /// images (B, C, S, S), questions (B, Q, L) → logits (B, Q, answers), weights (B, heads, Q, T').
    public func callAsFunction(_ images: Tensor, _ questions: Tensor) -> (logits: Tensor, weights: Tensor) {
        answer(visualTokens(images), questions)
    }
}

extension VQAModel {
    /// The mean cross-entropy of the answers to all questions of `set` (the training loss).
    public func loss(_ set: Composites.Set, tokenizer: Tokenizer, maxLength: Int) -> Tensor {
        let (tokens, answers) = set.encoded(0..<set.count, tokenizer: tokenizer, maxLength: maxLength)
        let logits = self(set.images, tokens).logits  // (B, Q, answers)
        return F.crossEntropy(logits.reshape(-1, logits.size(-1)), answers.flatten())
    }

    /// Predicted answers (N, Q) and head-averaged attention weights (N, Q, T') for a whole
    /// set, in evaluation mode, `batch` composites at a time.
    public func predict(_ set: Composites.Set, tokenizer: Tokenizer, maxLength: Int, batch: Int = 250)
        -> (answers: Tensor, attention: Tensor) {
        eval()
        return withNoGrad {
            var answers: [Tensor] = [], maps: [Tensor] = []
            for start in stride(from: 0, to: set.count, by: batch) {
                let range = start..<min(start + batch, set.count)
                let tokens = set.encoded(range, tokenizer: tokenizer, maxLength: maxLength).tokens
                let (logits, weights) = self(set.images[range], tokens)
                answers.append(logits.argmax(dim: -1))  // (n, Q)
                maps.append(weights.mean(dim: 1))       // (n, Q, T')
            }
            return (Tensor.cat(answers, dim: 0), Tensor.cat(maps, dim: 0))
        }
    }
}
