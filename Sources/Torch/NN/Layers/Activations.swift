/// max(x, 0) as a layer.
public final class ReLU: Module, Layer {
    /// A ReLU layer (no parameters).
    public override init() {}
    /// max(x, 0) elementwise. x: any shape → the same shape and dtype.
    public func callAsFunction(_ x: Tensor) -> Tensor { x.relu() }
}

/// GELU as a layer.
public final class GELU: Module, Layer {
    /// True for the tanh approximation of GELU, false for the exact erf form.
    public let approximate: Bool
    /// A GELU layer; `approximate` selects the tanh approximation (PyTorch's `approximate="tanh"`).
    public init(approximate: Bool = false) { self.approximate = approximate }
    /// GELU elementwise. x: any shape → the same shape and dtype.
    public func callAsFunction(_ x: Tensor) -> Tensor { x.gelu(approximate: approximate) }
}

/// tanh as a layer.
public final class Tanh: Module, Layer {
    /// A tanh layer (no parameters).
    public override init() {}
    /// tanh elementwise. x: any shape → the same shape (floating dtype).
    public func callAsFunction(_ x: Tensor) -> Tensor { x.tanh() }
}

/// min(max(x, 0), 6) as a layer, as `torch.nn.ReLU6` (MobileNet's and EfficientNet-Lite's activation).
public final class ReLU6: Module, Layer {
    /// A ReLU6 layer (no parameters).
    public override init() {}
    /// min(max(x, 0), 6) elementwise. x: any shape → the same shape and dtype.
    public func callAsFunction(_ x: Tensor) -> Tensor { F.relu6(x) }
}
