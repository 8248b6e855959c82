import Torch

/// LoRA on `MultiheadAttention`'s packed query/key/value projection: a trainable low-rank
/// change to the (3E, E) `inProjWeight`, which PyTorch keeps as a tensor rather than a
/// `Linear` (so ``LoRALinear`` cannot wrap it).
///
/// ```
/// W = inProjWeight + (α/r)·B·A        A: (r, E), kaiming-uniform(a = √5)   B: (3E, r), zeros
/// ```
/// One update of rank r covers the three projections together (r·(E + 3E) numbers), as peft
/// does for `nn.MultiheadAttention`. Unlike ``LoRALinear`` there is no dropout on the
/// low-rank path: the change is added to the weight, not computed from the input.
/// Set by ``LoRA/apply(to:where:attention:rank:alpha:dropout:)``; the tensors stand at
/// `….self_attn.in_proj.lora_A.weight` and `….in_proj.lora_B.weight`, beside the frozen
/// `….self_attn.in_proj_weight`.
public final class LoRAInProjection: Module, WeightDelta {
    /// The attention layer whose in-projection is adapted (its weight is frozen).
    public unowned let attention: MultiheadAttention
    /// A: (r, E).
    public var loraA: Tensor {
        get { factorA.weight }
        set { factorA.weight = newValue }
    }
    /// B: (3E, r).
    public var loraB: Tensor {
        get { factorB.weight }
        set { factorB.weight = newValue }
    }
    private let factorA: LoRAFactor
    private let factorB: LoRAFactor
    /// r: the inner dimension of the update B·A.
    public let rank: Int
    /// α: the update is scaled by α / r.
    public let alpha: Double
    /// α/r.
    public var scaling: Double { alpha / Double(rank) }
    /// Whether the update is currently folded into `attention.inProjWeight`.
    public private(set) var isMerged = false
    private var original: Tensor?

    /// An update of rank `rank` for `attention`'s in-projection; freezes its `inProjWeight`
    /// and `inProjBias`. It takes effect once set as `attention.inProjDelta`.
    public init(_ attention: MultiheadAttention, rank: Int, alpha: Double) {
        precondition(rank > 0, "LoRAInProjection: rank must be positive, got \(rank)")
        self.attention = attention
        self.rank = rank
        self.alpha = alpha
        let weight = attention.inProjWeight
        factorA = LoRAFactor(Tensor.empty([rank, weight.size(1)], dtype: weight.dtype, device: weight.device).requiringGrad())
        factorB = LoRAFactor(Tensor.zeros([weight.size(0), rank], dtype: weight.dtype, device: weight.device).requiringGrad())
        super.init()
        Init.kaimingUniform_(factorA.weight, a: 5.0.squareRoot())
        attention.inProjWeight.requiresGrad = false
        attention.inProjBias?.requiresGrad = false
    }

    /// `lora_A` and `lora_B`.
    public override func namedChildren() -> [(String, Module)] { [("lora_A", factorA), ("lora_B", factorB)] }

    /// (α/r)·B·A: (3E, E), differentiable in A and B; zeros once merged.
    public func delta() -> Tensor {
        if isMerged { return Tensor.zeros(attention.inProjWeight.shape, dtype: loraA.dtype, device: loraA.device) }
        return loraB.matmul(loraA) * scaling
    }

    /// (α/r)·B·A in float64.
    func update() -> Tensor {
        float64Update
    }

    /// Folds the update into `attention.inProjWeight` (computed in float64, rounded once);
    /// `keepingOriginal` keeps a copy so that ``unmerge()`` restores it bit for bit.
    public func merge(keepingOriginal: Bool = true) {
        guard !isMerged else { return }
        withNoGrad {
            let weight = attention.inProjWeight
            original = keepingOriginal ? weight.detached().clone() : nil
            weight.copy_((weight.detached().to(.float64) + update()).to(weight.dtype))
        }
        isMerged = true
    }

    /// Takes the update out of `attention.inProjWeight` again (the kept copy, else the float64 difference).
    public func unmerge() {
        guard isMerged else { return }
        withNoGrad {
            let weight = attention.inProjWeight
            if let original { weight.copy_(original) } else { weight.copy_((weight.detached().to(.float64) - update()).to(weight.dtype)) }
        }
        original = nil
        isMerged = false
    }
}

/// LoRA's A or B as a module holding one `weight`, for peft's keys (`lora_A.weight`).
final class LoRAFactor: Module {
    var weight: Tensor
    init(_ weight: Tensor) { self.weight = weight }
}
