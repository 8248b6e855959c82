internal import CTorch

/// One component of a subscript: `x[0]`, `x[1..<3]`, `x[.all, 2...]`, `x[.ellipsis, 0]`,
/// `x[.newAxis]`, `x[.stride(from: 0, to: 8, by: 2)]`, `x[indexTensor]`.
/// Negative integers count from the end, as in Python.
public enum TensorIndex {
    case index(Int)
    case range(start: Int?, end: Int?, step: Int)
    case all
    case newAxis
    case ellipsis
    /// int64 indices along the dimension, or a bool mask over the whole tensor.
    case tensor(Tensor)

    public static func stride(from start: Int? = nil, to end: Int? = nil, by step: Int) -> TensorIndex {
        .range(start: start, end: end, step: step)
    }
}

/// A value usable inside a tensor subscript.
public protocol TensorIndexConvertible { var tensorIndex: TensorIndex { get } }
extension TensorIndex: TensorIndexConvertible { public var tensorIndex: TensorIndex { self } }
extension Int: TensorIndexConvertible { public var tensorIndex: TensorIndex { .index(self) } }
extension Range<Int>: TensorIndexConvertible { public var tensorIndex: TensorIndex { .range(start: lowerBound, end: upperBound, step: 1) } }
extension ClosedRange<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .range(start: lowerBound, end: upperBound == -1 ? nil : upperBound + 1, step: 1) }
}
extension PartialRangeFrom<Int>: TensorIndexConvertible { public var tensorIndex: TensorIndex { .range(start: lowerBound, end: nil, step: 1) } }
extension PartialRangeUpTo<Int>: TensorIndexConvertible { public var tensorIndex: TensorIndex { .range(start: nil, end: upperBound, step: 1) } }
extension PartialRangeThrough<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .range(start: nil, end: upperBound == -1 ? nil : upperBound + 1, step: 1) }
}
extension Tensor: TensorIndexConvertible { public var tensorIndex: TensorIndex { .tensor(self) } }

extension Tensor {
    /// Basic and advanced indexing, as in PyTorch. Integer and range results are views.
    public subscript(_ indices: any TensorIndexConvertible...) -> Tensor {
        get { index(indices.map(\.tensorIndex)) }
        set { index(indices.map(\.tensorIndex)).copy_(newValue) }
    }

    func index(_ items: [TensorIndex]) -> Tensor {
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
