/// Zeroes elements with probability `p` in training mode; the identity in evaluation mode.
public final class Dropout: Module, Layer {
    public let p: Double
    public init(_ p: Double = 0.5) { self.p = p }
    public func callAsFunction(_ x: Tensor) -> Tensor { F.dropout(x, p: p, training: isTraining) }
}
