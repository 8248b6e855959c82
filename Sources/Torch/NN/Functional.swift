internal import CTorch

/// Stateless neural-network functions, as `torch.nn.functional` (imported as `F` there).
/// Layers call these; they are usable on their own with explicit weights.
public enum F {
    /// y = x·Wᵀ + b. x: (…, in), weight: (out, in), bias: (out) → (…, out).
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
        tensorCall { lt_linear(x.handle, weight.handle, bias?.handle, $0) }
    }

    /// 1-D convolution. x: (N, Cin, L), weight: (Cout, Cin/groups, K) → (N, Cout, L').
    public static func conv1d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                              dilation: Int = 1, groups: Int = 1) -> Tensor {
        conv(x, weight, bias, [stride], [padding], [dilation], groups)
    }

    /// 2-D convolution. x: (N, Cin, H, W), weight: (Cout, Cin/groups, kH, kW) → (N, Cout, H', W').
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                              padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
        conv(x, weight, bias, [stride.0, stride.1], [padding.0, padding.1], [dilation.0, dilation.1], groups)
    }

    static func conv(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ s: [Int], _ p: [Int], _ d: [Int], _ groups: Int) -> Tensor {
        let s = s.map(Int64.init), p = p.map(Int64.init), d = d.map(Int64.init)
        return tensorCall { lt_conv(x.handle, w.handle, b?.handle, s, p, d, Int64(s.count), Int64(groups), $0) }
    }

    /// 2-D max pooling; `stride` defaults to the kernel size.
    public static func maxPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                                 dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) -> Tensor {
        let k = [kernel.0, kernel.1].map(Int64.init)
        let s = [stride?.0 ?? kernel.0, stride?.1 ?? kernel.1].map(Int64.init)
        let p = [padding.0, padding.1].map(Int64.init), d = [dilation.0, dilation.1].map(Int64.init)
        return tensorCall { lt_max_pool(x.handle, k, s, p, d, 2, ceilMode ? 1 : 0, $0) }
    }

    /// 1-D max pooling over (N, C, L); `stride` defaults to the kernel size.
    public static func maxPool1d(_ x: Tensor, kernel: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
                                 ceilMode: Bool = false) -> Tensor {
        let k = [Int64(kernel)], s = [Int64(stride ?? kernel)], p = [Int64(padding)], d = [Int64(dilation)]
        return tensorCall { lt_max_pool(x.handle, k, s, p, d, 1, ceilMode ? 1 : 0, $0) }
    }

    /// 2-D average pooling; `stride` defaults to the kernel size.
    public static func avgPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                                 ceilMode: Bool = false, countIncludePad: Bool = true) -> Tensor {
        let k = [kernel.0, kernel.1].map(Int64.init)
        let s = [stride?.0 ?? kernel.0, stride?.1 ?? kernel.1].map(Int64.init)
        let p = [padding.0, padding.1].map(Int64.init)
        return tensorCall { lt_avg_pool(x.handle, k, s, p, 2, ceilMode ? 1 : 0, countIncludePad ? 1 : 0, $0) }
    }

    /// 1-D average pooling over (N, C, L).
    public static func avgPool1d(_ x: Tensor, kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        let k = [Int64(kernel)], s = [Int64(stride ?? kernel)], p = [Int64(padding)]
        return tensorCall { lt_avg_pool(x.handle, k, s, p, 1, 0, 1, $0) }
    }

    /// Average pooling to a fixed output size (H', W'), whatever the input size.
    public static func adaptiveAvgPool2d(_ x: Tensor, outputSize: (Int, Int)) -> Tensor {
        let o = [outputSize.0, outputSize.1].map(Int64.init)
        return tensorCall { lt_adaptive_pool(x.handle, o, 2, 0, $0) }
    }
    /// Max pooling to a fixed output size (H', W'), whatever the input size. x: (N, C, H, W) or (C, H, W).
    public static func adaptiveMaxPool2d(_ x: Tensor, outputSize: (Int, Int)) -> Tensor {
        let o = [outputSize.0, outputSize.1].map(Int64.init)
        return tensorCall { lt_adaptive_pool(x.handle, o, 2, 1, $0) }
    }
    /// Average pooling to a fixed output length L', whatever the input length. x: (N, C, L) or (C, L).
    public static func adaptiveAvgPool1d(_ x: Tensor, outputSize: Int) -> Tensor {
        let o = [Int64(outputSize)]
        return tensorCall { lt_adaptive_pool(x.handle, o, 1, 0, $0) }
    }
    /// Max pooling to a fixed output length L', whatever the input length. x: (N, C, L) or (C, L).
    public static func adaptiveMaxPool1d(_ x: Tensor, outputSize: Int) -> Tensor {
        let o = [Int64(outputSize)]
        return tensorCall { lt_adaptive_pool(x.handle, o, 1, 1, $0) }
    }

    /// Layer normalization over the trailing `normalizedShape` dimensions
    /// ([Ba et al. 2016](https://arxiv.org/abs/1607.06450)).
    public static func layerNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
                                 eps: Double = 1e-5) -> Tensor {
        let s = normalizedShape.map(Int64.init)
        return tensorCall { lt_layer_norm(x.handle, s, Int64(s.count), weight?.handle, bias?.handle, eps, $0) }
    }

    /// Rows of `weight` (V, D) picked by integer `indices` (…) → (…, D).
    /// The row `paddingIndex` gets no gradient.
    public static func embedding(_ indices: Tensor, weight: Tensor, paddingIndex: Int? = nil) -> Tensor {
        tensorCall { lt_embedding(weight.handle, indices.handle, Int64(paddingIndex ?? -1), $0) }
    }

    /// Batch normalization over dimension 1 of (N, C, …), as `torch.nn.functional.batch_norm`.
    ///
    /// With `training`, x is normalized by the batch's own mean and biased variance, and the
    /// running statistics (when given) move in place toward the batch's mean and *unbiased*
    /// variance: running ← (1 − momentum)·running + momentum·batch. Without it, the running
    /// statistics normalize x, which requires them.
    public static func batchNorm(_ x: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil,
                                 bias: Tensor? = nil, training: Bool, momentum: Double = 0.1, eps: Double = 1e-5) -> Tensor {
        Ops.call("aten::batch_norm", [.tensor(x), .optionalTensor(weight), .optionalTensor(bias),
                                      .optionalTensor(runningMean), .optionalTensor(runningVar), .bool(training),
                                      .double(momentum), .double(eps), .bool(true)]).tensor(0)
    }

    /// Pads the last dimensions of x with `value`, as `torch.nn.functional.pad` in constant mode:
    /// `padding` is (left, right) for the last dimension, then (top, bottom) for the one before, and so on.
    /// Negative amounts crop.
    public static func pad(_ x: Tensor, _ padding: [Int], value: Double = 0) -> Tensor {
        Ops.call("aten::constant_pad_nd", [.tensor(x), .ints(padding), .double(value)]).tensor(0)
    }

    /// Bilinear resampling of (N, C, H, W) to (N, C, size.0, size.1), as
    /// `torch.nn.functional.interpolate(mode="bilinear", antialias=False)`; `alignCorners` as there.
    public static func resizeBilinear(_ x: Tensor, size: (Int, Int), alignCorners: Bool = false) -> Tensor {
        Ops.call("aten::upsample_bilinear2d", [.tensor(x), .ints([size.0, size.1]), .bool(alignCorners), .none, .none]).tensor(0)
    }

    /// Zeroes each element with probability `p` and scales the rest by 1/(1−p) when
    /// `training`; the identity otherwise.
    public static func dropout(_ x: Tensor, p: Double, training: Bool) -> Tensor {
        guard training, p > 0 else { return x }
        return tensorCall { lt_dropout(x.handle, p, 1, $0) }
    }

    /// softmax(Q·Kᵀ/√d + mask)·V over (…, T, d) queries and (…, S, d) keys and values.
    /// A bool `mask` marks the positions that *may* be attended (true); a float mask is added.
    public static func scaledDotProductAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, mask: Tensor? = nil,
                                                 dropout: Double = 0, isCausal: Bool = false) -> Tensor {
        tensorCall { lt_sdpa(q.handle, k.handle, v.handle, mask?.handle, dropout, isCausal ? 1 : 0, $0) }
    }

    /// max(x, 0) elementwise; same shape and dtype.
    public static func relu(_ x: Tensor) -> Tensor { x.relu() }
    /// GELU elementwise (exact with erf, or the tanh approximation); same shape and dtype.
    public static func gelu(_ x: Tensor, approximate: Bool = false) -> Tensor { x.gelu(approximate: approximate) }
    /// min(max(x, 0), 6) elementwise, as `torch.nn.functional.relu6` (hardtanh to [0, 6]); same shape and dtype.
    public static func relu6(_ x: Tensor) -> Tensor {
        Ops.call("aten::hardtanh", [.tensor(x), .double(0), .double(6)]).tensor(0)
    }
    /// x·sigmoid(x) elementwise; same shape and dtype.
    public static func silu(_ x: Tensor) -> Tensor { x.silu() }
    /// softmax along `dim`: exp(x) / Σ exp(x); same shape, floating dtype.
    public static func softmax(_ x: Tensor, dim: Int) -> Tensor { x.softmax(dim: dim) }
    /// log(softmax(x)) along `dim`, computed stably; same shape, floating dtype.
    public static func logSoftmax(_ x: Tensor, dim: Int) -> Tensor { x.logSoftmax(dim: dim) }
    /// x / max(‖x‖ₚ, eps) along `dim`.
    public static func normalize(_ x: Tensor, p: Double = 2, dim: Int = 1, eps: Double = 1e-12) -> Tensor {
        x.normalized(p: p, dim: dim, eps: eps)
    }
    /// Cosine similarity of `a` and `b` along `dim` (shapes broadcast); that dimension is removed.
    public static func cosineSimilarity(_ a: Tensor, _ b: Tensor, dim: Int = 1, eps: Double = 1e-8) -> Tensor {
        a.cosineSimilarity(b, dim: dim, eps: eps)
    }
}

/// How a loss reduces its per-element values.
public enum Reduction: Int64, Sendable {
    /// `.none`: the per-element losses (the input's shape); `.mean`: their mean (a scalar); `.sum`: their sum (a scalar).
    case none = 0, mean = 1, sum = 2
}

extension F {
    /// Cross-entropy of `logits` (N, C) or (N, C, d…) against class indices (N) / (N, d…) (int64),
    /// or against class probabilities of the logits' shape.
    /// - Parameters:
    ///   - logits: unnormalized scores, floating, (N, C) or (N, C, d…).
    ///   - target: int64 class indices (N) / (N, d…), or floating probabilities of the logits' shape.
    ///   - weight: a rescaling weight per class, (C), or nil for equal weights.
    ///   - reduction: how the per-sample losses are reduced (default: their mean).
    ///   - labelSmoothing: mixes the target with the uniform distribution by this amount
    ///     ([Szegedy et al. 2016](https://arxiv.org/abs/1512.00567)).
    ///   - ignoreIndex: targets with this class contribute nothing.
    public static func crossEntropy(_ logits: Tensor, _ target: Tensor, weight: Tensor? = nil,
                                    reduction: Reduction = .mean, ignoreIndex: Int = -100,
                                    labelSmoothing: Double = 0) -> Tensor {
        tensorCall {
            lt_cross_entropy(logits.handle, target.handle, weight?.handle, reduction.rawValue, Int64(ignoreIndex), labelSmoothing, $0)
        }
    }

    /// Mean (or summed) squared error between tensors of one shape.
    public static func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        tensorCall { lt_mse_loss(input.handle, target.handle, reduction.rawValue, $0) }
    }

    /// Binary cross-entropy of `logits` against targets in [0, 1], computed stably from logits.
    public static func binaryCrossEntropyWithLogits(_ logits: Tensor, _ target: Tensor, weight: Tensor? = nil,
                                                    posWeight: Tensor? = nil, reduction: Reduction = .mean) -> Tensor {
        tensorCall { lt_bce_with_logits(logits.handle, target.handle, weight?.handle, posWeight?.handle, reduction.rawValue, $0) }
    }
}
