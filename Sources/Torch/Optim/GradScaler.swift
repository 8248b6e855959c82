import Foundation

/// Loss scaling for `float16` mixed-precision training, as `torch.amp.GradScaler`: the loss
/// is multiplied by a large factor before `backward()` so that small `float16` gradients do
/// not underflow to zero; the gradients are divided by it again before the optimizer step;
/// a step whose gradients hold an infinity or NaN is skipped and the factor halved; after
/// `growthInterval` good steps in a row the factor doubles. `bfloat16` has `float32`'s range
/// and needs no scaler.
///
/// ```swift
/// let scaler = GradScaler()
/// let loss = try withAutocast(.float16) { model(x).crossEntropy(y) }
/// scaler.scale(loss).backward()
/// scaler.step(optimizer)     // unscale, then step unless a gradient is not finite
/// scaler.update()
/// optimizer.zeroGrad()
/// ```
public final class GradScaler {
    /// The current loss scale.
    public private(set) var scale: Double
    /// The factor's growth after `growthInterval` finite steps, and its cut after a non-finite one.
    public let growthFactor: Double, backoffFactor: Double
    /// How many finite steps in a row double the scale.
    public let growthInterval: Int
    /// False: every method passes through (`scale(_:)` returns the loss, `step` just steps).
    public let isEnabled: Bool
    /// Whether the last ``step(_:)`` (or ``unscale(_:)``) found a non-finite gradient.
    public private(set) var foundNonFinite = false
    private var goodSteps = 0
    private var unscaled = false

    /// PyTorch's defaults: scale 65,536, growth ×2 every 2,000 finite steps, back-off ×0.5.
    public init(initialScale: Double = 65_536, growthFactor: Double = 2, backoffFactor: Double = 0.5,
                growthInterval: Int = 2_000, enabled: Bool = true) {
        precondition(initialScale > 0 && growthFactor > 1 && backoffFactor > 0 && backoffFactor < 1 && growthInterval > 0,
                     "GradScaler: the scale must be positive, growth above 1, back-off in (0, 1), the interval positive")
        scale = initialScale
        self.growthFactor = growthFactor
        self.backoffFactor = backoffFactor
        self.growthInterval = growthInterval
        isEnabled = enabled
    }

    /// The loss times the scale, to call `backward()` on.
    public func scale(_ loss: Tensor) -> Tensor { isEnabled ? loss * scale : loss }

    /// Divides the optimizer's gradients by the scale, and notes whether any is not finite.
    /// Call it before clipping gradients; ``step(_:)`` then does not divide again.
    public func unscale(_ optimizer: Optimizer) {
        guard isEnabled, !unscaled else { return }
        let inverse = 1 / scale
        var nonFinite = false
        withNoGrad {
            for p in optimizer.parameters {
                guard let g = p.grad else { continue }
                g.mul_(inverse)
                if !nonFinite && g.isfinite().logicalNot().any().item() != 0 { nonFinite = true }
            }
        }
        foundNonFinite = nonFinite
        unscaled = true
    }

    /// Unscales the gradients (unless ``unscale(_:)`` already did) and steps the optimizer,
    /// unless a gradient is infinite or NaN: then the step is skipped. Returns whether it stepped.
    @discardableResult
    public func step(_ optimizer: Optimizer) -> Bool {
        guard isEnabled else { optimizer.step(); return true }
        unscale(optimizer)
        if !foundNonFinite { optimizer.step() }
        return !foundNonFinite
    }

    /// Adjusts the scale after a step: cut by `backoffFactor` if it found a non-finite
    /// gradient, else grown by `growthFactor` after `growthInterval` finite steps in a row.
    public func update() {
        guard isEnabled else { return }
        if foundNonFinite {
            scale *= backoffFactor
            goodSteps = 0
        } else {
            goodSteps += 1
            if goodSteps == growthInterval { scale *= growthFactor; goodSteps = 0 }
        }
        unscaled = false
        foundNonFinite = false
    }
}
