internal import CTorch

// Views and reshaping. Views share storage with their base, as in PyTorch.
extension Tensor {
    /// The same elements in a new shape; one dimension may be -1 (inferred).
    /// A view when the strides allow, else a copy.
    public func reshape(_ shape: [Int]) -> Tensor {
        let s = shape.map(Int64.init)
        return tensorCall { lt_reshape(handle, s, Int64(s.count), 0, $0) }
    }
    /// `reshape(_:)` with the sizes as variadic arguments: `x.reshape(2, -1)`.
    public func reshape(_ shape: Int...) -> Tensor { reshape(shape) }

    /// A view in a new shape; fails when the strides do not allow one (use `reshape`).
    public func view(_ shape: [Int]) -> Tensor {
        let s = shape.map(Int64.init)
        return tensorCall { lt_reshape(handle, s, Int64(s.count), 1, $0) }
    }
    /// `view(_:)` with the sizes as variadic arguments: `x.view(2, -1)`.
    public func view(_ shape: Int...) -> Tensor { view(shape) }

    /// Dimensions `start...end` merged into one.
    public func flatten(start: Int = 0, end: Int = -1) -> Tensor {
        tensorCall { lt_flatten(handle, Int64(start), Int64(end), $0) }
    }
    /// Removes dimension `dim` if its size is 1, or every size-1 dimension when nil.
    public func squeeze(_ dim: Int? = nil) -> Tensor {
        tensorCall { lt_squeeze(handle, Int64(dim ?? 0), dim == nil ? 1 : 0, $0) }
    }
    /// Inserts a dimension of size 1 at `dim`.
    public func unsqueeze(_ dim: Int) -> Tensor { tensorCall { lt_unsqueeze(handle, Int64(dim), $0) } }
    /// Reorders dimensions: result dimension i is input dimension `dims[i]`.
    public func permute(_ dims: [Int]) -> Tensor {
        let d = dims.map(Int64.init)
        return tensorCall { lt_permute(handle, d, Int64(d.count), $0) }
    }
    /// `permute(_:)` with the dimensions as variadic arguments: `x.permute(0, 2, 1)`.
    public func permute(_ dims: Int...) -> Tensor { permute(dims) }
    /// Swaps two dimensions.
    public func transposed(_ d0: Int, _ d1: Int) -> Tensor { tensorCall { lt_transpose(handle, Int64(d0), Int64(d1), $0) } }
    /// The transpose of a matrix (≤ 2 dimensions).
    public var T: Tensor { unary(LT_T, self) }
    /// The same values in contiguous row-major memory (self when already so).
    public func contiguous() -> Tensor { unary(LT_CONTIGUOUS, self) }
    /// A copy with its own storage (autograd records it).
    public func clone() -> Tensor { unary(LT_CLONE, self) }
    /// Size-1 dimensions repeated (without copying) to `shape`; -1 keeps a size.
    public func expand(_ shape: [Int]) -> Tensor {
        let s = shape.map(Int64.init)
        return tensorCall { lt_expand(handle, s, Int64(s.count), $0) }
    }
    /// Expands to `other`'s shape (a view, no copy); fails unless this shape broadcasts to it.
    public func expand(as other: Tensor) -> Tensor { expand(other.shape) }

    /// Elements `start..<end` (step `step`) of dimension `dim`, as a view.
    public func slice(dim: Int, start: Int, end: Int, step: Int = 1) -> Tensor {
        tensorCall { lt_slice(handle, Int64(dim), Int64(start), Int64(end), Int64(step), $0) }
    }
    /// Index `index` of dimension `dim`, which is removed (a view).
    public func select(dim: Int, index: Int) -> Tensor {
        tensorCall { lt_select(handle, Int64(dim), Int64(index), $0) }
    }
    /// Entries `index` (1-D int64) along `dim`, copied.
    public func indexSelect(dim: Int, index: Tensor) -> Tensor {
        tensorCall { lt_index_select(handle, Int64(dim), index.handle, $0) }
    }
    /// The elements where the bool `mask` is true, as a 1-D tensor.
    public func maskedSelect(_ mask: Tensor) -> Tensor { tensorCall { lt_index_bool(handle, mask.handle, $0) } }

    /// Tensors joined along an existing dimension.
    public static func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor { join(tensors, dim, stack: false) }
    /// Tensors of one shape joined along a new dimension.
    public static func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor { join(tensors, dim, stack: true) }

    private static func join(_ tensors: [Tensor], _ dim: Int, stack: Bool) -> Tensor {
        let handles: [lt_tensor?] = tensors.map { $0.handle }
        return tensorCall { out in
            handles.withUnsafeBufferPointer { lt_cat($0.baseAddress, Int64(tensors.count), Int64(dim), stack ? 1 : 0, out) }
        }
    }

    /// Views of `size` elements along `dim` (the last may be smaller).
    public func split(size: Int, dim: Int = 0) -> [Tensor] {
        let n = self.size(dim)
        guard size > 0 else { raise("split(size:): size must be positive, got \(size)"); return [] }
        return Swift.stride(from: 0, to: n, by: size).map { slice(dim: dim, start: $0, end: Swift.min($0 + size, n)) }
    }
    /// Views of the given sizes along `dim`; the sizes must add up to the dimension.
    public func split(sizes: [Int], dim: Int = 0) -> [Tensor] {
        let n = self.size(dim)
        guard sizes.reduce(0, +) == n else {
            raise("split(sizes:): sizes \(sizes) add up to \(sizes.reduce(0, +)), but dimension \(dim) has \(n)")
            return []
        }
        var start = 0
        return sizes.map { s in defer { start += s }; return slice(dim: dim, start: start, end: start + s) }
    }
    /// `chunks` views of (nearly) equal size along `dim`, as `torch.chunk`.
    public func chunk(_ chunks: Int, dim: Int = 0) -> [Tensor] {
        let n = self.size(dim)
        guard chunks > 0 else { raise("chunk: chunks must be positive, got \(chunks)"); return [] }
        return split(size: Swift.max(1, (n + chunks - 1) / chunks), dim: dim)
    }
}
