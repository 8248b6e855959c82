import Torch

/// A `Linear` with a trainable low-rank update beside its frozen weights: LoRA
/// (Hu et al. 2021, [arXiv:2106.09685](https://arxiv.org/abs/2106.09685)).
///
/// ```
/// y = base(x) + (α/r)·B·A·dropout(x)       x: (…, in) → y: (…, out)
/// A: (r, in), kaiming-uniform(a = √5)      B: (out, r), zeros
/// ```
/// Only A and B are trained; the base weight and bias are frozen (`requiresGrad` false).
/// B starts at zero, so at initialization the layer computes exactly what the base did.
/// Initialization follows the paper's reference code (microsoft/LoRA, `loralib`), which
/// gives A PyTorch's default Linear initialization and B zeros.
///
/// Keys in `stateDict()` are peft's (before its `base_layer` renaming): `weight`, `bias` (the
/// base layer's), `lora_A.weight`, `lora_B.weight`; so a network LoRA'd in place by
/// ``LoRA/apply(to:where:rank:alpha:dropout:)`` keeps every other key and adds
/// `….lora_A.weight` and `….lora_B.weight` beside each adapted layer's own.
///
/// ## Merging
/// `merge()` folds (α/r)·B·A into the base weight, so inference costs one matmul, as the
/// paper notes ("no additional inference latency"); `unmerge()` takes it out again.
/// The product and the sum are computed in float64 and rounded once to the weight's dtype.
/// Subtracting the same update back cannot in general restore the original bits (the
/// merged weight was rounded), so by default `merge` keeps a copy of the original weight
/// and `unmerge` restores it bit for bit; `merge(keepingOriginal: false)` saves that copy's
/// memory and `unmerge` subtracts in float64 instead, exact to within one rounding of the
/// weight's dtype (≈ 1e-8 for weights of size ~0.1 in float32).
public final class LoRALinear: Module, Layer {
    /// The wrapped layer, frozen.
    public let base: Linear
    /// A: (r, in).
    public var loraA: Tensor {
        get { factorA.weight }
        set { factorA.weight = newValue }
    }
    /// B: (out, r).
    public var loraB: Tensor {
        get { factorB.weight }
        set { factorB.weight = newValue }
    }
    private let factorA: LoRAFactor
    private let factorB: LoRAFactor
    /// Dropout applied to the input of the low-rank path only (the paper's reference code).
    public let dropout: Dropout
    /// r: the inner dimension of the update B·A.
    public let rank: Int
    /// α: the update is scaled by α / r.
    public let alpha: Double
    /// α/r: keeps the update's scale roughly independent of the rank, so a learning rate
    /// tuned at one rank carries over to another (the paper, §4.1).
    public var scaling: Double { alpha / Double(rank) }
    /// Whether the update is currently folded into `base.weight`.
    public private(set) var isMerged = false
    /// The base weight before `merge`, when kept (a plain struct: not a parameter or buffer).
    private var original: Snapshot?
    private struct Snapshot { let weight: Tensor }

    /// Wraps `base` (its weights are shared, not copied) and freezes it.
    ///
    /// - Parameters:
    ///   - rank: r, the rank of the update (the paper finds r = 1…8 enough for attention projections).
    ///   - alpha: α; the update is scaled by α/r. The paper sets α to the first r it tries and keeps it.
    ///   - dropout: dropout probability on the low-rank path's input, in training mode.
    public init(_ base: Linear, rank: Int, alpha: Double, dropout: Double = 0) {
        precondition(rank > 0, "LoRALinear: rank must be positive, got \(rank)")
        self.base = base
        self.rank = rank
        self.alpha = alpha
        self.dropout = Dropout(dropout)
        let dtype = base.weight.dtype, device = base.weight.device
        factorA = LoRAFactor(Tensor.empty([rank, base.inFeatures], dtype: dtype, device: device).requiringGrad())
        factorB = LoRAFactor(Tensor.zeros([base.outFeatures, rank], dtype: dtype, device: device).requiringGrad())
        super.init()
        Init.kaimingUniform_(factorA.weight, a: 5.0.squareRoot())
        base.requiresGrad(false)
    }

    /// The base layer's weight and bias, as this layer's own (`weight`, `bias`).
    public override func namedDirectParameters() -> [(String, Tensor)] {
        [("weight", base.weight)] + (base.bias.map { [("bias", $0)] } ?? [])
    }

    /// `lora_A`, `lora_B` and the path's dropout (`lora_dropout`, no parameters); the base
    /// layer is not a child: its tensors are this layer's own, and when this layer replaces
    /// it (``LoRA/apply(to:where:rank:alpha:dropout:)``) it would otherwise be its own child.
    public override func namedChildren() -> [(String, Module)] {
        [("lora_A", factorA), ("lora_B", factorB), ("lora_dropout", dropout)]
    }

    /// x: (…, in) → (…, out).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        // The base's weights directly: when this layer replaces `base`, `base(x)` would call back here.
        let y = F.linear(x, weight: base.weight, bias: base.bias)
        if isMerged { return y }
        let down = F.linear(dropout(x), weight: loraA)  // (…, r)
        let up = F.linear(down, weight: loraB)           // (…, out)
        return y + up * scaling
    }

    /// The number of trainable elements: r·(in + out) while the base stays frozen.
    public var trainableParameterCount: Int { parameterCount(trainableOnly: true) }

    /// (α/r)·B·A in float64: (out, in).
    func update() -> Tensor {
        float64Update
    }

    /// Folds the update into `base.weight`; the forward pass is then the base layer alone.
    /// Does nothing when already merged. Do not train while merged: A and B get no gradient.
    ///
    /// - Parameter keepingOriginal: keep a copy of the weight so that `unmerge` is bit-exact.
    public func merge(keepingOriginal: Bool = true) {
        guard !isMerged else { return }
        withNoGrad {
            let weight = base.weight
            original = keepingOriginal ? Snapshot(weight: weight.detached().clone()) : nil
            weight.copy_((weight.detached().to(.float64) + update()).to(weight.dtype))
        }
        isMerged = true
    }

    /// Takes the update out of `base.weight` again: the kept copy when there is one, else
    /// the float64 difference rounded once. Does nothing when not merged.
    public func unmerge() {
        guard isMerged else { return }
        withNoGrad {
            let weight = base.weight
            if let original {
                weight.copy_(original.weight)
            } else {
                weight.copy_((weight.detached().to(.float64) - update()).to(weight.dtype))
            }
        }
        original = nil
        isMerged = false
    }
}

/// Putting LoRA into an existing network.
///
/// ``apply(to:where:rank:alpha:dropout:)`` adapts any `Linear` of any module in place, as
/// peft's `get_peft_model` does with `setattr`: each chosen layer is replaced
/// (`Linear.replace(with:)`) by a `LoRALinear` sharing its weights, wherever the layer sits
/// (a slot typed `Linear`, an array of layers, attention's output projection, a
/// Transformer's feed-forward). The other forms remain: by construction, through key paths
/// to `any Layer` slots, or by rebuilding a `Sequential`.
public enum LoRA {
    /// Adapts, in place, every `Linear` of `module` for which `where(key, layer)` is true
    /// (`key`: its `stateDict()` prefix, e.g. `towers.text.layers.0.linear1`) and, with
    /// `attention`, the packed q/k/v in-projection of every `MultiheadAttention` for which
    /// `attention(key, layer)` is true (a ``LoRAInProjection``); then freezes everything
    /// else (``freezeAllButAdapters(_:)``). Layers already adapted are skipped.
    /// `stateDict()` keeps every key and adds `KEY.lora_A.weight`, `KEY.lora_B.weight`
    /// (`KEY.in_proj.lora_A.weight` for attention).
    ///
    /// ```swift
    /// LoRA.apply(to: clip, where: { _, _ in true }, attention: { _, _ in true }, rank: 4, alpha: 4)
    /// ```
    /// - Returns: the adapters by key, in `namedModules()` order: ``LoRALinear``s and
    ///   ``LoRAInProjection``s.
    @discardableResult
    public static func apply(to module: Module, where choose: (String, Linear) -> Bool,
                             attention: ((String, MultiheadAttention) -> Bool)? = nil, rank: Int, alpha: Double,
                             dropout: Double = 0) -> [(key: String, adapter: any LoRAAdapter)] {
        var adapters: [(key: String, adapter: any LoRAAdapter)] = []
        for (key, layer) in module.namedModules() {
            if let linear = layer as? Linear, linear.replacement == nil, choose(key, linear) {
                let adapter = LoRALinear(linear, rank: rank, alpha: alpha, dropout: dropout)
                linear.replace(with: adapter)
                adapters.append((key, adapter))
            } else if let mha = layer as? MultiheadAttention, mha.inProjDelta == nil, let attention, attention(key, mha) {
                let adapter = LoRAInProjection(mha, rank: rank, alpha: alpha)
                mha.inProjDelta = adapter
                adapters.append((key.isEmpty ? "in_proj" : key + ".in_proj", adapter))
            }
        }
        freezeAllButAdapters(module)
        return adapters
    }

    /// Wraps the `Linear` layers of `sequential` whose keys satisfy `targets`, recursing into
    /// nested `Sequential`s, and returns a new `Sequential` sharing every other layer.
    /// Keys are those of `stateDict()` prefixes: `"2"`, `"1.0"`.
    /// Call ``freezeAllButAdapters(_:)`` on the result to train the adapters alone.
    public static func apply(to sequential: Sequential, targets: (String) -> Bool, rank: Int, alpha: Double,
                             dropout: Double = 0) -> Sequential {
        func rebuild(_ s: Sequential, prefix: String) -> Sequential {
            Sequential(s.layers.enumerated().map { index, layer -> any Layer in
                let key = prefix + String(index)
                if let linear = layer as? Linear, targets(key) {
                    return LoRALinear(linear, rank: rank, alpha: alpha, dropout: dropout)
                }
                if let nested = layer as? Sequential { return rebuild(nested, prefix: key + ".") }
                return layer
            })
        }
        return rebuild(sequential, prefix: "")
    }

    /// Replaces the `Linear` at each key path of `module` by a `LoRALinear` wrapping it.
    /// The slots must be declared `any Layer`, e.g. `var query: any Layer = Linear(64, 64)`.
    /// A slot that holds something other than a `Linear` (already a `LoRALinear`, say) is left as is.
    ///
    /// - Returns: the new adapters, in the order of `paths`.
    @discardableResult
    public static func apply<M: Module>(to module: M, at paths: [ReferenceWritableKeyPath<M, any Layer>], rank: Int,
                                        alpha: Double, dropout: Double = 0) -> [LoRALinear] {
        paths.compactMap { path in
            guard let linear = module[keyPath: path] as? Linear else { return nil }
            let adapter = LoRALinear(linear, rank: rank, alpha: alpha, dropout: dropout)
            module[keyPath: path] = adapter
            return adapter
        }
    }

    /// Freezes every parameter of `module` except the A and B of its `LoRALinear`s
    /// (`loralib.mark_only_lora_as_trainable`).
    public static func freezeAllButAdapters(_ module: Module) {
        module.requiresGrad(false)
        for case let (_, adapter as any LoRAAdapter) in module.namedModules() {
            adapter.loraA.requiresGrad = true
            adapter.loraB.requiresGrad = true
        }
    }

    /// Merges every adapter in `module` (see ``LoRALinear/merge(keepingOriginal:)`` and
    /// ``LoRAInProjection/merge(keepingOriginal:)``).
    public static func mergeAll(_ module: Module, keepingOriginal: Bool = true) {
        for case let (_, adapter as any LoRAAdapter) in module.namedModules() { adapter.merge(keepingOriginal: keepingOriginal) }
    }

    /// Unmerges every adapter in `module`.
    public static func unmergeAll(_ module: Module) {
        for case let (_, adapter as any LoRAAdapter) in module.namedModules() { adapter.unmerge() }
    }
}
