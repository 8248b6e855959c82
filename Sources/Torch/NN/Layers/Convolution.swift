/// 1-D convolution, as `torch.nn.Conv1d`. x: (N, Cin, L) → (N, Cout, L').
public final class Conv1d: Module, Layer {
    /// (Cout, Cin/groups, K)
    public var weight: Tensor
    public var bias: Tensor?
    public let stride: Int, padding: Int, dilation: Int, groups: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, dtype: DType = .float32, device: Device = .cpu) {
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
        weight = Init.parameter([outChannels, inChannels / groups, kernelSize], dtype: dtype, device: device)
        self.bias = bias ? Init.parameter([outChannels], dtype: dtype, device: device) : nil
        super.init()
        Init.resetLinearLike(weight: weight, bias: self.bias)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        F.conv1d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// 2-D convolution, as `torch.nn.Conv2d`. x: (N, Cin, H, W) → (N, Cout, H', W').
public final class Conv2d: Module, Layer {
    /// (Cout, Cin/groups, kH, kW)
    public var weight: Tensor
    public var bias: Tensor?
    public let stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int

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

    public func callAsFunction(_ x: Tensor) -> Tensor {
        F.conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// 2-D max pooling with a square window (stride defaults to the window).
public final class MaxPool2d: Module, Layer {
    public let kernelSize: Int, stride: Int, padding: Int
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        F.maxPool2d(x, kernel: (kernelSize, kernelSize), stride: (stride, stride), padding: (padding, padding))
    }
}

/// 2-D average pooling with a square window (stride defaults to the window).
public final class AvgPool2d: Module, Layer {
    public let kernelSize: Int, stride: Int, padding: Int
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        F.avgPool2d(x, kernel: (kernelSize, kernelSize), stride: (stride, stride), padding: (padding, padding))
    }
}

/// Average pooling to a fixed (H', W').
public final class AdaptiveAvgPool2d: Module, Layer {
    public let outputSize: (Int, Int)
    public init(_ outputSize: (Int, Int)) { self.outputSize = outputSize }
    public func callAsFunction(_ x: Tensor) -> Tensor { F.adaptiveAvgPool2d(x, outputSize: outputSize) }
}

/// Merges dimensions `start...end` (default: all but the batch dimension).
public final class Flatten: Module, Layer {
    public let start: Int, end: Int
    public init(start: Int = 1, end: Int = -1) { self.start = start; self.end = end }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.flatten(start: start, end: end) }
}

/// max(x, 0) as a layer.
public final class ReLU: Module, Layer {
    public override init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.relu() }
}

/// GELU as a layer.
public final class GELU: Module, Layer {
    public let approximate: Bool
    public init(approximate: Bool = false) { self.approximate = approximate }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.gelu(approximate: approximate) }
}

/// tanh as a layer.
public final class Tanh: Module, Layer {
    public override init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.tanh() }
}
