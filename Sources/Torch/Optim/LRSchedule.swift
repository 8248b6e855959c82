import Foundation

/// A learning-rate schedule: the rate for a step, given the base rate.
public protocol LRSchedule: Sendable {
    /// The learning rate for 0-based `step`, given the optimizer's initial rate `base`.
    func learningRate(step: Int, base: Double) -> Double
}

/// Multiplies the rate by `gamma` every `stepSize` steps (`torch.optim.lr_scheduler.StepLR`).
public struct StepLR: LRSchedule {
    /// The number of steps between decays.
    public let stepSize: Int
    /// The factor applied at each decay.
    public let gamma: Double
    /// A schedule multiplying the rate by `gamma` every `stepSize` steps (`stepSize` > 0).
    public init(stepSize: Int, gamma: Double = 0.1) { self.stepSize = stepSize; self.gamma = gamma }
    /// base · gamma^⌊step / stepSize⌋.
    public func learningRate(step: Int, base: Double) -> Double {
        base * Foundation.pow(gamma, Double(step / stepSize))
    }
}

/// Linear warm-up from base/warmupSteps to base over `warmupSteps` steps, then cosine decay
/// to `minLearningRate` at `totalSteps` (SGDR without restarts,
/// [Loshchilov & Hutter 2017](https://arxiv.org/abs/1608.03983)). The same rates as PyTorch's
/// `SequentialLR([LinearLR(1/warmup, total_iters=warmup-1), CosineAnnealingLR(total-warmup, eta_min)], [warmup])`.
public struct CosineWithWarmup: LRSchedule {
    /// The number of warm-up steps (0 for none).
    public let warmupSteps: Int
    /// The step at which the cosine reaches `minLearningRate`; later steps keep it.
    public let totalSteps: Int
    /// The rate at the end of the decay.
    public let minLearningRate: Double
    /// A warm-up of `warmupSteps` steps, then cosine decay to `minLearningRate` at `totalSteps`.
    public init(warmupSteps: Int, totalSteps: Int, minLearningRate: Double = 0) {
        self.warmupSteps = warmupSteps; self.totalSteps = totalSteps; self.minLearningRate = minLearningRate
    }
    /// base·(step + 1)/warmupSteps during warm-up, then min + (base − min)·(1 + cos(π·t/span))/2 with t the steps since warm-up, capped at span = totalSteps − warmupSteps.
    public func learningRate(step: Int, base: Double) -> Double {
        if step < warmupSteps { return base * Double(step + 1) / Double(warmupSteps) }
        let span = Double(Swift.max(1, totalSteps - warmupSteps))
        let t = Swift.min(Double(step - warmupSteps), span)
        return minLearningRate + (base - minLearningRate) * (1 + Foundation.cos(Double.pi * t / span)) / 2
    }
}

/// Drives an optimizer's learning rate with a schedule: call `step()` after each optimizer step.
public final class LRScheduler {
    /// The optimizer whose `learningRate` is set.
    public let optimizer: any Optimizer
    /// The schedule giving the rate for each step.
    public let schedule: any LRSchedule
    /// The optimizer's learning rate when the scheduler was made, the `base` of every `schedule` call.
    public let baseLearningRate: Double
    /// Steps taken so far.
    public private(set) var stepCount = 0

    /// Takes `optimizer`'s current rate as the base and sets its rate to the schedule's rate for step 0.
    public init(_ optimizer: any Optimizer, schedule: any LRSchedule) {
        self.optimizer = optimizer
        self.schedule = schedule
        baseLearningRate = optimizer.learningRate
        optimizer.learningRate = schedule.learningRate(step: 0, base: baseLearningRate)
        SchedulerRegistry.shared.attach(self, to: optimizer)
    }

    /// The scheduler last made for `optimizer`, while both are alive. Lab's checkpoints use
    /// it, so that a scheduler not passed to `ctx.epochs` is still saved and restored.
    public static func attached(to optimizer: any Optimizer) -> LRScheduler? {
        SchedulerRegistry.shared.scheduler(of: optimizer)
    }

    /// Sets the step count, and the optimizer's rate to the schedule's at that step: where a
    /// training resumed from a checkpoint taken after `steps` steps carries on.
    public func resume(atStep steps: Int) {
        stepCount = steps
        optimizer.learningRate = schedule.learningRate(step: stepCount, base: baseLearningRate)
    }

    /// Advances one step and sets the optimizer's rate for the next.
    public func step() {
        stepCount += 1
        optimizer.learningRate = schedule.learningRate(step: stepCount, base: baseLearningRate)
    }
}

/// Which scheduler drives which optimizer (weak on both sides).
private final class SchedulerRegistry: @unchecked Sendable {
    static let shared = SchedulerRegistry()
    private struct Entry {
        weak var optimizer: AnyObject?
        weak var scheduler: LRScheduler?
    }
    private let lock = NSLock()
    private var entries: [ObjectIdentifier: Entry] = [:]

    func attach(_ scheduler: LRScheduler, to optimizer: any Optimizer) {
        lock.lock()
        defer { lock.unlock() }
        entries = entries.filter { $0.value.optimizer != nil && $0.value.scheduler != nil }
        entries[ObjectIdentifier(optimizer)] = Entry(optimizer: optimizer, scheduler: scheduler)
    }

    func scheduler(of optimizer: any Optimizer) -> LRScheduler? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[ObjectIdentifier(optimizer)], entry.optimizer === optimizer else { return nil }
        return entry.scheduler
    }
}
