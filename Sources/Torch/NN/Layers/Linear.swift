/// y = x·Wᵀ + b, as `torch.nn.Linear`. x: (…, in) → (…, out).
/// Initialized as PyTorch: W ~ kaiming_uniform(a=√5), b ~ U(±1/√in).
public final class Linear: Module, Layer {
    /// (out, in)
    public var weight: Tensor
    /// (out), or nil
    public var bias: Tensor?
    /// The size of the input's last dimension.
    public let inFeatures: Int
    /// The size of the output's last dimension.
    public let outFeatures: Int

    /// A layer mapping `inFeatures` to `outFeatures`, initialized as PyTorch from the global generator; float32 on the CPU by default.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, dtype: DType = .float32, device: Device = .cpu) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Init.parameter([outFeatures, inFeatures], dtype: dtype, device: device)
        self.bias = bias ? Init.parameter([outFeatures], dtype: dtype, device: device) : nil
        super.init()
        Init.resetLinearLike(weight: weight, bias: self.bias)
    }

    /// x: (…, in) → (…, out); x must have the weight's dtype.
    public func callAsFunction(_ x: Tensor) -> Tensor { F.linear(x, weight: weight, bias: bias) }
}

/// The identity.
public final class Identity: Module, Layer {
    /// An identity layer (no parameters).
    public override init() {}
    /// Returns `x` itself.
    public func callAsFunction(_ x: Tensor) -> Tensor { x }
}
