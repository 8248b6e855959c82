import Torch

/// The fraction of `predicted` equal to `targets`: both (N) integer class indices.
/// Stops the process when the shapes differ (a precondition).
public func accuracy(_ predicted: Tensor, _ targets: Tensor) -> Double {
    precondition(predicted.shape == targets.shape,
                 "accuracy: predictions \(predicted.shape) and targets \(targets.shape) must have the same shape")
    return withNoGrad { (predicted .== targets).to(.float32).mean().item() }
}

/// The fraction of rows of `logits` (N, C) whose largest entry is at the row's target
/// class, `targets` (N) int64.
public func accuracy(logits: Tensor, targets: Tensor) -> Double {
    accuracy(withNoGrad { logits.argmax(dim: -1) }, targets)
}
