import Torch

/// A `Conv2d` after post-training INT8 quantization: per-output-channel int8 weights with
/// float32 scales (see ``Int8Weight``), a float bias, and optionally calibrated int8
/// input activations (see ``ActivationCalibration``).
///
/// The forward pass dequantizes the weight (int8 → float32 × scale) and runs the float
/// convolution: on this engine that saves memory and file size, not time. libtorch's int8
/// convolutions (`quantized::conv2d`) take packed-parameter objects that `Ops.call` cannot
/// build, and it has no int8-weight convolution on plain tensors.
///
/// Keys in `stateDict()`: `weight_int8`, `weight_scale`, `bias`.
public final class QuantizedConv2d: Module, Layer {
    /// (Cout, Cin/groups, kH, kW) int8.
    @Buffer public var weightInt8: Tensor
    /// (Cout) float32.
    @Buffer public var weightScale: Tensor
    /// (Cout) float32, frozen, or nil.
    public var bias: Tensor?
    /// The convolution's geometry, as the float layer's.
    public let stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int
    /// The input's calibration; uncalibrated inputs stay float.
    public let input = ActivationCalibration()

    /// Quantizes `conv`'s weight and keeps its geometry; the bias is copied in float32.
    public init(_ conv: Conv2d) {
        let q = Int8Weight(quantizing: conv.weight)
        weightInt8 = q.values
        weightScale = q.scales
        bias = conv.bias.map { $0.detached().to(.float32).clone() }
        stride = conv.stride
        padding = conv.padding
        dilation = conv.dilation
        groups = conv.groups
    }

    /// The int8 weight with its scales.
    public var weight: Int8Weight { Int8Weight(values: weightInt8, scales: weightScale) }

    /// x: (N, Cin, H, W) float32 → (N, Cout, H', W').
    public func callAsFunction(_ x: Tensor) -> Tensor {
        F.conv2d(input(x), weight: weight.dequantized(), bias: bias, stride: stride, padding: padding,
                 dilation: dilation, groups: groups)
    }

    /// Bytes of the stored weight, scales and bias.
    public var sizeInBytes: Int { weight.sizeInBytes + (bias?.count ?? 0) * DType.float32.byteSize }
}
