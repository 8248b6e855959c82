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

    /// This process's rank in a data-parallel run (`lab run FILE --nproc N`), `0..<worldSize`;
    /// 0 in a run of one process. Only rank 0 records: what other ranks log is dropped.
    public var rank: Int { environment.ranks?.rank ?? 0 }
    /// The number of data-parallel ranks (1 in a run of one process).
    public var worldSize: Int { environment.ranks?.worldSize ?? 1 }
    /// The process group of a data-parallel run, for collectives the helpers below do not
    /// cover; nil in a run of one process.
    public var group: ProcessGroup? { environment.ranks?.group }

    /// This rank's part of `loader`: with W ranks, batches of `batchSize / W` from a
    /// `DistributedSampler`-style shard (``DataLoader/sharded(rank:worldSize:)``), so that
    /// the W ranks' batches together are the loader's own batches and `batchSize` stays the
    /// global batch; `loader` itself in a run of one process. With gradients averaged over
    /// the ranks, training steps are then those of one process.
    /// - Throws: ``LabError/unevenBatch(step:batchSize:worldSize:)`` when W does not divide `batchSize`.
    public func shard<B>(_ loader: DataLoader<B>) throws -> DataLoader<B> {
        guard worldSize > 1 else { return loader }
        guard loader.batchSize % worldSize == 0 else {
            throw LabError.unevenBatch(step: step, batchSize: loader.batchSize, worldSize: worldSize)
        }
        return loader.resized(batchSize: loader.batchSize / worldSize).sharded(rank: rank, worldSize: worldSize)
    }

    /// Every rank's `tensor` concatenated along dimension 0, differentiable
    /// (``ProcessGroup/allGatherWithGradient(_:)``): a contrastive loss over the gathered
    /// embeddings sees the whole global batch's negatives. `tensor` itself in one process.
    public func gathered(_ tensor: Tensor) throws -> Tensor {
        guard let group else { return tensor }
        return try group.allGatherWithGradient(tensor)
    }

    /// The mean of `value` over the ranks (a loss to log for the whole batch); `value` itself
    /// in one process. Every rank must call it.
    public func mean(_ value: Double) throws -> Double {
        guard let group else { return value }
        let t = Tensor([value], shape: [1], dtype: .float64)
        try group.allReduce([t])
        return t.item() / Double(worldSize)
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

    /// Epochs `0..<count` of a training loop that checkpoints and resumes: a crashed or
    /// killed run continues after the last finished epoch and ends exactly as an
    /// uninterrupted run would.
    ///
    /// ```swift
    /// var loss = 0.0                                   // carried across epochs: pass it as state
    /// for epoch in try ctx.epochs(n, checkpointing: model, optimizer, scheduler: scheduler, state: &loss) {
    ///     … loss = l.item(); ctx.log("loss", loss, step: epoch)
    ///     try ctx.finished(epoch: epoch, state: loss)    // last statement of the loop body
    /// }
    /// return Summary(loss: loss)
    /// ```
    ///
    /// After every `every` epochs, ``finished(epoch:state:)`` saves the module's and the
    /// optimizer's state, the scheduler's step, libtorch's generator state (shuffles and
    /// dropout continue the same stream), what the step has logged so far and `state`. When
    /// a checkpoint exists, this call restores all of it, sets `state` to the saved value and
    /// returns the epochs still to run (none when the kill came after the last one).
    ///
    /// Every value the body keeps across epochs (a last loss, a step counter, a best score)
    /// must live in `state`: a local outside it keeps its initial value after a resume. Use
    /// a small `Codable` struct for several values (it may hold tensors), or the two-value
    /// form ``epochs(_:checkpointing:_:scheduler:every:state:_:)``. Call
    /// ``finished(epoch:state:)`` as the loop body's last statement: what the body does after
    /// it in that epoch is not in the checkpoint. A scheduler made for `optimizer` is
    /// checkpointed whether or not it is passed (``LRScheduler/attached(to:)``);
    /// ``epochs(_:training:every:state:)`` takes model, optimizer and schedule as one value.
    ///
    /// A checkpoint that does not match its manifest (size, SHA-256) or cannot be read is
    /// discarded with a warning, and the step starts over.
    /// - Parameters:
    ///   - count: the number of epochs.
    ///   - module: the network being trained.
    ///   - optimizer: its optimizer, if any.
    ///   - scheduler: its learning-rate scheduler, if any.
    ///   - every: checkpoint after every `every` epochs (epochs after the last one are re-run).
    ///   - state: the values the body carries across epochs; replaced by the saved value on a resume.
    /// - Returns: the epochs to run, in order.
    /// - Throws: ``CheckpointError`` when a checkpoint matches its manifest but cannot be
    ///   applied (it is then removed), or a decoding error for a damaged saved state.
    public func epochs<S: Codable>(_ count: Int, checkpointing module: Module, _ optimizer: (any Optimizer)? = nil,
                                   scheduler: LRScheduler? = nil, every: Int = 1, state: inout S) throws -> [Int] {
        let store = try checkpointStore()
        let saved = try store.restore(module: module, optimizer: optimizer, scheduler: scheduler)
        if let saved { state = try store.decodeState(S.self, from: saved) }
        return try start(store, saved, count: count, module: module, optimizer: optimizer, scheduler: scheduler,
                     every: every, expectsState: true)
    }

    /// ``epochs(_:checkpointing:_:scheduler:every:state:)`` for a loop that carries two values
    /// across epochs (say a step counter and the last loss); save them with
    /// ``finished(epoch:state:_:)``.
    public func epochs<A: Codable, B: Codable>(_ count: Int, checkpointing module: Module, _ optimizer: (any Optimizer)? = nil,
                                               scheduler: LRScheduler? = nil, every: Int = 1,
                                               state a: inout A, _ b: inout B) throws -> [Int] {
        var pair = StatePair(a: a, b: b)
        let result = try epochs(count, checkpointing: module, optimizer, scheduler: scheduler, every: every, state: &pair)
        a = pair.a
        b = pair.b
        return result
    }

    /// ``epochs(_:checkpointing:_:scheduler:every:state:)`` for a loop that carries three
    /// values; save them with ``finished(epoch:state:_:_:)``.
    public func epochs<A: Codable, B: Codable, D: Codable>(_ count: Int, checkpointing module: Module,
                                                           _ optimizer: (any Optimizer)? = nil, scheduler: LRScheduler? = nil,
                                                           every: Int = 1, state a: inout A, _ b: inout B, _ d: inout D) throws -> [Int] {
        var triple = StatePair(a: StatePair(a: a, b: b), b: d)
        let result = try epochs(count, checkpointing: module, optimizer, scheduler: scheduler, every: every, state: &triple)
        a = triple.a.a
        b = triple.a.b
        d = triple.b
        return result
    }

    /// ``epochs(_:checkpointing:_:scheduler:every:state:)`` for a loop whose body keeps
    /// nothing across epochs but what is checkpointed anyway (module, optimizer, scheduler,
    /// generator, what it logged): `state: .nothing` says so. Mark its epochs with
    /// ``finished(epoch:)``.
    public func epochs(_ count: Int, checkpointing module: Module, _ optimizer: (any Optimizer)? = nil,
                       scheduler: LRScheduler? = nil, every: Int = 1, state: LoopState) throws -> [Int] {
        let store = try checkpointStore()
        let saved = try store.restore(module: module, optimizer: optimizer, scheduler: scheduler)
        return try start(store, saved, count: count, module: module, optimizer: optimizer, scheduler: scheduler,
                     every: every, expectsState: false, declared: true)
    }

    /// Deprecated: say what the loop carries across epochs. A value kept in a local
    /// (`var loss = 0.0 … return Summary(loss: loss)`) keeps its initial value after a
    /// resume; pass it with ``epochs(_:checkpointing:_:scheduler:every:state:)``, or write
    /// `state: .nothing` when there is none.
    @available(*, deprecated, message: "values kept in locals across epochs are lost on a resume: pass them as ctx.epochs(…, state: &value) and save them with ctx.finished(epoch:state:), or write state: .nothing")
    public func epochs(_ count: Int, checkpointing module: Module, _ optimizer: (any Optimizer)? = nil,
                       scheduler: LRScheduler? = nil, every: Int = 1) throws -> [Int] {
        let store = try checkpointStore()
        let saved = try store.restore(module: module, optimizer: optimizer, scheduler: scheduler)
        return try start(store, saved, count: count, module: module, optimizer: optimizer, scheduler: scheduler,
                     every: every, expectsState: false, declared: false)
    }

    private func start(_ store: CheckpointStore, _ saved: CheckpointStore.Saved?, count: Int, module: Module,
                       optimizer: (any Optimizer)?, scheduler: LRScheduler?, training: Training? = nil, every: Int,
                       expectsState: Bool, declared: Bool = true) throws -> [Int] {
        var first = 0
        if let saved {
            first = saved.epoch + 1
            print("[\(step)] resuming after epoch \(first) from its checkpoint")
            if !declared {
                print("[\(step)] note: this loop passes no state to ctx.epochs: values its body keeps across epochs start over (pass them as state:)")
            }
        }
        if let ranks = environment.ranks {
            // Every rank restored rank 0's checkpoint from the shared .lab/: they must resume together.
            let leaderFirst = try ranks.leaderValue(first)
            if leaderFirst != first { throw CheckpointError.ranksDisagree(step: step, rank: ranks.rank, epoch: first, leaderEpoch: leaderFirst) }
        }
        store.configure(module: module, optimizer: optimizer, scheduler: scheduler, training: training, every: max(1, every),
                        expectsState: expectsState)
        return Array(first..<max(first, count))
    }

    /// Marks `epoch` done, saving a checkpoint with the loop's `state` when one is due (see
    /// ``epochs(_:checkpointing:_:scheduler:every:state:)``). Call it last in the loop body.
    /// - Throws: ``CheckpointError`` when the loop was started without a state or outside
    ///   `ctx.epochs`; an I/O error when the checkpoint cannot be written.
    public func finished<S: Codable>(epoch: Int, state: S) throws {
        try checkpointStore().epochDone(epoch, state: try CheckpointStore.encode(state: state))
    }

    /// Marks `epoch` done for the two-value form of ``epochs(_:checkpointing:_:scheduler:every:state:_:)``.
    public func finished<A: Codable, B: Codable>(epoch: Int, state a: A, _ b: B) throws {
        try finished(epoch: epoch, state: StatePair(a: a, b: b))
    }

    /// Marks `epoch` done for the three-value form of ``epochs(_:checkpointing:_:scheduler:every:state:_:_:)``.
    public func finished<A: Codable, B: Codable, D: Codable>(epoch: Int, state a: A, _ b: B, _ d: D) throws {
        try finished(epoch: epoch, state: StatePair(a: StatePair(a: a, b: b), b: d))
    }

    /// Marks `epoch` done in a loop started with `state: .nothing`, saving a checkpoint when
    /// one is due. Call it last in the loop body.
    /// - Throws: ``CheckpointError/stateMissing(step:)`` when the loop was started with a state.
    public func finished(epoch: Int) throws { try checkpointStore().epochDone(epoch, state: nil) }

    /// The step's checkpoint store; only a training step has one.
    private func checkpointStore() throws -> CheckpointStore {
        guard let store = environment.checkpoints else {
            throw CheckpointError.outsideTraining(step: step, kind: environment.kind)
        }
        return store
    }

    /// Epochs `0..<count` of a loop that trains with `training` (model, optimizer, schedule
    /// and step count as one value): everything ``epochs(_:checkpointing:_:scheduler:every:state:)``
    /// checkpoints, and `training.steps`, restored on a resume. The schedule cannot be left out
    /// of the checkpoint, since it is part of `training`.
    ///
    /// ```swift
    /// let training = Training(model, optimizer: AdamW(model.trainableParameters()), schedule: schedule)
    /// var loss = 0.0
    /// for epoch in try ctx.epochs(epochs, training: training, state: &loss) {
    ///     for batch in loader.batches(epoch: epoch) { … training.step(l) … }
    ///     try ctx.finished(epoch: epoch, state: loss)
    /// }
    /// ```
    /// - Throws: as ``epochs(_:checkpointing:_:scheduler:every:state:)``, and
    ///   ``CheckpointError/outsideTraining(step:kind:)`` in a step that is not a training step.
    public func epochs<S: Codable>(_ count: Int, training: Training, every: Int = 1, state: inout S) throws -> [Int] {
        let store = try checkpointStore()
        let saved = try store.restore(module: training.model, optimizer: training.optimizer, scheduler: training.scheduler,
                                      training: training)
        if let saved { state = try store.decodeState(S.self, from: saved) }
        return try start(store, saved, count: count, module: training.model, optimizer: training.optimizer,
                     scheduler: training.scheduler, training: training, every: every, expectsState: true)
    }

    /// ``epochs(_:training:every:state:)`` for a loop that carries two values across epochs;
    /// save them with ``finished(epoch:state:_:)``.
    public func epochs<A: Codable, B: Codable>(_ count: Int, training: Training, every: Int = 1,
                                               state a: inout A, _ b: inout B) throws -> [Int] {
        var pair = StatePair(a: a, b: b)
        let result = try epochs(count, training: training, every: every, state: &pair)
        a = pair.a
        b = pair.b
        return result
    }

    /// ``epochs(_:training:every:state:)`` for a loop that carries three values across
    /// epochs; save them with ``finished(epoch:state:_:_:)``.
    public func epochs<A: Codable, B: Codable, D: Codable>(_ count: Int, training: Training, every: Int = 1,
                                                           state a: inout A, _ b: inout B, _ d: inout D) throws -> [Int] {
        var triple = StatePair(a: StatePair(a: a, b: b), b: d)
        let result = try epochs(count, training: training, every: every, state: &triple)
        a = triple.a.a
        b = triple.a.b
        d = triple.b
        return result
    }

    /// ``epochs(_:training:every:state:)`` for a loop whose body keeps nothing across epochs
    /// beyond `training` and what it logged (`state: .nothing`); mark epochs with ``finished(epoch:)``.
    public func epochs(_ count: Int, training: Training, every: Int = 1, state: LoopState) throws -> [Int] {
        let store = try checkpointStore()
        let saved = try store.restore(module: training.model, optimizer: training.optimizer, scheduler: training.scheduler,
                                      training: training)
        return try start(store, saved, count: count, module: training.model, optimizer: training.optimizer,
                     scheduler: training.scheduler, training: training, every: every, expectsState: false)
    }
}

/// What a training loop carries across epochs besides its checkpointed objects: with
/// `state: .nothing`, nothing (``Context/epochs(_:checkpointing:_:scheduler:every:state:)``
/// takes the values otherwise).
public enum LoopState: Sendable {
    /// The body keeps no value across epochs.
    case nothing
}

/// Two loop-state values saved together.
struct StatePair<A: Codable, B: Codable>: Codable {
    var a: A
    var b: B
}
