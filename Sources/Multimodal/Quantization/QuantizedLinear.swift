import Torch

/// A `Linear` after post-training INT8 quantization: per-output-channel int8 weights with
/// float32 scales (see ``Int8Weight``), a float bias, and optionally calibrated int8
/// input activations (see ``ActivationCalibration``).
///
/// Three kernels (``Kernel``). The default, ``Kernel/dequantized``, saves memory and file
/// size, not time: it dequantizes the weight (int8 → float32 × scale) and calls the float
/// matmul. ``Kernel/dynamic`` is PyTorch's dynamic quantization (`torch.ao.quantization.
/// quantize_dynamic`): the int8 weight is prepacked once for fbgemm (`quantized::
/// linear_prepack`), and each call quantizes its activations per tensor to 7-bit unsigned
/// (`reduce_range`, as PyTorch does on x86) and multiplies in int8 with int32 accumulation
/// (`quantized::linear_dynamic`). It pays from a width of about 256: `make bench` measures
/// it against float32 and against PyTorch's own on feed-forward blocks of width 64, 256 and
/// 512. ``Kernel/int8WeightMatmul`` (`aten::_weight_int8pack_mm`) keeps float activations
/// and measured 10–40× *slower* than the float matmul on CPU (PyTorch 2.13, one thread:
/// 220 µs vs 23 µs for 1×512·512); it is fast only for bfloat16 activations.
///
/// Keys in `stateDict()`: `weight_int8`, `weight_scale`, `bias`.
public final class QuantizedLinear: Module, Layer {
    /// How the product with the int8 weight is computed.
    public enum Kernel: Sendable {
        /// ŵ = q·scale in float32, then `F.linear`: differentiable in x, fastest on CPU here.
        case dequantized
        /// `aten::_weight_int8pack_mm(x, q, scales)`: int8 weight, float activations; no gradient.
        case int8WeightMatmul
        /// Dynamic quantization through fbgemm: int8 weight prepacked once, activations
        /// quantized per call (per tensor, 7 bits), int8 × int8 → int32; float32 output, no
        /// gradient. Input calibration does not apply (activations are quantized per batch).
        case dynamic
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
    /// fbgemm's packed weight and bias for ``Kernel/dynamic``, made on first use.
    private var packed: OpObject?

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
        case .dynamic:
            // A failed prepack is recorded like any failing op; this call then fails too.
            let packed: OpValue = packedWeight().map { .object($0) } ?? .none
            return Ops.call("quantized::linear_dynamic", [.tensor(x.contiguous()), packed, .bool(true)]).tensor(0)
        case .int8WeightMatmul:
            let leading = Array(x.shape.dropLast())
            let rows = xq.reshape(-1, inFeatures).contiguous()  // (N, in)
            let y = Ops.call("aten::_weight_int8pack_mm", [.tensor(rows), .tensor(weightInt8), .tensor(weightScale.to(x.dtype))])
                .tensor(0)  // (N, out)
            let out = y.reshape(leading + [outFeatures])  // (…, out)
            return bias.map { out + $0 } ?? out
        }
    }

    /// The weight as a per-channel qint8 tensor (the stored int8 values and scales, zero
    /// points 0), packed with the bias by `quantized::linear_prepack`; kept for later calls.
    private func packedWeight() -> OpObject? {
        if let packed { return packed }
        let quantized = Ops.call("aten::_make_per_channel_quantized_tensor", [
            .tensor(weightInt8), .tensor(weightScale.to(.float64)), .tensor(Tensor.zeros([outFeatures], dtype: .int64)), .int(0),
        ]).tensor(0)
        packed = Ops.call("quantized::linear_prepack", [.tensor(quantized), .optionalTensor(bias)]).object(0)
        return packed
    }

    /// Bytes of the stored weight, scales and bias.
    public var sizeInBytes: Int { weight.sizeInBytes + (bias?.count ?? 0) * DType.float32.byteSize }
}
