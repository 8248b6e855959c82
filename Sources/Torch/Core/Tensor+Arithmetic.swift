internal import CTorch

// Elementwise arithmetic and comparison with broadcasting (PyTorch's rules).
// A Swift `Int` is an integral scalar (an int64 tensor stays int64), a `Double`
// a floating one (an integer tensor promotes to float32, as in PyTorch).

func binary(_ op: lt_binary_op, _ a: Tensor, _ b: Tensor, alpha: Double = 1) -> Tensor {
    tensorCall { lt_binary(Int32(op.rawValue), a.handle, b.handle, alpha, $0) }
}
func binary(_ op: lt_binary_op, _ a: Tensor, _ s: Double) -> Tensor {
    tensorCall { lt_binary_scalar(Int32(op.rawValue), a.handle, s, 0, 0, $0) }
}
func binary(_ op: lt_binary_op, _ a: Tensor, _ s: Int) -> Tensor {
    tensorCall { lt_binary_scalar(Int32(op.rawValue), a.handle, 0, Int64(s), 1, $0) }
}
func inPlace(_ op: lt_binary_op, _ a: Tensor, _ b: Tensor, alpha: Double = 1) {
    var unused: lt_tensor?
    statusCall(lt_binary(Int32(op.rawValue), a.handle, b.handle, alpha, &unused))
}
func inPlace(_ op: lt_binary_op, _ a: Tensor, _ s: Double) {
    var unused: lt_tensor?
    statusCall(lt_binary_scalar(Int32(op.rawValue), a.handle, s, 0, 0, &unused))
}

extension Tensor {
    /// Elementwise sum `a + b`, broadcast; the result dtype follows PyTorch's type promotion.
    public static func + (a: Tensor, b: Tensor) -> Tensor { binary(LT_ADD, a, b) }
    /// Elementwise difference `a - b`, broadcast; the result dtype follows PyTorch's type promotion.
    public static func - (a: Tensor, b: Tensor) -> Tensor { binary(LT_SUB, a, b) }
    /// Elementwise product `a * b`, broadcast; the result dtype follows PyTorch's type promotion.
    public static func * (a: Tensor, b: Tensor) -> Tensor { binary(LT_MUL, a, b) }
    /// True division: integer tensors give a floating result, as in PyTorch.
    public static func / (a: Tensor, b: Tensor) -> Tensor { binary(LT_DIV, a, b) }
    /// Elementwise negation; same shape and dtype.
    public static prefix func - (a: Tensor) -> Tensor { unary(LT_NEG, a) }

    /// Adds a floating scalar to every element; an integer tensor promotes to float32.
    public static func + (a: Tensor, s: Double) -> Tensor { binary(LT_ADD, a, s) }
    /// Subtracts a floating scalar from every element; an integer tensor promotes to float32.
    public static func - (a: Tensor, s: Double) -> Tensor { binary(LT_SUB, a, s) }
    /// Multiplies every element by a floating scalar; an integer tensor promotes to float32.
    public static func * (a: Tensor, s: Double) -> Tensor { binary(LT_MUL, a, s) }
    /// Divides every element by a floating scalar; the result is floating.
    public static func / (a: Tensor, s: Double) -> Tensor { binary(LT_DIV, a, s) }
    /// Adds a floating scalar to every element (`s + a`); an integer tensor promotes to float32.
    public static func + (s: Double, a: Tensor) -> Tensor { binary(LT_ADD, a, s) }
    /// `s - a` elementwise (`torch.rsub`); an integer tensor promotes to float32.
    public static func - (s: Double, a: Tensor) -> Tensor { binary(LT_RSUB, a, s) }
    /// Multiplies every element by a floating scalar (`s * a`); an integer tensor promotes to float32.
    public static func * (s: Double, a: Tensor) -> Tensor { binary(LT_MUL, a, s) }
    /// `s / a` elementwise; the result is floating.
    public static func / (s: Double, a: Tensor) -> Tensor { binary(LT_RDIV, a, s) }

    /// Adds an integral scalar to every element; the tensor keeps its dtype (a bool tensor gives int64).
    public static func + (a: Tensor, s: Int) -> Tensor { binary(LT_ADD, a, s) }
    /// Subtracts an integral scalar from every element; the tensor keeps its dtype (a bool tensor gives int64).
    public static func - (a: Tensor, s: Int) -> Tensor { binary(LT_SUB, a, s) }
    /// Multiplies every element by an integral scalar; the tensor keeps its dtype (a bool tensor gives int64).
    public static func * (a: Tensor, s: Int) -> Tensor { binary(LT_MUL, a, s) }
    /// Divides every element by an integral scalar (true division: an integer tensor gives float32).
    public static func / (a: Tensor, s: Int) -> Tensor { binary(LT_DIV, a, s) }
    /// Adds an integral scalar to every element (`s + a`); the tensor keeps its dtype (a bool tensor gives int64).
    public static func + (s: Int, a: Tensor) -> Tensor { binary(LT_ADD, a, s) }
    /// `s - a` elementwise with an integral scalar; the tensor keeps its dtype (a bool tensor gives int64).
    public static func - (s: Int, a: Tensor) -> Tensor { binary(LT_RSUB, a, s) }
    /// Multiplies every element by an integral scalar (`s * a`); the tensor keeps its dtype (a bool tensor gives int64).
    public static func * (s: Int, a: Tensor) -> Tensor { binary(LT_MUL, a, s) }

    /// In-place `a += b` (the same storage; autograd records it).
    public static func += (a: Tensor, b: Tensor) { inPlace(LT_ADD_, a, b) }
    /// In-place `a -= b` (`b` broadcast to `a`'s shape; autograd records it).
    public static func -= (a: Tensor, b: Tensor) { inPlace(LT_SUB_, a, b) }
    /// In-place `a *= b` (`b` broadcast to `a`'s shape; autograd records it).
    public static func *= (a: Tensor, b: Tensor) { inPlace(LT_MUL_, a, b) }
    /// In-place `a /= b` (`b` broadcast to `a`'s shape; fails on an integer `a`, whose dtype cannot hold the quotient).
    public static func /= (a: Tensor, b: Tensor) { inPlace(LT_DIV_, a, b) }
    /// In-place `a += s` with a floating scalar.
    public static func += (a: Tensor, s: Double) { inPlace(LT_ADD_, a, s) }
    /// In-place `a -= s` with a floating scalar.
    public static func -= (a: Tensor, s: Double) { inPlace(LT_SUB_, a, s) }
    /// In-place `a *= s` with a floating scalar.
    public static func *= (a: Tensor, s: Double) { inPlace(LT_MUL_, a, s) }
    /// In-place `a /= s` with a floating scalar.
    public static func /= (a: Tensor, s: Double) { inPlace(LT_DIV_, a, s) }

    /// Elementwise power `self ** exponent`.
    public func pow(_ exponent: Double) -> Tensor { binary(LT_POW, self, exponent) }
    /// Elementwise power `self ** exponent` with a tensor exponent, broadcast.
    public func pow(_ exponent: Tensor) -> Tensor { binary(LT_POW, self, exponent) }
    /// Elementwise remainder with the sign of the divisor (`torch.remainder`, Python's `%`), broadcast.
    public func remainder(_ other: Tensor) -> Tensor { binary(LT_REMAINDER, self, other) }
    /// Elementwise division rounded toward negative infinity (`torch.floor_divide`, Python's `//`), broadcast.
    public func floorDivide(_ other: Tensor) -> Tensor { binary(LT_FLOOR_DIVIDE, self, other) }
    /// Elementwise maximum of two tensors (broadcast).
    public func maximum(_ other: Tensor) -> Tensor { binary(LT_MAXIMUM, self, other) }
    /// Elementwise minimum of two tensors (broadcast).
    public func minimum(_ other: Tensor) -> Tensor { binary(LT_MINIMUM, self, other) }
    /// Elementwise logical AND (nonzero is true), broadcast; gives a bool tensor.
    public func logicalAnd(_ other: Tensor) -> Tensor { binary(LT_LOGICAL_AND, self, other) }
    /// Elementwise logical OR (nonzero is true), broadcast; gives a bool tensor.
    public func logicalOr(_ other: Tensor) -> Tensor { binary(LT_LOGICAL_OR, self, other) }

    /// Matrix product with NumPy broadcasting rules (`torch.matmul`).
    /// (…, n, k) × (…, k, m) → (…, n, m); 1-D operands are treated as vectors.
    public func matmul(_ other: Tensor) -> Tensor { binary(LT_MATMUL, self, other) }
    /// Batched matrix product: (B, n, k) × (B, k, m) → (B, n, m).
    public func bmm(_ other: Tensor) -> Tensor { binary(LT_BMM, self, other) }

    // MARK: in place (used by optimizers and initializers)

    /// `self + alpha · other` in one op (`torch.add(self, other, alpha=)`).
    public func add(_ other: Tensor, alpha: Double) -> Tensor { binary(LT_ADD, self, other, alpha: alpha) }

    /// `self += alpha * other`, in place.
    public func add_(_ other: Tensor, alpha: Double = 1) { inPlace(LT_ADD_, self, other, alpha: alpha) }
    /// `self *= scalar`, in place.
    public func mul_(_ scalar: Double) { inPlace(LT_MUL_, self, scalar) }
    /// `self *= other`, in place.
    public func mul_(_ other: Tensor) { inPlace(LT_MUL_, self, other) }
    /// `self += scalar`, in place.
    public func add_(_ scalar: Double) { inPlace(LT_ADD_, self, scalar) }
    /// `self += value * t1 * t2`, in place.
    public func addcmul_(_ t1: Tensor, _ t2: Tensor, value: Double = 1) { statusCall(lt_addcmul_(handle, t1.handle, t2.handle, value)) }
    /// `self += value * t1 / t2`, in place.
    public func addcdiv_(_ t1: Tensor, _ t2: Tensor, value: Double = 1) { statusCall(lt_addcdiv_(handle, t1.handle, t2.handle, value)) }
    /// `self += weight * (end - self)`, in place.
    public func lerp_(_ end: Tensor, weight: Double) { statusCall(lt_lerp_(handle, end.handle, weight)) }
    /// Copies `source` (broadcast) into this tensor's storage.
    public func copy_(_ source: Tensor) { inPlace(LT_COPY_, self, source) }
    /// Sets every element to `value`.
    public func fill_(_ value: Double) { inPlace(LT_FILL_, self, value) }
    /// Sets every element to zero.
    public func zero_() { var unused: lt_tensor?; statusCall(lt_unary(Int32(LT_ZERO_.rawValue), handle, &unused)) }
    /// Square root in place.
    public func sqrt_() { var unused: lt_tensor?; statusCall(lt_unary(Int32(LT_SQRT_.rawValue), handle, &unused)) }
    /// `self = max(self, other)` elementwise, in place.
    public func maximum_(_ other: Tensor) { inPlace(LT_MAXIMUM_OUT_A, self, other) }
    /// Fills with samples of U(from, to) from the global generator.
    public func uniform_(_ from: Double, _ to: Double) { statusCall(lt_uniform_(handle, from, to)) }
    /// Fills with samples of N(mean, std²) from the global generator.
    public func normal_(mean: Double = 0, std: Double = 1) { statusCall(lt_normal_(handle, mean, std)) }
}

// MARK: comparisons (elementwise, giving bool tensors; `==` is kept for identity-free Equatable use)
infix operator .== : ComparisonPrecedence
infix operator .!= : ComparisonPrecedence
infix operator .< : ComparisonPrecedence
infix operator .<= : ComparisonPrecedence
infix operator .> : ComparisonPrecedence
infix operator .>= : ComparisonPrecedence

extension Tensor {
    /// Elementwise `a == b`, broadcast; gives a bool tensor.
    public static func .== (a: Tensor, b: Tensor) -> Tensor { binary(LT_EQ, a, b) }
    /// Elementwise `a != b`, broadcast; gives a bool tensor.
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { binary(LT_NE, a, b) }
    /// Elementwise `a < b`, broadcast; gives a bool tensor.
    public static func .< (a: Tensor, b: Tensor) -> Tensor { binary(LT_LT, a, b) }
    /// Elementwise `a <= b`, broadcast; gives a bool tensor.
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { binary(LT_LE, a, b) }
    /// Elementwise `a > b`, broadcast; gives a bool tensor.
    public static func .> (a: Tensor, b: Tensor) -> Tensor { binary(LT_GT, a, b) }
    /// Elementwise `a >= b`, broadcast; gives a bool tensor.
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { binary(LT_GE, a, b) }
    /// Elementwise `a == s` against a floating scalar; gives a bool tensor of `a`'s shape.
    public static func .== (a: Tensor, s: Double) -> Tensor { binary(LT_EQ, a, s) }
    /// Elementwise `a != s` against a floating scalar; gives a bool tensor of `a`'s shape.
    public static func .!= (a: Tensor, s: Double) -> Tensor { binary(LT_NE, a, s) }
    /// Elementwise `a < s` against a floating scalar; gives a bool tensor of `a`'s shape.
    public static func .< (a: Tensor, s: Double) -> Tensor { binary(LT_LT, a, s) }
    /// Elementwise `a <= s` against a floating scalar; gives a bool tensor of `a`'s shape.
    public static func .<= (a: Tensor, s: Double) -> Tensor { binary(LT_LE, a, s) }
    /// Elementwise `a > s` against a floating scalar; gives a bool tensor of `a`'s shape.
    public static func .> (a: Tensor, s: Double) -> Tensor { binary(LT_GT, a, s) }
    /// Elementwise `a >= s` against a floating scalar; gives a bool tensor of `a`'s shape.
    public static func .>= (a: Tensor, s: Double) -> Tensor { binary(LT_GE, a, s) }
    /// Elementwise `a == s` against an integral scalar; gives a bool tensor of `a`'s shape.
    public static func .== (a: Tensor, s: Int) -> Tensor { binary(LT_EQ, a, s) }
    /// Elementwise `a != s` against an integral scalar; gives a bool tensor of `a`'s shape.
    public static func .!= (a: Tensor, s: Int) -> Tensor { binary(LT_NE, a, s) }
}
