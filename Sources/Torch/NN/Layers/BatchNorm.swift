/// Batch normalization over the channels of (N, C, H, W), as `torch.nn.BatchNorm2d`
/// ([Ioffe and Szegedy 2015](https://arxiv.org/abs/1502.03167)).
///
/// In training mode each batch is normalized by its own per-channel mean and biased
/// variance, and the running statistics move toward the batch's mean and unbiased variance by
/// `momentum` (PyTorch's convention: running ← (1 − momentum)·running + momentum·batch;
/// TensorFlow's "decay" 0.99 is momentum 0.01 here); `num_batches_tracked` counts the
/// updates. In evaluation mode the running statistics are used, so the output of one image
/// does not depend on the rest of its batch. Weight starts at 1, bias at 0, the running mean
/// at 0 and the running variance at 1. State-dict keys are PyTorch's: `weight`, `bias`,
/// `running_mean`, `running_var`, `num_batches_tracked`.
public final class BatchNorm2d: Module, Layer {
    /// The per-channel scale (C); nil without `affine`.
    public var weight: Tensor?
    /// The per-channel shift (C); nil without `affine`.
    public var bias: Tensor?
    /// The running per-channel mean (C), used in evaluation mode.
    @Buffer public var runningMean: Tensor
    /// The running per-channel unbiased variance (C), used in evaluation mode.
    @Buffer public var runningVar: Tensor
    /// How many training batches have updated the running statistics (an int64 scalar).
    @Buffer public var numBatchesTracked: Tensor
    /// Added to the variance before the square root, for stability.
    public let eps: Double
    /// How far each training batch moves the running statistics.
    public let momentum: Double

    /// A layer normalizing `channels` channels; float32 on the CPU by default.
    public init(_ channels: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true,
                dtype: DType = .float32, device: Device = .cpu) {
        self.eps = eps
        self.momentum = momentum
        weight = affine ? Tensor.ones([channels], dtype: dtype, device: device).requiringGrad() : nil
        bias = affine ? Tensor.zeros([channels], dtype: dtype, device: device).requiringGrad() : nil
        runningMean = Tensor.zeros([channels], dtype: dtype, device: device)
        runningVar = Tensor.ones([channels], dtype: dtype, device: device)
        numBatchesTracked = Tensor.zeros([], dtype: .int64, device: device)
    }

    /// x: (N, C, H, W) → the same shape: (x − mean) / √(var + eps) · weight + bias per channel,
    /// with the batch's statistics in training mode (updating the running ones) and the running
    /// statistics in evaluation mode.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = F.batchNorm(x, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                            training: isTraining, momentum: momentum, eps: eps)
        if isTraining { Ops.call("aten::add_", overload: "Scalar", [.tensor(numBatchesTracked), .int(1)]) }
        return y
    }
}
