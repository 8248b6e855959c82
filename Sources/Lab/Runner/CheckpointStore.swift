import Foundation

/// A training step's checkpoints, kept under `.lab/checkpoints/<step key>/` so that a
/// re-run of the same step (same cache key) after a crash resumes from the last one.
/// Removed when the step finishes.
final class CheckpointStore {
    let folder: URL
    private var module: Module?
    private var optimizer: (any Optimizer)?
    private var scheduler: LRScheduler?
    private var every = 1

    init(folder: URL) { self.folder = folder }

    var file: URL { folder.appendingPathComponent("checkpoint.safetensors") }

    func configure(module: Module, optimizer: (any Optimizer)?, scheduler: LRScheduler?, every: Int) {
        self.module = module; self.optimizer = optimizer; self.scheduler = scheduler; self.every = every
    }

    /// Loads the last checkpoint into `module`, `optimizer` and `scheduler`; returns its epoch, or nil.
    func restore(module: Module, optimizer: (any Optimizer)?, scheduler: LRScheduler?) throws -> Int? {
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        let saved = try Safetensors.load(file.path, memoryMapped: false)
        guard let epoch = saved.metadata["epoch"].flatMap(Int.init) else { return nil }
        var weights: [String: Tensor] = [:], state: [String: Tensor] = [:]
        for (k, v) in saved.tensors {
            if k.hasPrefix("model.") { weights[String(k.dropFirst(6))] = v }
            if k.hasPrefix("optim.") { state[String(k.dropFirst(6))] = v }
        }
        try module.loadStateDict(weights)
        if let optimizer {
            let hyper = Dictionary(uniqueKeysWithValues: saved.metadata.filter { $0.key.hasPrefix("optim.") }
                .map { (String($0.key.dropFirst(6)), $0.value) })
            try optimizer.loadStateDict(tensors: state, hyperparameters: hyper)
        }
        if let scheduler, let steps = saved.metadata["scheduler.steps"].flatMap(Int.init) {
            scheduler.resume(atStep: steps)
        }
        return epoch
    }

    func epochDone(_ epoch: Int) throws {
        guard let module, (epoch + 1) % every == 0 else { return }
        var tensors: [String: Tensor] = [:]
        for (k, v) in module.stateDict() { tensors["model." + k] = v }
        var metadata = ["epoch": "\(epoch)"]
        if let optimizer {
            let (state, hyper) = optimizer.stateDict()
            for (k, v) in state { tensors["optim." + k] = v }
            for (k, v) in hyper { metadata["optim." + k] = v }
        }
        if let scheduler { metadata["scheduler.steps"] = "\(scheduler.stepCount)" }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Safetensors.save(tensors, metadata: metadata, to: file.path)   // temporary file, then rename
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}
