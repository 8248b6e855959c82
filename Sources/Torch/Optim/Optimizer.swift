import Foundation

/// Updates parameters from their gradients. Implementations follow PyTorch's
/// single-tensor (for-loop) algorithms op for op, so that their updates match
/// `torch.optim` on the same libtorch.
public protocol Optimizer: AnyObject {
    /// The parameters updated, in order.
    var parameters: [Tensor] { get }
    /// The current learning rate (schedules set it).
    var learningRate: Double { get set }
    /// Applies one update from the parameters' current gradients (parameters without one are skipped).
    func step()
    /// The optimizer's state (moments, step counts) as tensors keyed "state.<i>.<name>",
    /// plus its hyperparameters as strings, for ``save(to:)``.
    func stateDict() -> (tensors: [String: Tensor], hyperparameters: [String: String])
    /// Restores state saved by ``stateDict()``.
    func loadStateDict(tensors: [String: Tensor], hyperparameters: [String: String]) throws
}

extension Optimizer {
    /// Clears every parameter's gradient (to nil by default, as PyTorch).
    public func zeroGrad(setToNone: Bool = true) { for p in parameters { p.zeroGrad(setToNone: setToNone) } }

    /// Writes the state to a safetensors file (tensors, with the hyperparameters as metadata).
    public func save(to path: String) throws {
        let (tensors, hyper) = stateDict()
        try Safetensors.save(tensors, metadata: hyper, to: path)
    }

    /// Restores the state from a file written by ``save(to:)``.
    public func load(from path: String) throws {
        let file = try Safetensors.load(path)
        try loadStateDict(tensors: file.tensors, hyperparameters: file.metadata)
    }
}

/// Reads per-parameter state tensors saved under "state.<i>.<name>".
func stateTensor(_ tensors: [String: Tensor], _ i: Int, _ name: String, like p: Tensor) throws -> Tensor? {
    guard let t = tensors["state.\(i).\(name)"] else { return nil }
    if name != "step" && t.shape != p.shape {
        throw TorchError.stateDict("optimizer state 'state.\(i).\(name)' has shape \(t.shape), parameter \(i) has \(p.shape)")
    }
    return t.device == p.device ? t.clone() : t.to(p.device)   // onto the parameter's device (a checkpoint is read to the CPU)
}

func checkCount(_ hyper: [String: String], _ expected: Int, _ kind: String) throws {
    if let n = hyper["parameter_count"].flatMap(Int.init), n != expected {
        throw TorchError.stateDict("the saved \(kind) state is for \(n) parameters, this optimizer has \(expected)")
    }
    if let saved = hyper["optimizer"], saved != kind {
        throw TorchError.stateDict("the saved state is from \(saved), this optimizer is \(kind)")
    }
}

/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight
/// decay, as `torch.optim.SGD`.
public final class SGD: Optimizer {
    /// The parameters updated, in order.
    public let parameters: [Tensor]
    /// The step size; a scheduler may change it between steps.
    public var learningRate: Double
    /// Momentum factor, dampening of the momentum buffer, L2 weight decay added to the gradient, and whether the momentum is Nesterov's.
    public let momentum: Double, dampening: Double, weightDecay: Double, nesterov: Bool
    private var buffers: [Tensor?]

    /// SGD over `parameters` with PyTorch's defaults for the rest.
    /// Stops the process (a precondition) when `nesterov` is set without momentum > 0 and dampening 0.
    public init(_ parameters: [Tensor], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum requires momentum > 0 and dampening 0")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum; self.dampening = dampening; self.weightDecay = weightDecay; self.nesterov = nesterov
        buffers = Array(repeating: nil, count: parameters.count)
    }

    /// One update of every parameter with a gradient: decay, momentum buffer, then p −= lr·g, as `torch.optim.SGD`.
    public func step() {
        withNoGrad {
            for (i, p) in parameters.enumerated() {
                guard var g = p.grad else { continue }
                if weightDecay != 0 { g = g.add(p, alpha: weightDecay) }
                if momentum != 0 {
                    if let buf = buffers[i] {
                        buf.mul_(momentum)
                        buf.add_(g, alpha: 1 - dampening)
                    } else {
                        buffers[i] = g.clone().detached()
                    }
                    g = nesterov ? g.add(buffers[i]!, alpha: momentum) : buffers[i]!
                }
                p.add_(g, alpha: -learningRate)
            }
        }
    }

    /// The momentum buffers as "state.<i>.momentum_buffer", with "optimizer", "parameter_count", "lr", "momentum", "dampening", "weight_decay" and "nesterov" as strings.
    public func stateDict() -> (tensors: [String: Tensor], hyperparameters: [String: String]) {
        var t: [String: Tensor] = [:]
        for (i, b) in buffers.enumerated() { if let b { t["state.\(i).momentum_buffer"] = b } }
        return (t, ["optimizer": "SGD", "parameter_count": "\(parameters.count)", "lr": "\(learningRate)",
                    "momentum": "\(momentum)", "dampening": "\(dampening)", "weight_decay": "\(weightDecay)",
                    "nesterov": "\(nesterov)"])
    }

    /// Restores the momentum buffers and the learning rate saved by ``stateDict()``.
    /// - Throws: ``TorchError/stateDict(_:)`` when the state is another optimizer's, is for another number of parameters, or holds a buffer whose shape differs from its parameter's.
    public func loadStateDict(tensors: [String: Tensor], hyperparameters: [String: String]) throws {
        try checkCount(hyperparameters, parameters.count, "SGD")
        for (i, p) in parameters.enumerated() { buffers[i] = try stateTensor(tensors, i, "momentum_buffer", like: p) }
        if let lr = hyperparameters["lr"].flatMap(Double.init) { learningRate = lr }
    }
}

/// Adam ([Kingma & Ba 2015](https://arxiv.org/abs/1412.6980)) and AdamW (decoupled weight
/// decay, [Loshchilov & Hutter 2019](https://arxiv.org/abs/1711.05101)), as `torch.optim.Adam`
/// and `torch.optim.AdamW`.
public final class Adam: Optimizer {
    /// The parameters updated, in order.
    public let parameters: [Tensor]
    /// The step size; a scheduler may change it between steps.
    public var learningRate: Double
    /// The decay rates of the first and second moment estimates, the term added to the denominator, and the weight decay.
    public let beta1: Double, beta2: Double, eps: Double, weightDecay: Double
    /// AdamW: weight decay shrinks the parameters directly instead of adding to the gradient.
    public let decoupledWeightDecay: Bool
    /// Whether to use the maximum of past second moments (AMSGrad, [Reddi et al. 2018](https://openreview.net/forum?id=ryQu7f-RW)).
    public let amsgrad: Bool
    private var steps: [Int]
    private var expAvg: [Tensor?]
    private var expAvgSq: [Tensor?]
    private var maxExpAvgSq: [Tensor?]

    /// Adam. `weightDecay` is L2 added to the gradient (PyTorch's Adam).
    public init(_ parameters: [Tensor], learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false, decoupledWeightDecay: Bool = false) {
        self.parameters = parameters
        self.learningRate = learningRate
        (beta1, beta2) = betas
        self.eps = eps; self.weightDecay = weightDecay; self.amsgrad = amsgrad
        self.decoupledWeightDecay = decoupledWeightDecay
        steps = Array(repeating: 0, count: parameters.count)
        expAvg = Array(repeating: nil, count: parameters.count)
        expAvgSq = Array(repeating: nil, count: parameters.count)
        maxExpAvgSq = Array(repeating: nil, count: parameters.count)
    }

    var name: String { decoupledWeightDecay ? "AdamW" : "Adam" }

    /// One update of every parameter with a gradient, as `torch.optim.Adam`/`AdamW`'s single-tensor path.
    public func step() {
        withNoGrad {
            for (i, p) in parameters.enumerated() {
                guard var g = p.grad else { continue }
                if expAvg[i] == nil {
                    expAvg[i] = p.zerosLike()
                    expAvgSq[i] = p.zerosLike()
                    if amsgrad { maxExpAvgSq[i] = p.zerosLike() }
                }
                let m = expAvg[i]!, v = expAvgSq[i]!
                steps[i] += 1
                if weightDecay != 0 {
                    if decoupledWeightDecay { p.mul_(1 - learningRate * weightDecay) } else { g = g.add(p, alpha: weightDecay) }
                }
                m.lerp_(g, weight: 1 - beta1)
                v.mul_(beta2)
                v.addcmul_(g, g, value: 1 - beta2)
                let step = Double(steps[i])
                let biasCorrection1 = 1 - Foundation.pow(beta1, step)
                let biasCorrection2 = 1 - Foundation.pow(beta2, step)
                let stepSize = learningRate / biasCorrection1
                let biasCorrection2Sqrt = biasCorrection2.squareRoot()
                let second: Tensor
                if amsgrad {
                    maxExpAvgSq[i]!.maximum_(v)
                    second = maxExpAvgSq[i]!
                } else {
                    second = v
                }
                let denom = second.sqrt() / biasCorrection2Sqrt
                denom.add_(eps)
                p.addcdiv_(m, denom, value: -stepSize)
            }
        }
    }

    /// Per parameter that has taken a step: "state.<i>.step" (a float32 scalar), "exp_avg", "exp_avg_sq" and, with AMSGrad, "max_exp_avg_sq"; the hyperparameters as strings.
    public func stateDict() -> (tensors: [String: Tensor], hyperparameters: [String: String]) {
        var t: [String: Tensor] = [:]
        for i in parameters.indices where expAvg[i] != nil {
            t["state.\(i).step"] = Tensor(Float(steps[i]))
            t["state.\(i).exp_avg"] = expAvg[i]
            t["state.\(i).exp_avg_sq"] = expAvgSq[i]
            if let mx = maxExpAvgSq[i] { t["state.\(i).max_exp_avg_sq"] = mx }
        }
        return (t, ["optimizer": name, "parameter_count": "\(parameters.count)", "lr": "\(learningRate)",
                    "beta1": "\(beta1)", "beta2": "\(beta2)", "eps": "\(eps)", "weight_decay": "\(weightDecay)",
                    "amsgrad": "\(amsgrad)"])
    }

    /// Restores the moments, step counts and learning rate saved by ``stateDict()``.
    /// - Throws: ``TorchError/stateDict(_:)`` when the state is another optimizer's, is for another number of parameters, or holds a moment whose shape differs from its parameter's.
    public func loadStateDict(tensors: [String: Tensor], hyperparameters: [String: String]) throws {
        try checkCount(hyperparameters, parameters.count, name)
        for (i, p) in parameters.enumerated() {
            expAvg[i] = try stateTensor(tensors, i, "exp_avg", like: p)
            expAvgSq[i] = try stateTensor(tensors, i, "exp_avg_sq", like: p)
            maxExpAvgSq[i] = try stateTensor(tensors, i, "max_exp_avg_sq", like: p)
            steps[i] = Int(try stateTensor(tensors, i, "step", like: p)?.item() ?? 0)
        }
        if let lr = hyperparameters["lr"].flatMap(Double.init) { learningRate = lr }
    }
}

/// AdamW: Adam with decoupled weight decay (default 0.01, as `torch.optim.AdamW`).
public func AdamW(_ parameters: [Tensor], learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                  eps: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false) -> Adam {
    Adam(parameters, learningRate: learningRate, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad,
         decoupledWeightDecay: true)
}
