internal import CTorch

extension Tensor {
    /// Whether operations on this tensor are recorded for differentiation.
    /// Setting it is only allowed on leaf tensors (as `requires_grad_`).
    public var requiresGrad: Bool {
        get { lt_requires_grad(handle) != 0 }
        set { statusCall(lt_set_requires_grad(handle, newValue ? 1 : 0)) }
    }

    /// Marks the tensor as requiring gradients and returns it (`requires_grad_()`).
    @discardableResult
    public func requiringGrad(_ on: Bool = true) -> Tensor { requiresGrad = on; return self }

    /// True for tensors made by the user rather than by a recorded operation.
    public var isLeaf: Bool { lt_is_leaf(handle) != 0 }

    /// The gradient accumulated by `backward()`, or nil when none has been computed.
    public var grad: Tensor? {
        var out: lt_tensor?
        guard lt_grad(handle, &out) == 0, let out else { return nil }
        let t = Tensor(handle: out)
        return t.isDefined ? t : nil
    }

    /// Clears the gradient: to nil (PyTorch's default `set_to_none=True`) or to zeros.
    public func zeroGrad(setToNone: Bool = true) { statusCall(lt_zero_grad(handle, setToNone ? 1 : 0)) }

    /// Computes the gradient of this tensor with respect to every leaf that requires one,
    /// accumulating into their `grad`.
    ///
    /// - Parameters:
    ///   - gradient: ∂L/∂self; omit for a one-element tensor (taken as 1).
    ///   - retainGraph: keep the graph so that `backward` can run again through it.
    ///   - createGraph: record the backward pass itself (for higher-order gradients).
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false) {
        statusCall(lt_backward(handle, gradient?.handle, retainGraph || createGraph ? 1 : 0, createGraph ? 1 : 0))
        AutogradHooks.afterBackward?()
    }

    /// The same data, cut from the autograd graph.
    public func detached() -> Tensor { unary(LT_DETACH, self) }

    /// Replaces this tensor's data with `source`'s, keeping its identity
    /// (PyTorch's `param.data = source`): how a module moves its parameters.
    public func setData(_ source: Tensor) { statusCall(lt_set_data(handle, source.handle)) }
}

/// Gradients of `outputs` with respect to `inputs` (`torch.autograd.grad`), without
/// touching any `.grad`. An input that does not affect the outputs gets nil.
public func gradients(of outputs: [Tensor], withRespectTo inputs: [Tensor], createGraph: Bool = false) -> [Tensor?] {
    let outs: [lt_tensor?] = outputs.map { $0.handle }
    let ins: [lt_tensor?] = inputs.map { $0.handle }
    var results = [lt_tensor?](repeating: nil, count: inputs.count)
    let status = lt_autograd_grad(outs, Int64(outs.count), ins, Int64(ins.count), createGraph ? 1 : 0, &results)
    if status != 0 { reportFailure(); return inputs.map { _ in nil } }
    return results.map { h in
        guard let h else { return nil }
        let t = Tensor(handle: h)
        return t.isDefined ? t : nil
    }
}

/// Scales the gradients of `parameters` so that their joint 2-norm is at most `maxNorm`
/// (`torch.nn.utils.clip_grad_norm_`). Returns the norm before clipping.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Double) -> Double {
    let grads = parameters.compactMap(\.grad)
    guard !grads.isEmpty else { return 0 }
    return withNoGrad {
        let norms = grads.map { $0.norm() }
        let total = Tensor.stack(norms).norm()
        // clip_coef = max_norm / (total + 1e-6), clamped to 1: same ops as PyTorch.
        let coefficient = (Tensor.full([], maxNorm, dtype: total.dtype) / (total + 1e-6)).clamp(max: 1.0)
        for g in grads { g.mul_(coefficient) }
        return total.item()
    }
}

/// What runs after every ``Tensor/backward(_:retainGraph:createGraph:)`` of this process:
/// Lab's data parallelism averages the model's gradients over the ranks there, where
/// DistributedDataParallel does, so that an experiment's training loop is the same with one
/// rank or many. Set by the runner for the length of a training step, nil otherwise.
package enum AutogradHooks {
    nonisolated(unsafe) package static var afterBackward: (() -> Void)?

    /// Reports a hook's failure as a failing tensor operation: thrown by the enclosing
    /// `withError` (a step's), or stopping the process outside one.
    package static func fail(_ message: String) { raise(message) }
}
