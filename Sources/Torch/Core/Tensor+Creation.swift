internal import CTorch
import Foundation

extension Tensor {
    /// A tensor holding a copy of `values`, laid out row-major in `shape`.
    ///
    /// - Parameters:
    ///   - values: the elements; their count must equal the product of `shape`.
    ///   - shape: the dimensions; `nil` makes a 1-D tensor of `values.count` elements.
    ///   - dtype: convert to this dtype after copying (default: the element type's).
    ///   - device: where the tensor lives (default: the CPU).
    public convenience init<T: TensorElement>(_ values: [T], shape: [Int]? = nil, dtype: DType? = nil, device: Device = .cpu) {
        Runtime.ensureConfigured()
        let shape = shape ?? [values.count]
        let expected = shape.reduce(1, *)
        guard expected == values.count, shape.allSatisfy({ $0 >= 0 }) else {
            raise("Tensor(_:shape:): \(values.count) values do not fill shape \(shape) (\(expected) elements)")
            self.init(handle: lt_undefined())
            return
        }
        let dims = shape.map(Int64.init)
        var out: lt_tensor?
        // Every TensorElement has its dtype's layout (Int is 64-bit wherever Swift runs here, as Int64).
        let status = values.withUnsafeBytes { lt_from_data($0.baseAddress, dims, Int64(dims.count), T.dtype.rawValue, &out) }
        guard status == 0, var handle = out else {
            reportFailure()
            self.init(handle: lt_undefined())
            return
        }
        let (dev, idx) = device.code
        if (dtype != nil && dtype! != T.dtype) || device != .cpu {
            var converted: lt_tensor?
            if lt_to(handle, (dtype ?? T.dtype).rawValue, dev, idx, 0, &converted) == 0, let c = converted {
                lt_free(handle)
                handle = c
            } else {
                reportFailure()
            }
        }
        self.init(handle: handle)
    }

    /// A tensor holding a copy of the bytes in `buffer`, read as row-major elements of `dtype`.
    ///
    /// - Parameters:
    ///   - buffer: exactly `shape.product × dtype.byteSize` bytes, in the machine's byte order.
    ///   - shape: the dimensions.
    ///   - dtype: how to read the bytes.
    public convenience init(buffer: UnsafeRawBufferPointer, shape: [Int], dtype: DType) {
        Runtime.ensureConfigured()
        let expected = shape.reduce(1, *) * dtype.byteSize
        guard buffer.count == expected, shape.allSatisfy({ $0 >= 0 }) else {
            raise("Tensor(buffer:shape:dtype:): \(buffer.count) bytes do not fill shape \(shape) of \(dtype) (\(expected) bytes)")
            self.init(handle: lt_undefined())
            return
        }
        let dims = shape.map(Int64.init)
        var out: lt_tensor?
        guard lt_from_data(buffer.baseAddress, dims, Int64(dims.count), dtype.rawValue, &out) == 0, let out else {
            reportFailure()
            self.init(handle: lt_undefined())
            return
        }
        self.init(handle: out)
    }

    /// A 0-dimensional tensor holding `value`.
    public convenience init<T: TensorElement>(_ value: T, dtype: DType? = nil, device: Device = .cpu) {
        let t = Tensor([value], shape: [], dtype: dtype, device: device)
        self.init(handle: lt_to_handle_copy(t))
    }

    /// Uninitialized memory of the given shape.
    public static func empty(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        Runtime.ensureConfigured()
        let (d, i) = device.code
        return tensorCall { lt_empty(shape.map(Int64.init), Int64(shape.count), dtype.rawValue, d, i, $0) }
    }

    /// A tensor of `shape` with every element `value`.
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        Runtime.ensureConfigured()
        let (d, i) = device.code
        return tensorCall { lt_full(shape.map(Int64.init), Int64(shape.count), value, dtype.rawValue, d, i, $0) }
    }

    /// A tensor of zeros of `shape`, float32 on the CPU unless `dtype`/`device` say otherwise.
    public static func zeros(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        full(shape, 0, dtype: dtype, device: device)
    }

    /// A tensor of ones of `shape`, float32 on the CPU unless `dtype`/`device` say otherwise.
    public static func ones(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        full(shape, 1, dtype: dtype, device: device)
    }

    /// Zeros with this tensor's shape, dtype and device.
    public func zerosLike() -> Tensor { Tensor.zeros(shape, dtype: dtype, device: device) }
    /// Ones with this tensor's shape, dtype and device.
    public func onesLike() -> Tensor { Tensor.ones(shape, dtype: dtype, device: device) }

    /// Samples of the standard normal distribution N(0, 1), from the global generator (see ``manualSeed(_:)``).
    public static func randn(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        Runtime.ensureConfigured()
        let (d, i) = device.code
        return tensorCall { lt_randn(shape.map(Int64.init), Int64(shape.count), dtype.rawValue, d, i, $0) }
    }

    /// Samples of the uniform distribution on [0, 1).
    public static func rand(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        Runtime.ensureConfigured()
        let (d, i) = device.code
        return tensorCall { lt_rand(shape.map(Int64.init), Int64(shape.count), dtype.rawValue, d, i, $0) }
    }

    /// Integers drawn uniformly from `low..<high`.
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int], dtype: DType = .int64, device: Device = .cpu) -> Tensor {
        Runtime.ensureConfigured()
        let (d, i) = device.code
        return tensorCall { lt_randint(Int64(low), Int64(high), shape.map(Int64.init), Int64(shape.count), dtype.rawValue, d, i, $0) }
    }

    /// Values from `start` up to (not including) `end` in steps of `step`.
    /// The dtype defaults to int64 when all three are integral, float32 otherwise (as in PyTorch).
    public static func arange(_ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType? = nil, device: Device = .cpu) -> Tensor {
        Runtime.ensureConfigured()
        let integral = start.rounded() == start && end.rounded() == end && step.rounded() == step
        let dt = dtype ?? (integral ? .int64 : .float32)
        let (d, i) = device.code
        return tensorCall { lt_arange(start, end, step, dt.rawValue, d, i, $0) }
    }

    /// Integers `0..<end`.
    public static func arange(_ end: Int, dtype: DType = .int64, device: Device = .cpu) -> Tensor {
        arange(0, Double(end), step: 1, dtype: dtype, device: device)
    }

    /// `steps` evenly spaced values from `start` to `end`, both included.
    public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        Runtime.ensureConfigured()
        let (d, i) = device.code
        return tensorCall { lt_linspace(start, end, Int64(steps), dtype.rawValue, d, i, $0) }
    }

    /// The identity matrix of n rows and m (default n) columns.
    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        Runtime.ensureConfigured()
        let (d, i) = device.code
        return tensorCall { lt_eye(Int64(n), Int64(m ?? n), dtype.rawValue, d, i, $0) }
    }

    // MARK: conversion

    /// This tensor converted to `dtype` (the same tensor when it already has it).
    public func to(_ dtype: DType) -> Tensor {
        let (d, i) = device.code
        return tensorCall { lt_to(handle, dtype.rawValue, d, i, 0, $0) }
    }

    /// This tensor on `device` (the same tensor when it is already there).
    public func to(_ device: Device) -> Tensor {
        let (d, i) = device.code
        return tensorCall { lt_to(handle, -1, d, i, 0, $0) }
    }

    /// This tensor on `device`, copied asynchronously with `nonBlocking` where the copy allows it
    /// (host to GPU from ``pinned()`` memory, GPU to GPU), as `tensor.to(device, non_blocking=True)`:
    /// the call returns once the copy is queued, and kernels on the same stream see it finished.
    /// On the CPU, and from unpinned memory, the copy is synchronous.
    public func to(_ device: Device, nonBlocking: Bool) -> Tensor {
        let (d, i) = device.code
        return tensorCall { lt_to_device(handle, d, i, nonBlocking ? 1 : 0, $0) }
    }

    /// A copy in page-locked host memory (`tensor.pin_memory()`), which the GPU reads directly,
    /// so a ``to(_:nonBlocking:)`` from it overlaps with compute. Fails (as every op: see
    /// ``withError(_:)``) with a libtorch that has no CUDA, where there is nothing to pin for.
    public func pinned() -> Tensor {
        tensorCall { lt_pin_memory(handle, $0) }
    }

    /// Whether the tensor is in page-locked host memory (always false without CUDA).
    public var isPinned: Bool { lt_is_pinned(handle) != 0 }

    /// The elements as a Swift array in row-major order, converted to `T`'s dtype first if needed.
    public func asArray<T: TensorElement>(_ type: T.Type) -> [T] {
        let source = dtype == T.dtype ? self : to(T.dtype)
        let n = source.count
        guard source.isDefined, n > 0 else { return [] }
        let result = [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            let status = lt_copy_to_buffer(source.handle, buffer.baseAddress, Int64(n * MemoryLayout<T>.stride))
            if status != 0 { reportFailure(); initialized = 0; return }
            initialized = n
        }
        return result
    }

    /// The value of a one-element tensor as a `Double` (NaN after a recorded failure).
    public func item() -> Double {
        var out = Double.nan
        statusCall(lt_item_double(handle, &out))
        return out
    }

    /// The value of a one-element tensor converted to `T` (zero after a recorded failure).
    public func item<T: TensorElement>(_ type: T.Type) -> T {
        guard count == 1 else {
            raise("item(): a tensor of shape \(shape) has \(count) elements; item() needs exactly one")
            return (0 as Int).converted(to: T.self)
        }
        return asArray(T.self).first ?? (0 as Int).converted(to: T.self)
    }
}

func lt_to_handle_copy(_ t: Tensor) -> lt_tensor {
    var out: lt_tensor?
    // A new reference to the same tensor: cheap, shares storage.
    if lt_unary(Int32(LT_DETACH.rawValue), t.handle, &out) == 0, let out {
        let grad = lt_requires_grad(t.handle)
        if grad != 0 { _ = lt_set_requires_grad(out, 1) }
        return out
    }
    return lt_undefined()
}

extension Int {
    func converted<T: TensorElement>(to: T.Type) -> T {
        switch T.self {
        case is Float.Type: return Float(self) as! T
        case is Double.Type: return Double(self) as! T
        case is Int64.Type: return Int64(self) as! T
        case is Int.Type: return self as! T
        case is Int32.Type: return Int32(self) as! T
        case is Int16.Type: return Int16(self) as! T
        case is Int8.Type: return Int8(self) as! T
        case is UInt8.Type: return UInt8(self) as! T
        case is Bool.Type: return (self != 0) as! T
        default: fatalError("unsupported element type \(T.self)")
        }
    }
}
