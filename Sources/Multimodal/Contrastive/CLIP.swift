import Foundation
import Torch

/// A CLIP-style contrastive model ([Radford et al. 2021, "Learning Transferable Visual Models
/// From Natural Language Supervision"](https://arxiv.org/abs/2103.00020)): one tower per
/// modality maps its input into a shared space, embeddings are L2-normalized, and matching
/// pairs are pulled together against every other pair in the batch by the symmetric InfoNCE
/// loss ([van den Oord et al. 2018](https://arxiv.org/abs/1807.03748)), with a learned
/// temperature.
///
/// Any number of modalities may be paired (image, caption and spoken caption, say, as in
/// ImageBind, [Girdhar et al. 2023](https://arxiv.org/abs/2305.05665)): the loss is the mean
/// of the symmetric losses of every pair of modalities, optionally weighted.
///
/// Parameter keys: `logit_scale` (CLIP's name) and each tower's under `towers.NAME.`.
///
/// ```swift
/// let clip = CLIP(image: ImageEncoder(embeddingDim: 64), text: TextEncoder(vocabularySize: 500, maxLength: 16, embeddingDim: 64))
/// let loss = clip.loss(["image": images, "text": tokens])
/// let z = clip.embed("image", images)   // (B, 64), unit rows
/// ```
public final class CLIP: Module {
    /// The modality names, in the order the towers were given.
    public let modalities: [String]
    /// One tower per modality, in `modalities` order.
    public let towers: [any Layer]
    /// log of the logit scale (the inverse temperature), a 0-d float32 parameter. CLIP
    /// learns the temperature in log space so it stays positive and its steps are relative.
    public var logitScale: Tensor

    /// log(1/0.07): CLIP's initial temperature 0.07, taken from Wu et al. 2018's
    /// instance discrimination ([arXiv:1805.01978](https://arxiv.org/abs/1805.01978)).
    public static let initialLogitScale = Foundation.log(1 / 0.07)
    /// log(100): CLIP clips the scale at 100 "to prevent training instability".
    public static let maxLogitScale = Foundation.log(100.0)

    /// - Parameters:
    ///   - towers: (name, tower) pairs; each tower maps its modality's batch to (B, D), with
    ///     the same D for all. Names must be distinct.
    ///   - initialLogitScale: the starting log scale (default log(1/0.07)).
    public init(towers: [(name: String, tower: any Layer)], initialLogitScale: Double = CLIP.initialLogitScale) {
        precondition(towers.count >= 2, "CLIP: needs at least two towers, got \(towers.count)")
        precondition(Set(towers.map(\.name)).count == towers.count, "CLIP: tower names \(towers.map(\.name)) repeat")
        modalities = towers.map(\.name)
        self.towers = towers.map(\.tower)
        logitScale = Tensor.full([], initialLogitScale).requiringGrad()
        super.init()
    }

    /// The two-tower model of the paper: "image" and "text".
    public convenience init(image: any Layer, text: any Layer, initialLogitScale: Double = CLIP.initialLogitScale) {
        self.init(towers: [("image", image), ("text", text)], initialLogitScale: initialLogitScale)
    }

    /// The towers, keyed `towers.NAME`, in the order declared (the temperature is a parameter, not a child).
    public override func namedChildren() -> [(String, Module)] {
        zip(modalities, towers).map { ("towers.\($0)", $1 as Module) }
    }

    /// The tower of `modality`.
    public func tower(_ modality: String) -> any Layer {
        guard let i = modalities.firstIndex(of: modality) else {
            preconditionFailure("CLIP: no tower named '\(modality)'; the towers are \(modalities)")
        }
        return towers[i]
    }

    /// The L2-normalized embeddings of a batch of `modality`'s inputs: (B, …) → (B, D), unit rows.
    public func embed(_ modality: String, _ x: Tensor) -> Tensor {
        // Bound to a local first: calling an `any Layer` returned by a method inline
        // crashes the Swift 6.3 compiler (SILGen).
        let layer = tower(modality)
        let z = layer(x)  // (B, D)
        return z.normalized(dim: -1)
    }

    /// exp(min(logitScale, log 100)): the factor applied to cosine similarities, a 0-d tensor.
    /// Clamping in the forward pass keeps the scale ≤ 100 whatever an optimizer does to the
    /// parameter (CLIP clamps the parameter itself after each step; the effect is the same).
    public var scale: Tensor { logitScale.clamp(max: Self.maxLogitScale).exp() }

    /// The contrastive loss of a batch whose inputs are paired across modalities (row i of
    /// every input belongs to example i).
    /// - Parameters:
    ///   - inputs: modality name → (B, …) batch; at least two modalities.
    ///   - weights: modality pair → weight (either order); pairs not named weigh 1.
    /// - Returns: a 0-d tensor, the (weighted) mean of the pairwise symmetric InfoNCE losses.
    public func loss(_ inputs: [String: Tensor], weights: [ModalityPair: Double] = [:]) -> Tensor {
        loss(inputs, weights: weights, gather: { $0 })
    }

    /// ``loss(_:weights:)`` over gathered embeddings: `gather` is applied to every tower's
    /// (B, D) embeddings before the loss. In a data-parallel run pass `ctx.gathered` (all
    /// ranks' rows, with their gradient): the loss is then the global batch's, and N ranks
    /// with B pairs each see N·B − 1 negatives per pair, as one process with N·B pairs.
    public func loss(_ inputs: [String: Tensor], weights: [ModalityPair: Double] = [:],
                     gather: (Tensor) throws -> Tensor) rethrows -> Tensor {
        let names = modalities.filter { inputs[$0] != nil }
        precondition(names.count >= 2 && names.count == inputs.count,
                     "CLIP.loss: inputs \(inputs.keys.sorted()) must name at least two of the towers \(modalities)")
        let embeddings = try names.map { try gather(embed($0, inputs[$0]!)) }
        let pairWeights = names.map { a in names.map { b in weights[ModalityPair(a, b)] ?? 1 } }
        return multimodalInfoNCE(embeddings, logitScale: scale, pairWeights: pairWeights)
    }
}

/// An unordered pair of modality names, for weighting a pair's loss.
public struct ModalityPair: Hashable, Sendable {
    /// The two modality names, in name order.
    public let first: String, second: String
    /// The pair {a, b}; (a, b) and (b, a) are the same pair.
    public init(_ a: String, _ b: String) { (first, second) = a <= b ? (a, b) : (b, a) }
}

/// The symmetric InfoNCE loss of CLIP's pseudo-code: logits = scale · a·bᵀ, and
/// (CE(logits, arange(B)) + CE(logitsᵀ, arange(B))) / 2 — each a must pick its own b among
/// the batch and each b its own a.
///
/// - Parameters:
///   - a, b: (B, D) embeddings of the same B examples, row i paired with row i; normally
///     L2-normalized so the logits are scaled cosine similarities.
///   - logitScale: the multiplier of the similarities (the inverse temperature, already
///     exponentiated: ``CLIP/scale``), a 0-d tensor (may require gradients) or a scalar.
/// - Returns: a 0-d tensor; log B when the embeddings carry no information, 0 at perfect
///   alignment with a large scale.
public func symmetricInfoNCE(_ a: Tensor, _ b: Tensor, logitScale: Tensor) -> Tensor {
    let logits = a.matmul(b.T) * logitScale  // (B, B): row i holds a_i against every b
    let labels = Tensor.arange(a.size(0), device: a.device)  // (B): the match of row i is column i
    return (F.crossEntropy(logits, labels) + F.crossEntropy(logits.T, labels)) / 2.0
}

/// ``symmetricInfoNCE(_:_:logitScale:)`` with a fixed scale.
public func symmetricInfoNCE(_ a: Tensor, _ b: Tensor, logitScale: Double) -> Tensor {
    symmetricInfoNCE(a, b, logitScale: Tensor.full([], logitScale, dtype: a.dtype, device: a.device))
}

/// The contrastive loss for any number of paired modalities: the weighted mean, over every
/// unordered pair (i, j), i < j, of ``symmetricInfoNCE(_:_:logitScale:)``.
///
/// - Parameters:
///   - embeddings: N ≥ 2 tensors (B, D), row k of each belonging to example k.
///   - logitScale: the multiplier of the similarities, a 0-d tensor.
///   - pairWeights: an N × N table; entry [i][j] (i < j) weighs pair (i, j). Nil weighs every pair 1.
///     Down-weighting a pair is how an experiment probes modality imbalance.
/// - Returns: a 0-d tensor, Σ wᵢⱼ·Lᵢⱼ / Σ wᵢⱼ.
public func multimodalInfoNCE(_ embeddings: [Tensor], logitScale: Tensor, pairWeights: [[Double]]? = nil) -> Tensor {
    precondition(embeddings.count >= 2, "multimodalInfoNCE: needs at least two modalities, got \(embeddings.count)")
    var total: Tensor?
    var weightSum = 0.0
    for i in 0..<embeddings.count {
        for j in (i + 1)..<embeddings.count {
            let w = pairWeights?[i][j] ?? 1
            guard w != 0 else { continue }
            let term = symmetricInfoNCE(embeddings[i], embeddings[j], logitScale: logitScale) * w
            total = total.map { $0 + term } ?? term
            weightSum += w
        }
    }
    precondition(weightSum > 0, "multimodalInfoNCE: every pair weight is zero")
    return total! / weightSum
}
