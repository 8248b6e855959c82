import Torch

/// What every LoRA adapter offers: ``LoRALinear`` (a `Linear` with a low-rank path) and
/// ``LoRAInProjection`` (a low-rank change to attention's packed in-projection).
public protocol LoRAAdapter: Module {
    /// A: (r, in), kaiming-uniform at first.
    var loraA: Tensor { get set }
    /// B: (out, r), zeros at first.
    var loraB: Tensor { get set }
    /// r, the inner dimension of B·A.
    var rank: Int { get }
    /// α; the update is scaled by α / r.
    var alpha: Double { get }
    /// Whether the update is folded into the frozen weight.
    var isMerged: Bool { get }
    /// Folds (α/r)·B·A into the frozen weight (float64, rounded once); with `keepingOriginal`
    /// a copy of the weight is kept so that ``unmerge()`` is bit-exact.
    func merge(keepingOriginal: Bool)
    /// Takes the update out of the weight again.
    func unmerge()
}

extension LoRAAdapter {
    /// (α/r)·B·A in float64, without gradients: what merging adds to the frozen weight.
    var float64Update: Tensor {
        withNoGrad { loraB.detached().to(.float64).matmul(loraA.detached().to(.float64)) * (alpha / Double(rank)) }
    }
}

extension LoRALinear: LoRAAdapter {}
extension LoRAInProjection: LoRAAdapter {}
