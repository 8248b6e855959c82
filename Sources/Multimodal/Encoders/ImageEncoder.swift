import Torch

/// A small convolutional image encoder for grayscale images such as Fashion-MNIST (28×28)
/// or scikit-learn's digits (8×8): a LeNet-style stack
/// ([LeCun et al. 1998](http://yann.lecun.com/exdb/publis/pdf/lecun-98.pdf)) of blocks
/// `Conv2d(3×3, padding 1) → ReLU → MaxPool(2)`, then a flattening and one `Linear`
/// projection into the embedding space.
///
/// The 3×3 convolutions with padding 1 keep the spatial size; each pooling halves it
/// (rounding down), and a block pools only while both sides are at least 2, so a deep
/// stack on 8×8 inputs stops shrinking at 1×1 instead of failing.
///
/// Parameter keys are those of the PyTorch module with `convs = nn.ModuleList([...])` and
/// `projection = nn.Linear(...)`: `convs.0.weight`, `convs.0.bias`, …, `projection.weight`.
///
/// ```swift
/// let encoder = ImageEncoder(imageSize: 28, channels: [32, 64], embeddingDim: 128)
/// let z = encoder(images)   // (B, 1, 28, 28) float32 → (B, 128)
/// ```
public final class ImageEncoder: Module, Layer {
    /// One 3×3 convolution per block; block i maps `channels[i-1]` (1 for the first) to `channels[i]`.
    public var convs: [Conv2d]
    /// (embeddingDim, channels.last · finalSize²)
    public var projection: Linear
    /// The side of the (square) input images.
    public let imageSize: Int
    /// Whether block i pools (its input side is at least 2).
    public let pools: [Bool]
    /// The side of the feature map after the last block.
    public let finalSize: Int

    /// - Parameters:
    ///   - imageSize: the side of the square input images (28 for Fashion-MNIST, 8 for digits).
    ///   - inChannels: input channels; 1 for grayscale.
    ///   - channels: output channels of each block. The default doubles the width when the
    ///     resolution halves, keeping the work per block roughly constant (as VGG does).
    ///   - embeddingDim: the size of the output embedding.
    public init(imageSize: Int = 28, inChannels: Int = 1, channels: [Int] = [32, 64], embeddingDim: Int = 128) {
        precondition(!channels.isEmpty, "ImageEncoder: channels must name at least one block")
        precondition(imageSize > 0, "ImageEncoder: imageSize must be positive, got \(imageSize)")
        var convs: [Conv2d] = []
        var pools: [Bool] = []
        var size = imageSize
        var previous = inChannels
        for width in channels {
            convs.append(Conv2d(previous, width, kernelSize: 3, padding: 1))
            let pool = size >= 2
            pools.append(pool)
            if pool { size /= 2 }
            previous = width
        }
        self.convs = convs
        self.pools = pools
        self.imageSize = imageSize
        self.finalSize = size
        projection = Linear(previous * size * size, embeddingDim)
        super.init()
    }

    /// Encodes a batch of images.
    /// - Parameter x: (B, inChannels, imageSize, imageSize), floating point (float32 by default).
    /// - Returns: (B, embeddingDim), not normalized.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x  // (B, Cin, S, S)
        for (conv, pool) in zip(convs, pools) {
            h = conv(h).relu()  // (B, C, S, S)
            if pool { h = F.maxPool2d(h, kernel: (2, 2)) }  // (B, C, S/2, S/2)
        }
        return projection(h.flatten(start: 1))  // (B, C·s·s) → (B, embeddingDim)
    }
}
