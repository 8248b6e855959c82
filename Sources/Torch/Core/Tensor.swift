internal import CTorch
import Foundation

/// An n-dimensional array on libtorch, with autograd.
///
/// A `Tensor` owns one reference to a libtorch tensor and releases it in `deinit`.
/// Views (`reshape`, slicing, `transposed` …) share storage with their base, as in
/// PyTorch. Operations never throw; see ``withError(_:)`` for how failures surface.
/// Tensors may be passed between threads; in-place operations are not synchronized.
public final class Tensor: @unchecked Sendable {
    let handle: lt_tensor

    init(handle: lt_tensor) { self.handle = handle }

    deinit { lt_free(handle) }

    /// Whether this tensor holds data (false only for the result of a failed operation).
    public var isDefined: Bool { lt_defined(handle) != 0 }

    /// The size of each dimension.
    public var shape: [Int] {
        let n = Int(lt_dim(handle))
        if n == 0 { return [] }
        var sizes = [Int64](repeating: 0, count: n)
        _ = lt_sizes(handle, &sizes)
        return sizes.map(Int.init)
    }

    /// The size of dimension `dim` (negative counts from the end).
    public func size(_ dim: Int) -> Int {
        let s = shape
        return s[dim < 0 ? dim + s.count : dim]
    }

    /// Element strides of each dimension.
    public var strides: [Int] {
        let n = Int(lt_dim(handle))
        if n == 0 { return [] }
        var out = [Int64](repeating: 0, count: n)
        _ = lt_strides(handle, &out)
        return out.map(Int.init)
    }

    /// Number of dimensions.
    public var rank: Int { Int(lt_dim(handle)) }
    /// Number of elements.
    public var count: Int { Int(lt_numel(handle)) }
    /// The element type.
    public var dtype: DType { DType(rawValue: lt_dtype(handle)) ?? .float32 }
    /// Where the storage lives.
    public var device: Device { lt_device_type(handle) == 1 ? .cuda(Int(lt_device_index(handle))) : .cpu }
    /// True when the elements lie in row-major order without gaps, as in a fresh tensor of this shape.
    public var isContiguous: Bool { lt_is_contiguous(handle) != 0 }
}

// MARK: - Calling the shim


func tensorCall(_ body: (UnsafeMutablePointer<lt_tensor?>) -> lt_status) -> Tensor {
    var out: lt_tensor?
    let status = body(&out)
    if status != 0 || out == nil {
        if status != 0 { reportFailure() }
        return Tensor(handle: lt_undefined())
    }
    return Tensor(handle: out!)
}


func statusCall(_ status: lt_status) {
    if status != 0 { reportFailure() }
}

extension Tensor: CustomStringConvertible {
    /// torch's own printout of the values, followed by the dtype and shape.
    public var description: String {
        guard isDefined else { return "Tensor(undefined)" }
        var text: UnsafeMutablePointer<CChar>?
        guard lt_to_string(handle, &text) == 0, let text else { return "Tensor(\(shape), \(dtype))" }
        defer { free(text) }
        return String(cString: text)
    }
}
