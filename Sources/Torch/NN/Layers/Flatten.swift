/// Merges dimensions `start...end` (default: all but the batch dimension).
public final class Flatten: Module, Layer {
    public let start: Int, end: Int
    public init(start: Int = 1, end: Int = -1) { self.start = start; self.end = end }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.flatten(start: start, end: end) }
}
