import Foundation
import Torch

/// An image encoder that keeps space: a convolutional stem whose final feature map becomes a
/// sequence of tokens, one per cell of an s×s grid, each projected to `dim` and given a
/// learned position embedding. The tokens are what cross-attention attends to (the "patch
/// tokens" of ViT, [arXiv:2010.11929](https://arxiv.org/abs/2010.11929), here from a small
/// CNN stem rather than a linear patch embedding, as in the hybrid ViT of that paper, §3.1).
///
/// ```
/// blocks i < pooled:  Conv2d(3×3, padding 1) → ReLU → MaxPool(2)     (B, C, S, S) → (B, C', S/2, S/2)
/// blocks i ≥ pooled:  Conv2d(3×3, padding 1) → ReLU                  keeps the grid, widens the receptive field
/// tokens = flatten(feature map)ᵀ·Wᵀ + b + positions                  (B, s², C) → (B, s², dim)
/// ```
///
/// Parameter keys: `convs.0.weight`, …, `projection.weight`, `projection.bias`, `positions`.
public final class PatchEncoder: Module, Layer {
    /// The convolution blocks, in order; the first `pooled` halve the grid.
    public var convs: [Conv2d]
    /// C → dim, applied to every grid cell.
    public var projection: Linear
    /// (s², dim), learned; row r·s + c is grid cell (r, c). Starts as the fixed 2-D sine–cosine
    /// embedding of MAE (He et al. 2021, [arXiv:2111.06377](https://arxiv.org/abs/2111.06377)):
    /// the first half of the dimensions encode the row, the second half the column, each as
    /// sin(p·ω_k), cos(p·ω_k) with ω_k = 10000^(−k/(dim/4)). Unlike a small random start
    /// (ViT's N(0, 0.02²)), it gives attention a usable notion of "where" from the first step,
    /// which a short training run needs.
    public var positions: Tensor
    /// s: the side of the token grid.
    public let gridSize: Int
    /// How many leading blocks pool.
    public let pooled: Int
    /// The token width.
    public let dim: Int

    /// - Parameters:
    ///   - imageSize: the side of the square input images; must be divisible by 2^pooled.
    ///   - inChannels: input channels; 1 for grayscale.
    ///   - channels: output channels of each block.
    ///   - pooled: how many leading blocks halve the resolution (default: all of them).
    ///   - dim: the width of each output token.
    public init(imageSize: Int, inChannels: Int = 1, channels: [Int], pooled: Int? = nil, dim: Int) {
        let pooled = pooled ?? channels.count
        precondition(!channels.isEmpty, "PatchEncoder: channels must name at least one block")
        precondition(pooled >= 0 && pooled <= channels.count, "PatchEncoder: pooled must be in 0…\(channels.count), got \(pooled)")
        precondition(imageSize % (1 << pooled) == 0,
                     "PatchEncoder: imageSize \(imageSize) is not divisible by 2^\(pooled); the grid would lose border pixels")
        var previous = inChannels
        convs = channels.map { width in
            defer { previous = width }
            return Conv2d(previous, width, kernelSize: 3, padding: 1)
        }
        self.pooled = pooled
        self.dim = dim
        gridSize = imageSize >> pooled
        projection = Linear(channels.last!, dim)
        precondition(dim % 4 == 0, "PatchEncoder: dim must be divisible by 4 for the 2-D sine–cosine positions, got \(dim)")
        positions = Tensor(Self.sineCosinePositions(side: gridSize, dim: dim), shape: [gridSize * gridSize, dim])
            .to(.float32).requiringGrad()
        super.init()
    }

    /// Copies `other`'s convolutions and projection, not its positions (its grid may be
    /// smaller: an encoder pretrained on single items reused on composites of them), and when
    /// `freezing`, stops them from training, as Flamingo freezes its pretrained vision encoder.
    /// - Throws: ``MultimodalError/badArgument(_:)`` when the two stems differ.
    public func loadFeatures(from other: PatchEncoder, freezing: Bool) throws {
        let mine: [Tensor?] = convs.flatMap { [$0.weight, $0.bias] } + [projection.weight, projection.bias]
        let theirs: [Tensor?] = other.convs.flatMap { [$0.weight, $0.bias] } + [other.projection.weight, other.projection.bias]
        guard mine.count == theirs.count, zip(mine, theirs).allSatisfy({ $0?.shape == $1?.shape }) else {
            throw MultimodalError.badArgument("PatchEncoder.loadFeatures: the stems differ: \(mine.map { $0?.shape ?? [] }) vs \(theirs.map { $0?.shape ?? [] })")
        }
        withNoGrad {
            for case let (a?, b?) in zip(mine, theirs) {
                a.copy_(b)
                if freezing { a.requiresGrad = false }
            }
        }
    }

    /// The 2-D sine–cosine embedding, row-major (side², dim) values.
    static func sineCosinePositions(side: Int, dim: Int) -> [Double] {
        let quarter = dim / 4
        let omega = (0..<quarter).map { k in 1 / pow(10000, Double(k) / Double(quarter)) }
        var values: [Double] = []
        values.reserveCapacity(side * side * dim)
        for r in 0..<side {
            for c in 0..<side {
                for p in [Double(r), Double(c)] {
                    values += omega.map { sin(p * $0) } + omega.map { cos(p * $0) }
                }
            }
        }
        return values
    }

    /// (B, inChannels, S, S) → (B, s², dim) tokens in row-major grid order.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for (i, conv) in convs.enumerated() {
            h = conv(h).relu()
            if i < pooled { h = F.maxPool2d(h, kernel: (2, 2)) }
        }
        let tokens = h.flatten(start: 2).transposed(1, 2)  // (B, C, s, s) → (B, s², C)
        return projection(tokens) + positions               // (B, s², dim)
    }
}

/// A ``PatchEncoder`` with a linear classifier over the mean of its tokens: how a patch
/// encoder is pretrained on labelled images before its tokens serve cross-attention.
public final class PatchClassifier: Module, Layer {
    /// The encoder being pretrained.
    public var encoder: PatchEncoder
    /// dim → classes.
    public var head: Linear

    /// A classifier over `classes` classes on top of `encoder`.
    public init(encoder: PatchEncoder, classes: Int) {
        self.encoder = encoder
        head = Linear(encoder.dim, classes)
    }

    /// (B, C, S, S) → (B, classes) logits.
    public func callAsFunction(_ x: Tensor) -> Tensor { head(encoder(x).mean(dim: 1)) }
}
