/// Where a tensor lives.
public enum Device: Hashable, Sendable, CustomStringConvertible {
    /// The host CPU.
    case cpu
    /// The n-th CUDA device. Only where the linked libtorch was built with CUDA;
    /// otherwise creating a tensor there fails with a message saying so.
    case cuda(Int)

    var code: (Int32, Int32) {
        switch self {
        case .cpu: return (0, -1)
        case .cuda(let index): return (1, Int32(index))
        }
    }

    /// Parses PyTorch's spelling: "cpu", "cuda" (device 0) or "cuda:N".
    public init?(parsing text: String) {
        let t = text.lowercased()
        if t == "cpu" { self = .cpu; return }
        if t == "cuda" { self = .cuda(0); return }
        guard t.hasPrefix("cuda:"), let index = Int(t.dropFirst(5)), index >= 0 else { return nil }
        self = .cuda(index)
    }

    /// PyTorch's spelling: "cpu" or "cuda:N".
    public var description: String {
        switch self {
        case .cpu: return "cpu"
        case .cuda(let index): return "cuda:\(index)"
        }
    }
}
