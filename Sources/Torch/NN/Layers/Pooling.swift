/// 2-D max pooling with a square window (stride defaults to the window).
public final class MaxPool2d: Module, Layer {
    /// The window size, the step between windows, and the zero padding on each side, in both spatial dimensions.
    public let kernelSize: Int, stride: Int, padding: Int
    /// A max-pooling layer; `stride` defaults to `kernelSize`.
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
    }
    /// x: (N, C, H, W) → (N, C, ⌊(H + 2·padding − kernelSize) / stride⌋ + 1, same for W).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        F.maxPool2d(x, kernel: (kernelSize, kernelSize), stride: (stride, stride), padding: (padding, padding))
    }
}

/// 2-D average pooling with a square window (stride defaults to the window).
public final class AvgPool2d: Module, Layer {
    /// The window size, the step between windows, and the zero padding on each side, in both spatial dimensions.
    public let kernelSize: Int, stride: Int, padding: Int
    /// An average-pooling layer; `stride` defaults to `kernelSize`.
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
    }
    /// x: (N, C, H, W) → (N, C, ⌊(H + 2·padding − kernelSize) / stride⌋ + 1, same for W); padding counts in the average.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        F.avgPool2d(x, kernel: (kernelSize, kernelSize), stride: (stride, stride), padding: (padding, padding))
    }
}

/// Average pooling to a fixed (H', W').
public final class AdaptiveAvgPool2d: Module, Layer {
    /// The output's (H', W').
    public let outputSize: (Int, Int)
    /// An adaptive average-pooling layer to `outputSize`.
    public init(_ outputSize: (Int, Int)) { self.outputSize = outputSize }
    /// x: (N, C, H, W) → (N, C, H', W'), whatever H and W.
    public func callAsFunction(_ x: Tensor) -> Tensor { F.adaptiveAvgPool2d(x, outputSize: outputSize) }
}
