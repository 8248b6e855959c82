import Torch

/// A weight quantized to int8 per output channel, symmetrically: for each channel c
/// (dimension 0: a Linear's output feature, a convolution's output channel)
///
/// ```
/// scale[c] = max|w[c, …]| / 127
/// q[c, …]  = clamp(round(w[c, …] / scale[c]), −127, 127)     int8, w's shape
/// ŵ[c, …]  = q[c, …] · scale[c]                              |ŵ − w| ≤ scale[c]/2
/// ```
///
/// Per-channel scales follow Krishnamoorthi 2018, "Quantizing deep convolutional networks
/// for efficient inference" ([arXiv:1806.08342](https://arxiv.org/abs/1806.08342)), §2 and
/// §3.1: one scale per output channel keeps a channel of small weights from being rounded
/// to zero by another channel's large ones. Symmetric (no zero point) with −127…127, so
/// that negation is exact and ŵ = 0 when w = 0; the code −128 is unused.
public struct Int8Weight {
    /// The quantized values: int8, the original weight's shape.
    public let values: Tensor
    /// The scales: float32, (C), one per slice along dimension 0.
    public let scales: Tensor

    /// Quantizes `weight` (C, …) of any floating dtype.
    public init(quantizing weight: Tensor) {
        let channels = weight.size(0)
        let w = weight.detached().to(.float32)
        let (values, scales) = withNoGrad { () -> (Tensor, Tensor) in
            let maxAbs = w.abs().reshape(channels, -1).max(dims: [1])  // (C)
            // An all-zero channel gets scale 1 instead of 0, so that w / scale is defined (and 0).
            let scales = Tensor.where(maxAbs .== 0.0, maxAbs.onesLike(), maxAbs / 127.0)  // (C)
            let q = (w / scales.reshape(Int8Weight.broadcastShape(weight.shape))).round().clamp(min: -127, max: 127)
            return (q.to(.int8), scales)
        }
        self.values = values
        self.scales = scales
    }

    /// Wraps already quantized values and their scales (as loaded from a file).
    public init(values: Tensor, scales: Tensor) {
        self.values = values
        self.scales = scales
    }

    /// ŵ = q·scale, float32, the original shape.
    public func dequantized() -> Tensor {
        values.to(.float32) * scales.reshape(Int8Weight.broadcastShape(values.shape))  // (C, 1, …) broadcasts over (C, …)
    }

    /// Bytes held: one per value plus four per scale.
    public var sizeInBytes: Int { values.count * values.dtype.byteSize + scales.count * scales.dtype.byteSize }

    /// Bytes the same weight takes in float32.
    public var float32SizeInBytes: Int { values.count * DType.float32.byteSize }

    /// (C, 1, 1, …) for a weight of shape (C, …): the scales' shape for broadcasting.
    static func broadcastShape(_ shape: [Int]) -> [Int] { [shape[0]] + Array(repeating: 1, count: shape.count - 1) }
}
