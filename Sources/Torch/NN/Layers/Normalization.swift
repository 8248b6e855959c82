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
