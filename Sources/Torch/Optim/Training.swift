/// A network with its optimizer and learning-rate schedule, stepped and checkpointed as
/// one value: `Context.epochs(_:training:every:state:)` in Lab saves and restores all of
/// them, so a resumed run continues the schedule where it stopped (a scheduler passed
/// separately could be forgotten).
///
/// ```swift
/// let training = Training(model, optimizer: AdamW(model.trainableParameters(), learningRate: 1e-3),
///                         schedule: CosineWithWarmup(warmupSteps: 100, totalSteps: 10_000))
/// let loss = model.loss(batch)
/// training.step(loss)          // zero the gradients, backward, (clip), optimizer step, schedule step
/// ```
public final class Training {
    /// The network being trained.
    public let model: Module
    /// Its optimizer.
    public let optimizer: any Optimizer
    /// The learning-rate scheduler driving `optimizer`, when a schedule was given.
    public let scheduler: LRScheduler?
    /// The joint 2-norm the gradients are clipped to before each optimizer step, if any.
    public let maxGradientNorm: Double?
    /// The loss scaler of float16 training, if any (``GradScaler``).
    public let scaler: GradScaler?
    /// Optimizer steps taken so far (restored with a checkpoint).
    public private(set) var steps = 0

    /// Trains `model` with `optimizer`, the rate following `schedule` (nil: constant).
    /// - Parameters:
    ///   - maxGradientNorm: clip the gradients of `optimizer.parameters` to this joint
    ///     2-norm before each step (``clipGradNorm(_:maxNorm:)``); nil: no clipping.
    ///   - scaler: for float16 mixed precision: the loss is scaled before backward, the
    ///     gradients unscaled before clipping, and a step with a non-finite gradient skipped.
    ///     Its scale is not checkpointed: a resumed run starts again from the initial scale.
    public init(_ model: Module, optimizer: any Optimizer, schedule: (any LRSchedule)? = nil, maxGradientNorm: Double? = nil,
                scaler: GradScaler? = nil) {
        self.model = model
        self.optimizer = optimizer
        self.scheduler = schedule.map { LRScheduler(optimizer, schedule: $0) }
        self.maxGradientNorm = maxGradientNorm
        self.scaler = scaler
    }

    /// One optimization step on `loss` (a scalar): zeroes the gradients, back-propagates,
    /// clips when asked, steps the optimizer and then the schedule. With a ``scaler``, the
    /// loss is scaled, the gradients unscaled before clipping, and the optimizer step skipped
    /// when a gradient is not finite (the schedule still steps, as in PyTorch's loop).
    public func step(_ loss: Tensor) {
        optimizer.zeroGrad()
        (scaler?.scale(loss) ?? loss).backward()
        scaler?.unscale(optimizer)
        if let maxGradientNorm { clipGradNorm(optimizer.parameters, maxNorm: maxGradientNorm) }
        if let scaler {
            scaler.step(optimizer)
            scaler.update()
        } else {
            optimizer.step()
        }
        scheduler?.step()
        steps += 1
    }

    /// Sets the step count where a training restored from a checkpoint taken after `steps`
    /// steps carries on (the scheduler is restored with the optimizer).
    public func resume(atStep steps: Int) {
        self.steps = steps
        scheduler?.resume(atStep: steps)
    }
}
