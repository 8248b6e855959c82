internal import CTorch

/// One component of a subscript: `x[0]`, `x[1..<3]`, `x[.all, 2...]`, `x[.ellipsis, 0]`,
/// `x[.newAxis]`, `x[.stride(from: 0, to: 8, by: 2)]`, `x[indexTensor]`.
/// Negative integers count from the end, as in Python.
public struct TensorIndex {
    enum Kind {
        case index(Int)
        case range(start: Int?, end: Int?, step: Int)
        case all
        case newAxis
        case ellipsis
        /// int64 indices along the dimension, or a bool mask over the whole tensor.
        case tensor(Tensor)
    }
    let kind: Kind
}

extension TensorIndexConvertible where Self == TensorIndex {
    /// Every element of the dimension (Python's `:`).
    public static var all: TensorIndex { TensorIndex(kind: .all) }
    /// A new dimension of size 1 (Python's `None`).
    public static var newAxis: TensorIndex { TensorIndex(kind: .newAxis) }
    /// As many `.all` as needed to cover the remaining dimensions (Python's `...`).
    public static var ellipsis: TensorIndex { TensorIndex(kind: .ellipsis) }
    /// Elements `start..<end` every `step` (Python's `start:end:step`).
    public static func stride(from start: Int? = nil, to end: Int? = nil, by step: Int) -> TensorIndex {
        TensorIndex(kind: .range(start: start, end: end, step: step))
    }
}

/// A value usable inside a tensor subscript.
public protocol TensorIndexConvertible { var tensorIndex: TensorIndex { get } }
extension TensorIndex: TensorIndexConvertible { public var tensorIndex: TensorIndex { self } }
extension Int: TensorIndexConvertible { public var tensorIndex: TensorIndex { TensorIndex(kind: .index(self)) } }
extension Range<Int>: TensorIndexConvertible { public var tensorIndex: TensorIndex { TensorIndex(kind: .range(start: lowerBound, end: upperBound, step: 1)) } }
extension ClosedRange<Int>: TensorIndexConvertible {
    /// Elements `lowerBound` through `upperBound`; an upper bound of -1 means through the last element.
    public var tensorIndex: TensorIndex { TensorIndex(kind: .range(start: lowerBound, end: upperBound == -1 ? nil : upperBound + 1, step: 1)) }
}
extension PartialRangeFrom<Int>: TensorIndexConvertible { public var tensorIndex: TensorIndex { TensorIndex(kind: .range(start: lowerBound, end: nil, step: 1)) } }
extension PartialRangeUpTo<Int>: TensorIndexConvertible { public var tensorIndex: TensorIndex { TensorIndex(kind: .range(start: nil, end: upperBound, step: 1)) } }
extension PartialRangeThrough<Int>: TensorIndexConvertible {
    /// Elements up to and including `upperBound`; an upper bound of -1 means through the last element.
    public var tensorIndex: TensorIndex { TensorIndex(kind: .range(start: nil, end: upperBound == -1 ? nil : upperBound + 1, step: 1)) }
}
extension Tensor: TensorIndexConvertible { public var tensorIndex: TensorIndex { TensorIndex(kind: .tensor(self)) } }

extension Tensor {
    /// Basic and advanced indexing, as in PyTorch. Integer and range results are views.
    public subscript(_ indices: any TensorIndexConvertible...) -> Tensor {
        get { index(indices.map(\.tensorIndex)) }
        set { index(indices.map(\.tensorIndex)).copy_(newValue) }
    }

    func index(_ indices: [TensorIndex]) -> Tensor {
        let items = indices.map(\.kind)
        if items.count == 1, case .tensor(let mask) = items[0], mask.dtype == .bool {
            return maskedSelect(mask)
        }
        let consuming = items.filter {
            switch $0 { case .newAxis, .ellipsis: return false; default: return true }
        }.count
        guard consuming <= rank else {
            raise("index: \(consuming) indices for a tensor of \(rank) dimensions (shape \(shape))")
            return Tensor(handle: lt_undefined())
        }
        var result = self
        var dim = 0
        for item in items {
            switch item {
            case .index(let i):
                result = result.select(dim: dim, index: i)
            case .range(let start, let end, let step):
                result = result.slice(dim: dim, start: start ?? 0, end: end ?? Int(Int64.max), step: step)
                dim += 1
            case .all:
                dim += 1
            case .newAxis:
                result = result.unsqueeze(dim)
                dim += 1
            case .ellipsis:
                dim += rank - consuming
            case .tensor(let t):
                result = result.indexSelect(dim: dim, index: t.rank == 0 ? t.reshape(1) : t)
                dim += 1
            }
        }
        return result
    }
}
