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

    /// The layer that computes in this one's place, set by ``replace(with:)``: a LoRA
    /// wrapper, an int8 version. Calls go to it, and its parameters, buffers and children
    /// stand at this layer's key (`encoder.linear1.lora_A.weight`), as PyTorch's
    /// `setattr(parent, name, new)` would put them.
    public private(set) var replacement: (any Layer)?

    /// Puts `layer` in this layer's place (nil: back to this layer's own weight), in any
    /// module that holds it: a slot typed `Linear`, an array, attention's output projection.
    /// The replacement may hold this layer's tensors (a LoRA wrapper shares the base weight)
    /// but must not call this layer: it computes with `weight` and `bias` directly.
    public func replace(with layer: (any Layer)?) {
        precondition(layer.map { $0 !== self } ?? true, "Linear.replace(with:): a layer cannot replace itself")
        replacement = layer
    }

    /// The replacement's children (at this layer's own key) when replaced, else none.
    public override func namedChildren() -> [(String, Module)] { replacement.map { [("", $0 as Module)] } ?? [] }

    /// `weight` and `bias`, or none when replaced (the replacement's stand here instead).
    public override func namedDirectParameters() -> [(String, Tensor)] {
        replacement != nil ? [] : [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// x: (…, in) → (…, out); x must have the weight's dtype.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        if let replacement { return replacement(x) }
        return F.linear(x, weight: weight, bias: bias)
    }
}

extension Module {
    /// Every `Linear` of this module and its submodules that is not replaced and for which
    /// `choose(key, layer)` holds, with its `stateDict()` prefix, in `namedModules()` order:
    /// the layers an in-place transformation (LoRA, int8) would replace.
    public func unreplacedLinears(where choose: (String, Linear) -> Bool) -> [(key: String, layer: Linear)] {
        namedModules().compactMap { key, module in
            guard let linear = module as? Linear, linear.replacement == nil, choose(key, linear) else { return nil }
            return (key, linear)
        }
    }
}

/// The identity.
public final class Identity: Module, Layer {
    /// An identity layer (no parameters).
    public override init() {}
    /// Returns `x` itself.
    public func callAsFunction(_ x: Tensor) -> Tensor { x }
}
