internal import CTorch
import Foundation

/// Process-wide settings of the engine: threads, seeding, determinism, versions.
public enum Runtime {
    /// Sets libtorch's intra-op thread count (which also sets OpenMP's and MKL's) once,
    /// before the first tensor is made. The count is `LAB_NUM_THREADS`, else
    /// `OMP_NUM_THREADS`, else libtorch's own default (the number of physical cores).
    /// Inter-op threads keep libtorch's default. Call ``setThreads(_:)`` before any
    /// tensor exists to choose another count from code.
    static func ensureConfigured() { _ = configured }

    private static let configured: Bool = {
        let env = ProcessInfo.processInfo.environment
        let requested = (env["LAB_NUM_THREADS"] ?? env["OMP_NUM_THREADS"]).flatMap { Int32($0) }
        let threads = requested ?? lt_get_num_threads()
        _ = lt_set_num_threads(max(1, threads), 0)
        return true
    }()

    /// Sets the intra-op thread count (OpenMP and MKL follow). Call once, at start.
    public static func setThreads(_ count: Int) {
        ensureConfigured()
        statusCall(lt_set_num_threads(Int32(max(1, count)), 0))
    }

    /// libtorch's intra-op thread count.
    public static var threads: Int { ensureConfigured(); return Int(lt_get_num_threads()) }
    /// libtorch's inter-op thread count.
    public static var interopThreads: Int { Int(lt_get_num_interop_threads()) }
    /// The linked libtorch's version, e.g. "2.13.0".
    public static var libtorchVersion: String { String(cString: lt_version()) }
    /// libtorch's description of its thread pools and math libraries (`torch.__config__.parallel_info()`).
    public static var parallelInfo: String { String(cString: lt_parallel_info()) }
    /// The number of CUDA devices (0 with a CPU-only libtorch).
    public static var cudaDeviceCount: Int { Int(lt_cuda_device_count()) }
    /// Whether the linked libtorch was built with CUDA (whether or not a GPU is present).
    public static var isCUDABuild: Bool { lt_cuda_has_cuda() != 0 }
    /// Whether CUDA can be used: the linked libtorch was built with it and a device is present
    /// (`torch.cuda.is_available()`).
    public static var isCUDAAvailable: Bool { lt_cuda_is_available() != 0 }
    /// The device to compute on when none is named: `cuda:0` where CUDA is available, else the CPU.
    public static var bestDevice: Device { isCUDAAvailable ? .cuda(0) : .cpu }

    /// Waits until every kernel queued on `device` has finished, as `torch.cuda.synchronize()`;
    /// for timing GPU work. On the CPU there is nothing to wait for, and it returns at once.
    /// - Throws: ``TorchError/operation(_:)`` for a CUDA device this libtorch or machine lacks.
    public static func synchronize(_ device: Device) throws {
        guard case .cuda(let index) = device else { return }
        try withError { statusCall(lt_cuda_synchronize(Int32(index))) }
    }

    /// The CUDA runtime the linked libtorch was built with, e.g. "13.0"; nil without CUDA.
    public static var cudaRuntimeVersion: String? {
        let v = Int(lt_cuda_runtime_version())
        return v > 0 ? "\(v / 1000).\(v % 1000 / 10)" : nil
    }

    /// The cuDNN version libtorch loaded (e.g. 91002 for 9.10.2); nil without cuDNN.
    public static var cudnnVersion: Int? {
        let v = Int(lt_cudnn_version())
        return v > 0 ? v : nil
    }

    /// The caching allocator's bytes on CUDA device `device`, as `torch.cuda.memory_stats`.
    /// - Throws: ``TorchError/operation(_:)`` for the CPU or a CUDA device this libtorch or machine lacks.
    public static func memory(on device: Device) throws -> DeviceMemory {
        guard case .cuda(let index) = device else {
            throw TorchError.operation("memory statistics are kept for CUDA devices; \(device) has none (its tensors are ordinary host allocations)")
        }
        ensureConfigured()
        var stats = [Int64](repeating: 0, count: 4)
        try withError { statusCall(lt_cuda_memory(Int32(index), &stats)) }
        return DeviceMemory(allocated: Int(stats[0]), peakAllocated: Int(stats[1]), reserved: Int(stats[2]), peakReserved: Int(stats[3]))
    }

    /// Starts the peak figures of ``memory(on:)`` again from the current ones (`torch.cuda.reset_peak_memory_stats`).
    public static func resetPeakMemory(on device: Device) throws {
        guard case .cuda(let index) = device else {
            throw TorchError.operation("memory statistics are kept for CUDA devices; \(device) has none")
        }
        ensureConfigured()
        try withError { statusCall(lt_cuda_reset_peak_memory(Int32(index))) }
    }

    /// Makes libtorch pick deterministic algorithms (errors where an op has none),
    /// as `torch.use_deterministic_algorithms(True)`.
    public static func setDeterministic(_ on: Bool) { statusCall(lt_set_deterministic(on ? 1 : 0)) }

    /// The full state of libtorch's default CPU generator, as `torch.get_rng_state()`: a
    /// 1-D `uint8` tensor (5,056 bytes for libtorch 2.x's Mersenne Twister plus its cached
    /// normal sample). Saved with a checkpoint, it lets a resumed run draw exactly what an
    /// uninterrupted one would (`randperm`, dropout masks, `randn`).
    public static func generatorState() -> Tensor {
        ensureConfigured()
        return tensorCall { lt_cpu_generator_get_state($0) }
    }

    /// Restores a state from ``generatorState()``, as `torch.set_rng_state(state)`.
    /// - Throws: ``TorchError/operation(_:)`` when `state` is not such a tensor (wrong
    ///   dtype or size: libtorch's message says which).
    public static func setGeneratorState(_ state: Tensor) throws {
        ensureConfigured()
        let contiguous = state.contiguous()
        try withError { withExtendedLifetime(contiguous) { statusCall(lt_cpu_generator_set_state(contiguous.handle)) } }
    }
}

/// Seeds libtorch's global generator, as `torch.manual_seed(seed)`: the same seed
/// gives the same `randn`, `rand`, dropout masks and initial weights as PyTorch.
public func manualSeed(_ seed: UInt64) {
    Runtime.ensureConfigured()
    statusCall(lt_manual_seed(seed))
}

/// Runs `body` with gradient recording off (as `with torch.no_grad():`).
/// Grad mode is per thread in libtorch, so `body` is synchronous.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = lt_grad_enabled()
    lt_set_grad_enabled(0)
    defer { lt_set_grad_enabled(previous) }
    return try body()
}

/// Runs `body` with gradient recording on (as `with torch.enable_grad():`).
public func withGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = lt_grad_enabled()
    lt_set_grad_enabled(1)
    defer { lt_set_grad_enabled(previous) }
    return try body()
}

/// Whether operations on this thread record gradients.
public var isGradEnabled: Bool { lt_grad_enabled() != 0 }
