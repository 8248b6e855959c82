internal import CTorch

/// libtorch's global switches for CUDA math, as `torch.backends`. They can be read and set in
/// every build, and only CUDA kernels read them: with a CPU-only libtorch setting one changes
/// no result. Set them once, at start, before the first kernel runs.
public enum Backends {
    /// Whether float32 matrix products may use TF32 tensor cores (`torch.backends.cuda.matmul.allow_tf32`;
    /// default false): about 10 mantissa bits instead of 23, several times faster on Ampere and later.
    public static var matmulAllowsTF32: Bool {
        get { flag(0) }
        set { setFlag(0, newValue) }
    }

    /// Whether cuDNN convolutions may use TF32 (`torch.backends.cudnn.allow_tf32`; default true).
    public static var cudnnAllowsTF32: Bool {
        get { flag(1) }
        set { setFlag(1, newValue) }
    }

    /// Whether cuDNN times its algorithms for each new input shape and keeps the fastest
    /// (`torch.backends.cudnn.benchmark`; default false): faster for fixed shapes, and the choice
    /// can differ from run to run.
    public static var cudnnBenchmark: Bool {
        get { flag(2) }
        set { setFlag(2, newValue) }
    }

    /// Whether cuDNN is limited to deterministic algorithms (`torch.backends.cudnn.deterministic`; default false).
    public static var cudnnDeterministic: Bool {
        get { flag(3) }
        set { setFlag(3, newValue) }
    }

    /// The switches by their PyTorch names, for provenance.
    public static var settings: [String: Bool] {
        ["cuda.matmul.allow_tf32": matmulAllowsTF32, "cudnn.allow_tf32": cudnnAllowsTF32,
         "cudnn.benchmark": cudnnBenchmark, "cudnn.deterministic": cudnnDeterministic]
    }

    private static func flag(_ which: Int32) -> Bool {
        Runtime.ensureConfigured()
        return lt_backend_flag(which) == 1
    }

    private static func setFlag(_ which: Int32, _ on: Bool) {
        Runtime.ensureConfigured()
        statusCall(lt_set_backend_flag(which, on ? 1 : 0))
    }
}
