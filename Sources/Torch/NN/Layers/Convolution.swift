/// 1-D convolution, as `torch.nn.Conv1d`. x: (N, Cin, L) → (N, Cout, L').
public final class Conv1d: Module, Layer {
    /// (Cout, Cin/groups, K)
    public var weight: Tensor
    /// (Cout), or nil when built with `bias: false`.
    public var bias: Tensor?
    /// The step between windows, the zero padding on each side, the spacing of kernel taps, and the number of channel groups.
    public let stride: Int, padding: Int, dilation: Int, groups: Int

    /// A layer from `inChannels` to `outChannels` with a kernel of `kernelSize` taps, initialized as PyTorch (kaiming_uniform(a=√5), bias U(±1/√fan_in)); float32 on the CPU by default.
    /// `inChannels` and `outChannels` must be divisible by `groups`.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, dtype: DType = .float32, device: Device = .cpu) {
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
        weight = Init.parameter([outChannels, inChannels / groups, kernelSize], dtype: dtype, device: device)
        self.bias = bias ? Init.parameter([outChannels], dtype: dtype, device: device) : nil
        super.init()
        Init.resetLinearLike(weight: weight, bias: self.bias)
    }

    /// x: (N, Cin, L) → (N, Cout, ⌊(L + 2·padding − dilation·(K − 1) − 1) / stride⌋ + 1).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        F.conv1d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// 2-D convolution, as `torch.nn.Conv2d`. x: (N, Cin, H, W) → (N, Cout, H', W').
public final class Conv2d: Module, Layer {
    /// (Cout, Cin/groups, kH, kW)
    public var weight: Tensor
    /// (Cout), or nil when built with `bias: false`.
    public var bias: Tensor?
    /// Per spatial dimension (H, W): the step between windows, the zero padding on each side, the spacing of kernel taps; and the number of channel groups.
    public let stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int

    /// A layer from `inChannels` to `outChannels` with a (kH, kW) kernel, initialized as PyTorch (kaiming_uniform(a=√5), bias U(±1/√fan_in)); float32 on the CPU by default.
    /// `inChannels` and `outChannels` must be divisible by `groups`.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
                dtype: DType = .float32, device: Device = .cpu) {
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
        weight = Init.parameter([outChannels, inChannels / groups, kernelSize.0, kernelSize.1], dtype: dtype, device: device)
        self.bias = bias ? Init.parameter([outChannels], dtype: dtype, device: device) : nil
        super.init()
        Init.resetLinearLike(weight: weight, bias: self.bias)
    }

    /// Square kernel, stride, padding and dilation.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, dtype: DType = .float32, device: Device = .cpu) {
        self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
                  padding: (padding, padding), dilation: (dilation, dilation), groups: groups, bias: bias,
                  dtype: dtype, device: device)
    }

    /// x: (N, Cin, H, W) → (N, Cout, H', W'), each spatial size as in `Conv1d`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        F.conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}
