/// Layer normalization over the trailing dimensions `normalizedShape`, as `torch.nn.LayerNorm`
/// ([Ba et al. 2016](https://arxiv.org/abs/1607.06450)). Weight starts at 1, bias at 0.
public final class LayerNorm: Module, Layer {
    /// The scale, of `normalizedShape`; nil without `elementwiseAffine`.
    public var weight: Tensor?
    /// The shift, of `normalizedShape`; nil without `elementwiseAffine` or with `bias: false`.
    public var bias: Tensor?
    /// The trailing dimensions normalized over, e.g. `[D]` for (…, D).
    public let normalizedShape: [Int]
    /// Added to the variance before the square root, for stability.
    public let eps: Double

    /// A layer normalizing over the trailing `normalizedShape` dimensions; float32 on the CPU by default.
    public init(_ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true,
                dtype: DType = .float32, device: Device = .cpu) {
        self.normalizedShape = normalizedShape
        self.eps = eps
        weight = elementwiseAffine ? Tensor.ones(normalizedShape, dtype: dtype, device: device).requiringGrad() : nil
        self.bias = elementwiseAffine && bias ? Tensor.zeros(normalizedShape, dtype: dtype, device: device).requiringGrad() : nil
    }

    /// A layer normalizing over the last dimension, of size `size`, with weight and bias.
    public convenience init(_ size: Int, eps: Double = 1e-5) { self.init([size], eps: eps) }

    /// x: (…, normalizedShape) → the same shape: (x − mean) / √(var + eps) · weight + bias, the variance biased.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        F.layerNorm(x, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
    }
}
