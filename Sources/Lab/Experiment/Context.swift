import Foundation
import Reports

/// What a step's body receives: the config, its seed, logging and report outputs.
public final class Context<C: ExperimentConfig> {
    /// The experiment's config, after `--set` overrides.
    public let config: C
    /// This step's seed, derived from the run's root seed and the step's name. libtorch's
    /// generator is seeded with it before the body runs.
    public let seed: UInt64
    /// True with `--smoke`: use tiny data so the whole experiment runs in seconds.
    public let smoke: Bool
    /// The device to compute on.
    public let device: Device
    /// The step's name.
    public let step: String
    let environment: StepEnvironment

    init(_ environment: StepEnvironment) {
        self.environment = environment
        self.config = environment.config as! C
        self.seed = environment.seed
        self.smoke = environment.smoke
        self.device = environment.device
        self.step = environment.step
    }

    /// Appends `value` at `step` to the series `name` (a loss curve, say).
    public func log(_ name: String, _ value: Double, step: Int) { environment.recorder.log(name, step, value) }

    /// Records the summary metric `name`.
    public func metric(_ name: String, _ value: Double) { environment.recorder.metric(name, value) }

    /// Adds a chart to the report.
    public func figure(_ name: String, _ figure: Figure) { environment.recorder.add(.figure(name: name, figure)) }
    /// Adds a table to the report.
    public func table(_ name: String, _ table: Table) { environment.recorder.add(.table(name: name, table)) }
    /// Adds a grid of images to the report.
    public func images(_ name: String, _ grid: ImageGrid) { environment.recorder.add(.images(name: name, grid)) }
    /// Adds a text sample to the report.
    public func text(_ name: String, _ text: String) { environment.recorder.add(.text(name: name, text)) }

    /// Stores a file produced by the step with its cache entry.
    public func artifact(_ name: String, data: Data) throws {
        let file = "artifact-" + FileName.component(name, fallback: "unnamed")  // short, safe, one per name
        try data.write(to: environment.recorder.artifactFolder.appendingPathComponent(file))
        environment.recorder.artifact(name, file: file)
    }

    /// Fails the step when `value` is NaN or infinite, naming the iteration.
    /// - Throws: ``LabError/nonFinite(step:name:value:iteration:)``.
    public func check(_ name: String, _ value: Double, iteration: Int) throws {
        if !value.isFinite { throw LabError.nonFinite(step: step, name: name, value: value, iteration: iteration) }
    }

    /// A progress reporter for `total` units of work (batches, say).
    public func progress(_ label: String, total: Int, unit: String = "batch") -> Progress {
        Progress(step: step, label: label, total: total, unit: unit)
    }

    /// Epochs `0..<count`, resuming after the last checkpoint of this step's cache key (a
    /// crashed or killed run continues where it stopped). After every `every` epochs the
    /// module's and optimizer's state, the scheduler's step count and the epoch are saved;
    /// they are restored before the first epoch yielded when a checkpoint exists. Pass the
    /// `scheduler` when there is one: without it a resumed run would restart its warm-up.
    public func epochs(_ count: Int, checkpointing module: Module, _ optimizer: (any Optimizer)? = nil,
                       scheduler: LRScheduler? = nil, every: Int = 1) throws -> [Int] {
        guard let store = environment.checkpoints else { return Array(0..<count) }
        var start = 0
        if let restored = try store.restore(module: module, optimizer: optimizer, scheduler: scheduler) {
            start = restored + 1
            print("[\(step)] resuming after epoch \(restored + 1) from its checkpoint")
        }
        store.configure(module: module, optimizer: optimizer, scheduler: scheduler, every: max(1, every))
        return Array(start..<max(start, count))
    }

    /// Marks `epoch` done: saves a checkpoint when one is due (see ``epochs(_:checkpointing:_:every:)``).
    public func finished(epoch: Int) throws { try environment.checkpoints?.epochDone(epoch) }
}
