import Torch

/// A `Linear` after post-training INT8 quantization: per-output-channel int8 weights with
/// float32 scales (see ``Int8Weight``), a float bias, and optionally calibrated int8
/// input activations (see ``ActivationCalibration``).
///
/// On this engine the saving is **memory and file size, not time**: the default kernel
/// dequantizes the weight (int8 → float32 × scale) and calls the float matmul, so a forward
/// pass costs a little more than the float layer's. libtorch's int8 weight kernel,
/// `aten::_weight_int8pack_mm`, is reachable through `Ops.call` and is offered as
/// ``Kernel/int8WeightMatmul``, but on CPU with float32 activations it measured 10–40×
/// *slower* than the float matmul (PyTorch 2.13, one thread: 220 µs vs 23 µs for 1×512·512,
/// 14.6 ms vs 0.38 ms for 64×512·512); it is fast only for bfloat16 activations.
/// libtorch's `quantized::linear` needs packed-weight objects that the boxed call cannot build.
///
/// Keys in `stateDict()`: `weight_int8`, `weight_scale`, `bias`.
public final class QuantizedLinear: Module, Layer {
    /// How the product with the int8 weight is computed.
    public enum Kernel: Sendable {
        /// ŵ = q·scale in float32, then `F.linear`: differentiable in x, fastest on CPU here.
        case dequantized
        /// `aten::_weight_int8pack_mm(x, q, scales)`: int8 weight, float activations; no gradient.
        case int8WeightMatmul
    }

    /// (out, in) int8.
    @Buffer public var weightInt8: Tensor
    /// (out) float32.
    @Buffer public var weightScale: Tensor
    /// (out) float32, frozen, or nil.
    public var bias: Tensor?
    /// The input width.
    public let inFeatures: Int
    /// The output width.
    public let outFeatures: Int
    /// How the product with the int8 weight is computed.
    public var kernel: Kernel
    /// The input's calibration; uncalibrated inputs stay float.
    public let input = ActivationCalibration()

    /// Quantizes `linear`'s weight; the bias is copied in float32.
    public init(_ linear: Linear, kernel: Kernel = .dequantized) {
        let q = Int8Weight(quantizing: linear.weight)
        inFeatures = linear.inFeatures
        outFeatures = linear.outFeatures
        self.kernel = kernel
        weightInt8 = q.values
        weightScale = q.scales
        bias = linear.bias.map { $0.detached().to(.float32).clone() }
    }

    /// The int8 weight with its scales.
    public var weight: Int8Weight { Int8Weight(values: weightInt8, scales: weightScale) }

    /// x: (…, in) float32 → (…, out).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let xq = input(x)
        switch kernel {
        case .dequantized:
            return F.linear(xq, weight: weight.dequantized(), bias: bias)
        case .int8WeightMatmul:
            let leading = Array(x.shape.dropLast())
            let rows = xq.reshape(-1, inFeatures).contiguous()  // (N, in)
            let y = Ops.call("aten::_weight_int8pack_mm", [.tensor(rows), .tensor(weightInt8), .tensor(weightScale.to(x.dtype))])
                .tensor(0)  // (N, out)
            let out = y.reshape(leading + [outFeatures])  // (…, out)
            return bias.map { out + $0 } ?? out
        }
    }

    /// Bytes of the stored weight, scales and bias.
    public var sizeInBytes: Int { weight.sizeInBytes + (bias?.count ?? 0) * DType.float32.byteSize }
}
