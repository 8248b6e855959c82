/// Layer normalization over the trailing dimensions `normalizedShape`, as `torch.nn.LayerNorm`
/// ([Ba et al. 2016](https://arxiv.org/abs/1607.06450)). Weight starts at 1, bias at 0.
public final class LayerNorm: Module, Layer {
    public var weight: Tensor?
    public var bias: Tensor?
    public let normalizedShape: [Int]
    public let eps: Double

    public init(_ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true,
                dtype: DType = .float32, device: Device = .cpu) {
        self.normalizedShape = normalizedShape
        self.eps = eps
        weight = elementwiseAffine ? Tensor.ones(normalizedShape, dtype: dtype, device: device).requiringGrad() : nil
        self.bias = elementwiseAffine && bias ? Tensor.zeros(normalizedShape, dtype: dtype, device: device).requiringGrad() : nil
    }

    public convenience init(_ size: Int, eps: Double = 1e-5) { self.init([size], eps: eps) }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        F.layerNorm(x, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
    }
}

/// Zeroes elements with probability `p` in training mode; the identity in evaluation mode.
public final class Dropout: Module, Layer {
    public let p: Double
    public init(_ p: Double = 0.5) { self.p = p }
    public func callAsFunction(_ x: Tensor) -> Tensor { F.dropout(x, p: p, training: isTraining) }
}

/// A lookup table of `count` vectors of size `dimension`, as `torch.nn.Embedding`.
/// Initialized N(0, 1); the `paddingIndex` row starts at zero and gets no gradient.
public final class Embedding: Module, Layer {
    /// (count, dimension)
    public var weight: Tensor
    public let paddingIndex: Int?

    public init(_ count: Int, _ dimension: Int, paddingIndex: Int? = nil, dtype: DType = .float32, device: Device = .cpu) {
        self.paddingIndex = paddingIndex
        weight = Init.parameter([count, dimension], dtype: dtype, device: device)
        super.init()
        Init.normal_(weight)
        if let paddingIndex { withNoGrad { weight[paddingIndex].fill_(0) } }
    }

    /// Integer indices (…) → vectors (…, dimension).
    public func callAsFunction(_ indices: Tensor) -> Tensor {
        F.embedding(indices, weight: weight, paddingIndex: paddingIndex)
    }
}
