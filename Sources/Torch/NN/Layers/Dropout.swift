/// Zeroes elements with probability `p` in training mode; the identity in evaluation mode.
public final class Dropout: Module, Layer {
    /// The probability of zeroing each element, in [0, 1].
    public let p: Double
    /// A dropout layer zeroing with probability `p` (PyTorch's default 0.5).
    public init(_ p: Double = 0.5) { self.p = p }
    /// In training mode, zeroes each element with probability `p` and scales the rest by 1/(1−p); in evaluation mode, returns `x`. Same shape.
    public func callAsFunction(_ x: Tensor) -> Tensor { F.dropout(x, p: p, training: isTraining) }
}
