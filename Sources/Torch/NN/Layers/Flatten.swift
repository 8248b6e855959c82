/// Merges dimensions `start...end` (default: all but the batch dimension).
public final class Flatten: Module, Layer {
    /// The first and last dimensions merged (negative counts from the end).
    public let start: Int, end: Int
    /// A layer merging dimensions `start...end`; the defaults give (N, …) → (N, product of the rest).
    public init(start: Int = 1, end: Int = -1) { self.start = start; self.end = end }
    /// Merges dimensions `start...end` of `x` into one (a view when the strides allow).
    public func callAsFunction(_ x: Tensor) -> Tensor { x.flatten(start: start, end: end) }
}
