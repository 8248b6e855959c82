internal import CTorch

func unary(_ op: lt_unary_op, _ a: Tensor) -> Tensor {
    tensorCall { lt_unary(Int32(op.rawValue), a.handle, $0) }
}

func reduce(_ op: lt_reduce_op, _ a: Tensor, _ dims: [Int], _ keepDim: Bool) -> Tensor {
    let d = dims.map(Int64.init)
    return tensorCall { lt_reduce(Int32(op.rawValue), a.handle, d, Int64(d.count), keepDim ? 1 : 0, $0) }
}

// Elementwise functions. Each returns a new tensor of the same shape and dtype.
extension Tensor {
    /// e^x elementwise; same shape (an integer tensor gives float32).
    public func exp() -> Tensor { unary(LT_EXP, self) }
    /// Natural logarithm elementwise; same shape (an integer tensor gives float32; NaN below 0, −inf at 0).
    public func log() -> Tensor { unary(LT_LOG, self) }
    /// Square root elementwise; same shape (an integer tensor gives float32; NaN below 0).
    public func sqrt() -> Tensor { unary(LT_SQRT, self) }
    /// 1 / sqrt(x).
    public func rsqrt() -> Tensor { unary(LT_RSQRT, self) }
    /// |x| elementwise; same shape and dtype.
    public func abs() -> Tensor { unary(LT_ABS, self) }
    /// Hyperbolic tangent elementwise; same shape (an integer tensor gives float32).
    public func tanh() -> Tensor { unary(LT_TANH, self) }
    /// 1 / (1 + e^(−x)).
    public func sigmoid() -> Tensor { unary(LT_SIGMOID, self) }
    /// max(x, 0).
    public func relu() -> Tensor { unary(LT_RELU, self) }
    /// x·Φ(x) (exact, with erf), or its tanh approximation when `approximate` is true
    /// ([Hendrycks & Gimpel 2016](https://arxiv.org/abs/1606.08415)).
    public func gelu(approximate: Bool = false) -> Tensor { unary(approximate ? LT_GELU_TANH : LT_GELU, self) }
    /// x·sigmoid(x).
    public func silu() -> Tensor { unary(LT_SILU, self) }
    /// Sine (radians) elementwise; same shape (an integer tensor gives float32).
    public func sin() -> Tensor { unary(LT_SIN, self) }
    /// Cosine (radians) elementwise; same shape (an integer tensor gives float32).
    public func cos() -> Tensor { unary(LT_COS, self) }
    /// Rounds down to an integral value elementwise; same shape and dtype.
    public func floor() -> Tensor { unary(LT_FLOOR, self) }
    /// Rounds up to an integral value elementwise; same shape and dtype.
    public func ceil() -> Tensor { unary(LT_CEIL, self) }
    /// Rounds to the nearest integral value, halves to even (`torch.round`); same shape and dtype.
    public func round() -> Tensor { unary(LT_ROUND, self) }
    /// −1, 0 or 1 by the sign of each element; same shape and dtype.
    public func sign() -> Tensor { unary(LT_SIGN, self) }
    /// 1 / x elementwise; same shape (an integer tensor gives float32).
    public func reciprocal() -> Tensor { unary(LT_RECIPROCAL, self) }
    /// x² elementwise; same shape and dtype.
    public func square() -> Tensor { unary(LT_SQUARE, self) }
    /// The Gauss error function elementwise; same shape (an integer tensor gives float32).
    public func erf() -> Tensor { unary(LT_ERF, self) }
    /// log(1 + x) elementwise, accurate for small x; same shape (an integer tensor gives float32).
    public func log1p() -> Tensor { unary(LT_LOG1P, self) }
    /// e^x − 1 elementwise, accurate for small x; same shape (an integer tensor gives float32).
    public func expm1() -> Tensor { unary(LT_EXPM1, self) }
    /// Elementwise logical NOT (zero becomes true); gives a bool tensor of the same shape.
    public func logicalNot() -> Tensor { unary(LT_LOGICAL_NOT, self) }
    /// A bool tensor: true where the element is NaN.
    public func isnan() -> Tensor { unary(LT_ISNAN, self) }
    /// A bool tensor: true where the element is neither infinite nor NaN.
    public func isfinite() -> Tensor { unary(LT_ISFINITE, self) }

    /// Limits every element to `[min, max]` (either bound may be omitted).
    public func clamp(min: Double? = nil, max: Double? = nil) -> Tensor {
        tensorCall { lt_clamp(handle, min ?? 0, max ?? 0, min == nil ? 0 : 1, max == nil ? 0 : 1, 0, $0) }
    }
    /// `clamp` in place.
    public func clamp_(min: Double? = nil, max: Double? = nil) {
        var unused: lt_tensor?
        statusCall(lt_clamp(handle, min ?? 0, max ?? 0, min == nil ? 0 : 1, max == nil ? 0 : 1, 1, &unused))
    }

    /// softmax along `dim`: exp(x) / Σ exp(x).
    public func softmax(dim: Int) -> Tensor { tensorCall { lt_softmax(handle, Int64(dim), 0, $0) } }
    /// log(softmax(x)) along `dim`, computed stably.
    public func logSoftmax(dim: Int) -> Tensor { tensorCall { lt_softmax(handle, Int64(dim), 1, $0) } }

    /// Elements where `mask` is true replaced by `value`. `mask` is bool and broadcasts to `self`.
    public func maskedFill(_ mask: Tensor, _ value: Double) -> Tensor {
        tensorCall { lt_masked_fill(handle, mask.handle, value, 0, $0) }
    }
    /// `maskedFill` in place.
    public func maskedFill_(_ mask: Tensor, _ value: Double) {
        var unused: lt_tensor?
        statusCall(lt_masked_fill(handle, mask.handle, value, 1, &unused))
    }

    /// `a` where `condition` is true, else `b` (all three broadcast).
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        tensorCall { lt_where(condition.handle, a.handle, b.handle, $0) }
    }
}

// MARK: - Reductions
// `dims: []` reduces over every dimension. `keepDim` keeps reduced dimensions as size 1.
extension Tensor {
    /// Sum over `dims` (all when empty); bool and integer tensors sum to int64, as in PyTorch.
    public func sum(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(LT_SUM, self, dims, keepDim) }
    /// Sum over one dimension; bool and integer tensors sum to int64.
    public func sum(dim: Int, keepDim: Bool = false) -> Tensor { reduce(LT_SUM, self, [dim], keepDim) }
    /// Mean over `dims` (all when empty); needs a floating tensor.
    public func mean(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(LT_MEAN, self, dims, keepDim) }
    /// Mean over one dimension; needs a floating tensor.
    public func mean(dim: Int, keepDim: Bool = false) -> Tensor { reduce(LT_MEAN, self, [dim], keepDim) }
    /// The largest element (over `dims`, or all).
    public func max(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(LT_AMAX, self, dims, keepDim) }
    /// The smallest element (over `dims`, or all).
    public func min(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(LT_AMIN, self, dims, keepDim) }
    /// The largest values along `dim` and their indices (int64).
    public func max(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) { maxMin(dim, keepDim, isMin: false) }
    /// The smallest values along `dim` and their indices (int64).
    public func min(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) { maxMin(dim, keepDim, isMin: true) }
    /// log Σ exp(x) over `dims` (all when empty), computed stably.
    public func logsumexp(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(LT_LOGSUMEXP, self, dims, keepDim) }
    /// log Σ exp(x) over one dimension, computed stably.
    public func logsumexp(dim: Int, keepDim: Bool = false) -> Tensor { reduce(LT_LOGSUMEXP, self, [dim], keepDim) }
    /// Product over one dimension (or all).
    public func prod(dim: Int? = nil, keepDim: Bool = false) -> Tensor { reduce(LT_PROD, self, dim.map { [$0] } ?? [], keepDim) }
    /// True where every element (over `dims`) is nonzero.
    public func all(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(LT_ALL, self, dims, keepDim) }
    /// True where any element (over `dims`) is nonzero; gives a bool tensor.
    public func any(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(LT_ANY, self, dims, keepDim) }

    /// Variance with Bessel's `correction` (1 = unbiased, PyTorch's default).
    public func variance(dims: [Int] = [], correction: Int = 1, keepDim: Bool = false) -> Tensor {
        let d = dims.map(Int64.init)
        return tensorCall { lt_var(handle, d, Int64(d.count), Int64(correction), keepDim ? 1 : 0, 0, $0) }
    }
    /// Standard deviation with Bessel's `correction` (1 = unbiased).
    public func std(dims: [Int] = [], correction: Int = 1, keepDim: Bool = false) -> Tensor {
        let d = dims.map(Int64.init)
        return tensorCall { lt_var(handle, d, Int64(d.count), Int64(correction), keepDim ? 1 : 0, 1, $0) }
    }

    /// Index of the largest element along `dim` (of the flattened tensor when nil).
    public func argmax(dim: Int? = nil, keepDim: Bool = false) -> Tensor {
        tensorCall { lt_argmax(handle, Int64(dim ?? 0), dim == nil ? 0 : 1, keepDim ? 1 : 0, 0, $0) }
    }
    /// Index (int64) of the smallest element along `dim` (of the flattened tensor when nil).
    public func argmin(dim: Int? = nil, keepDim: Bool = false) -> Tensor {
        tensorCall { lt_argmax(handle, Int64(dim ?? 0), dim == nil ? 0 : 1, keepDim ? 1 : 0, 1, $0) }
    }

    private func maxMin(_ dim: Int, _ keepDim: Bool, isMin: Bool) -> (values: Tensor, indices: Tensor) {
        var v: lt_tensor?, i: lt_tensor?
        if lt_max_dim(handle, Int64(dim), keepDim ? 1 : 0, isMin ? 1 : 0, &v, &i) != 0 {
            reportFailure()
            return (Tensor(handle: lt_undefined()), Tensor(handle: lt_undefined()))
        }
        return (Tensor(handle: v!), Tensor(handle: i!))
    }
}

// MARK: - Long-tail ops through the dispatcher
extension Tensor {
    /// The `k` largest (or smallest) elements along `dim`, sorted, and their indices.
    public func topk(_ k: Int, dim: Int = -1, largest: Bool = true, sorted: Bool = true) -> (values: Tensor, indices: Tensor) {
        let r = Ops.call("aten::topk", [.tensor(self), .int(k), .int(dim), .bool(largest), .bool(sorted)])
        return (r.tensor(0), r.tensor(1))
    }
    /// Sorted values along `dim` and the permutation that sorts them.
    public func sort(dim: Int = -1, descending: Bool = false) -> (values: Tensor, indices: Tensor) {
        let r = Ops.call("aten::sort", [.tensor(self), .int(dim), .bool(descending)])
        return (r.tensor(0), r.tensor(1))
    }
    /// Cumulative sum along `dim`.
    public func cumsum(dim: Int) -> Tensor { Ops.call("aten::cumsum", [.tensor(self), .int(dim)]).tensor(0) }
    /// The p-norm over `dims` (all when empty), `torch.linalg.vector_norm`.
    public func norm(p: Double = 2, dims: [Int] = [], keepDim: Bool = false) -> Tensor {
        Ops.call("aten::linalg_vector_norm", [.tensor(self), .double(p), dims.isEmpty ? .none : .ints(dims), .bool(keepDim)]).tensor(0)
    }
    /// x / max(‖x‖ₚ, eps) along `dim` (`F.normalize`).
    public func normalized(p: Double = 2, dim: Int = 1, eps: Double = 1e-12) -> Tensor {
        let n = norm(p: p, dims: [dim], keepDim: true).clamp(min: eps)
        return self / n.expand(as: self)
    }
    /// Cosine similarity with `other` along `dim` (`F.cosine_similarity`).
    public func cosineSimilarity(_ other: Tensor, dim: Int = 1, eps: Double = 1e-8) -> Tensor {
        Ops.call("aten::cosine_similarity", [.tensor(self), .tensor(other), .int(dim), .double(eps)]).tensor(0)
    }
    /// Values gathered along `dim` at `index` (int64, same rank): out[i][j] = self[i][index[i][j]] for dim 1.
    public func gather(dim: Int, index: Tensor) -> Tensor {
        Ops.call("aten::gather", [.tensor(self), .int(dim), .tensor(index)]).tensor(0)
    }
    /// A copy with `source` written along `dim` at `index` (`Tensor.scatter`).
    public func scatter(dim: Int, index: Tensor, source: Tensor) -> Tensor {
        Ops.call("aten::scatter", overload: "src", [.tensor(self), .int(dim), .tensor(index), .tensor(source)]).tensor(0)
    }
    /// A copy with `value` written along `dim` at `index`.
    public func scatter(dim: Int, index: Tensor, value: Double) -> Tensor {
        Ops.call("aten::scatter", overload: "value", [.tensor(self), .int(dim), .tensor(index), .double(value)]).tensor(0)
    }
    /// A copy with `source` added along `dim` at `index`.
    public func scatterAdd(dim: Int, index: Tensor, source: Tensor) -> Tensor {
        Ops.call("aten::scatter_add", [.tensor(self), .int(dim), .tensor(index), .tensor(source)]).tensor(0)
    }
    /// Einstein summation, e.g. `Tensor.einsum("bij,bjk->bik", a, b)`.
    public static func einsum(_ equation: String, _ operands: Tensor...) -> Tensor {
        Ops.call("aten::einsum", [.string(equation), .tensors(operands)]).tensor(0)
    }
    /// True when every element is within `atol + rtol·|other|` of `other` (shapes must broadcast).
    public func allClose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8) -> Bool {
        Ops.call("aten::allclose", [.tensor(self), .tensor(other), .double(rtol), .double(atol)]).bool(0)
    }
}
