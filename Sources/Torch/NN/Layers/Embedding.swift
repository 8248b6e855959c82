/// A lookup table of `count` vectors of size `dimension`, as `torch.nn.Embedding`.
/// Initialized N(0, 1); the `paddingIndex` row starts at zero and gets no gradient.
public final class Embedding: Module, Layer {
    /// (count, dimension)
    public var weight: Tensor
    /// The row that starts at zero and gets no gradient, or nil for none.
    public let paddingIndex: Int?

    /// A table of `count` vectors of size `dimension`, drawn from N(0, 1) with the global generator; float32 on the CPU by default.
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
