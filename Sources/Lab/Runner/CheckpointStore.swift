import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A training step's checkpoint, kept under `.lab/checkpoints/<step key>/` so that a re-run
/// of the same step (same cache key) after a crash resumes after the last finished epoch
/// and ends exactly as an uninterrupted run would.
///
/// A checkpoint holds everything the rest of the step depends on: the module's weights, the
/// optimizer's state, the scheduler's step, libtorch's CPU generator state (so shuffles and
/// dropout masks continue the same stream), the step's recording so far (logged series,
/// metrics, report items, artifacts) and the body's own state (`ctx.epochs(…, state: &x)`).
///
/// Layout: `checkpoint.json` (``CheckpointManifest``: epoch, file, size, SHA-256) and the
/// file it names, `epoch-<k>.safetensors`. A new epoch's file is written and fsync'd under
/// its own name before the manifest is replaced by rename, so a kill leaves a complete
/// checkpoint. A checkpoint that does not match its manifest, or cannot be read, is
/// discarded with a warning naming the file and the reason, and the step starts over.
///
/// Ownership: the run computing the step holds `<key>.lock` beside the folder (`flock`)
/// from before the body starts until the step's entry is committed and the folder removed.
/// The runner also holds the cache entry's lock over lookup → compute → commit, so a second
/// run of the same step waits and then takes the committed entry; the checkpoint lock makes
/// the ownership visible to `lab cache gc`, which leaves a held checkpoint alone.
final class CheckpointStore {
    let folder: URL
    let key: String
    let step: String
    let experiment: String
    /// The step's recorder, whose recording is saved with each checkpoint and restored from it.
    let recorder: StepRecorder?
    private var module: Module?
    private var optimizer: (any Optimizer)?
    private var scheduler: LRScheduler?
    private var training: Training?
    private var every = 1
    /// Whether the loop passes a state value (`ctx.epochs(…, state:)`); `finished` must then pass it too.
    private(set) var expectsState = false
    private var lockDescriptor: Int32?
    /// False on the ranks of a data-parallel run other than rank 0: they restore rank 0's
    /// checkpoint but neither lock nor write it.
    var writes = true

    init(root: URL, key: String, step: String, experiment: String, recorder: StepRecorder?) {
        self.folder = root.appendingPathComponent(key)
        self.key = key
        self.step = step
        self.experiment = experiment
        self.recorder = recorder
    }

    var manifestURL: URL { folder.appendingPathComponent(CheckpointManifest.fileName) }
    var lockPath: String { folder.path + ".lock" }

    // MARK: ownership

    /// Takes the checkpoint's lock for this run, waiting (with a message) while another
    /// process holds it.
    /// - Throws: ``CacheError/io(operation:path:code:)`` when the lock file cannot be made.
    func lock() throws {
        guard writes, lockDescriptor == nil else { return }
        try FileIO.makeDirectories(folder.deletingLastPathComponent())
        if let fd = try FileLock.acquire(lockPath, blocking: false) { lockDescriptor = fd; return }
        print("[\(step)] waiting for the checkpoint's lock (held by another run of this step, or by lab cache gc)")
        lockDescriptor = try FileLock.acquire(lockPath, blocking: true)
    }

    /// Releases the lock, keeping the checkpoint (the step failed: a re-run resumes from it).
    func unlock() {
        guard let fd = lockDescriptor else { return }
        unlink(lockPath)
        FileLock.release(fd)
        lockDescriptor = nil
    }

    /// Removes the checkpoint (the step finished and its entry is committed) and releases the lock.
    func finish() {
        guard writes else { return }
        try? FileManager.default.removeItem(at: folder)
        unlock()
    }

    deinit { unlock() }

    // MARK: resuming

    /// What a verified checkpoint holds, parsed but not yet applied.
    struct Saved {
        var epoch: Int
        var tensors: [String: Tensor]
        var metadata: [String: String]
        var recording: StepRecording?
    }

    /// Restores the last checkpoint into `module`, `optimizer`, `scheduler`, libtorch's
    /// generator and the step's recorder; returns it (for the body's state), or nil when
    /// there is none or it was discarded.
    func restore(module: Module, optimizer: (any Optimizer)?, scheduler: LRScheduler?, training: Training? = nil) throws -> Saved? {
        guard let saved = loadVerified() else { return nil }
        let scheduler = scheduler ?? optimizer.flatMap(LRScheduler.attached(to:))
        do {
            var weights: [String: Tensor] = [:], state: [String: Tensor] = [:]
            for (k, v) in saved.tensors {
                if k.hasPrefix("model.") { weights[String(k.dropFirst(6))] = v }
                if k.hasPrefix("optim.") { state[String(k.dropFirst(6))] = v }
            }
            try withError { try module.loadStateDict(weights) }
            if let optimizer {
                let hyper = Dictionary(uniqueKeysWithValues: saved.metadata.filter { $0.key.hasPrefix("optim.") }
                    .map { (String($0.key.dropFirst(6)), $0.value) })
                try withError { try optimizer.loadStateDict(tensors: state, hyperparameters: hyper) }
            }
            if let scheduler, let steps = saved.metadata["scheduler.steps"].flatMap(Int.init) {
                scheduler.resume(atStep: steps)
            }
            if let training {
                guard let steps = saved.metadata["training.steps"].flatMap(Int.init) else {
                    throw CheckpointError.stateMissingInCheckpoint(step: step)
                }
                training.resume(atStep: steps)
            }
            if let generator = saved.tensors["generator.cpu"] { try Runtime.setGeneratorState(generator) }
            if let recording = saved.recording { try restoreRecording(recording, tensors: saved.tensors) }
        } catch {
            // The file matched its manifest, so it is what this step's code wrote; it still
            // could not be applied. Part of it may be loaded already: do not continue from it.
            try? FileManager.default.removeItem(at: folder)
            throw CheckpointError.unusable(step: step, file: folder.appendingPathComponent("epoch-\(saved.epoch).safetensors").path,
                                           reason: "\(error)")
        }
        return saved
    }

    /// The checkpoint, verified against its manifest and parsed; nil when there is none.
    /// A damaged one is discarded with a warning that names the file and the reason.
    func loadVerified() -> Saved? {
        guard FileManager.default.fileExists(atPath: folder.path) else { return nil }
        let (manifest, problem) = CheckpointManifest.check(folder: folder, key: key)
        let shown = manifest.map { folder.appendingPathComponent($0.file).path } ?? manifestURL.path
        if let problem {
            discard(shown, reason: problem)
            return nil
        }
        guard let manifest else { return nil }
        do {
            let file = try Safetensors.load(folder.appendingPathComponent(manifest.file).path, memoryMapped: false)
            guard let epoch = file.metadata["epoch"].flatMap(Int.init), epoch == manifest.epoch else {
                discard(shown, reason: "its epoch (\(file.metadata["epoch"] ?? "none")) is not the manifest's \(manifest.epoch)")
                return nil
            }
            let recording = try file.metadata["recording"].map { try Self.decoder.decode(StepRecording.self, from: Data($0.utf8)) }
            return Saved(epoch: epoch, tensors: file.tensors, metadata: file.metadata, recording: recording)
        } catch {
            discard(shown, reason: "\(error)")
            return nil
        }
    }

    private func discard(_ file: String, reason: String) {
        print("  ! [\(step)] checkpoint '\(file)' is damaged (\(reason)): discarded, starting the step over")
        try? FileManager.default.removeItem(at: folder)
    }

    /// Adds the checkpoint's recording to the recorder: what the body recorded again before
    /// the loop (the same values, the body being deterministic) is not added twice.
    private func restoreRecording(_ saved: StepRecording, tensors: [String: Tensor]) throws {
        guard let recorder else { return }
        let current = recorder.recording
        for name in saved.series.keys.sorted() {
            for point in saved.series[name]!.dropFirst(current.series[name]?.count ?? 0) {
                recorder.log(name, point.x, point.value)
            }
        }
        for (name, value) in saved.metrics { recorder.metric(name, value) }
        for item in saved.items.dropFirst(current.items.count) { recorder.add(item) }
        for (name, file) in saved.artifacts.sorted(by: { $0.key < $1.key }) {
            guard let bytes = tensors["artifact." + file] else { continue }
            try Data(bytes.asArray(UInt8.self)).write(to: recorder.artifactFolder.appendingPathComponent(file))
            recorder.artifact(name, file: file)
        }
    }

    // MARK: saving

    /// What the checkpoints of this loop hold. A scheduler made for `optimizer` but not
    /// passed is found (``LRScheduler/attached(to:)``) and saved all the same.
    func configure(module: Module, optimizer: (any Optimizer)?, scheduler: LRScheduler?, training: Training? = nil,
                   every: Int, expectsState: Bool) {
        self.module = module; self.optimizer = optimizer
        self.scheduler = scheduler ?? optimizer.flatMap(LRScheduler.attached(to:))
        self.training = training
        self.every = every; self.expectsState = expectsState
    }

    /// Saves a checkpoint after `epoch` when one is due. `state` is the body's state,
    /// encoded (see ``encode(state:)``); it must be given when the loop was started with one.
    func epochDone(_ epoch: Int, state: (json: String, tensors: [String: Tensor])?) throws {
        guard let module else { throw CheckpointError.finishedWithoutEpochs(step: step) }
        if expectsState && state == nil { throw CheckpointError.stateMissing(step: step) }
        if !expectsState && state != nil { throw CheckpointError.stateUnexpected(step: step) }
        guard writes, (epoch + 1) % every == 0 else { return }
        var tensors: [String: Tensor] = [:]
        for (k, v) in module.stateDict() { tensors["model." + k] = v }
        var metadata = ["epoch": "\(epoch)"]
        if let optimizer {
            let (state, hyper) = optimizer.stateDict()
            for (k, v) in state { tensors["optim." + k] = v }
            for (k, v) in hyper { metadata["optim." + k] = v }
        }
        if let scheduler { metadata["scheduler.steps"] = "\(scheduler.stepCount)" }
        if let training { metadata["training.steps"] = "\(training.steps)" }
        tensors["generator.cpu"] = Runtime.generatorState()
        if let state {
            metadata["state"] = state.json
            for (k, v) in state.tensors { tensors["state." + k] = v }
        }
        if let recorder {
            let recording = recorder.recording
            metadata["recording"] = String(decoding: try Self.encoder.encode(recording), as: UTF8.self)
            for file in recording.artifacts.values {
                let bytes = try Data(contentsOf: recorder.artifactFolder.appendingPathComponent(file))
                tensors["artifact." + file] = Tensor(Array(bytes), shape: [bytes.count], dtype: .uint8)
            }
        }
        let name = "epoch-\(epoch).safetensors"
        let data = try withError { try Safetensors.serialize(tensors, metadata: metadata, path: folder.appendingPathComponent(name).path) }
        try FileIO.makeDirectories(folder)
        let (digest, bytes) = try FileIO.writeHashingAndSync(data, to: folder.appendingPathComponent(name))
        let manifest = CheckpointManifest(format: CheckpointManifest.currentFormat, key: key, step: step, experiment: experiment,
                                          epoch: epoch, file: name, bytes: bytes, sha256: digest, savedAt: Date())
        try FileIO.writeDurably(try manifest.encoded(), to: manifestURL)
        // Only now is the previous epoch's file unused.
        for other in (try? FileIO.contents(of: folder)) ?? [] where other != name && other != CheckpointManifest.fileName {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(other))
        }
    }

    // MARK: the body's state

    /// Encodes a state value as JSON, its tensors apart (named by where they sit in it).
    static func encode<S: Codable>(state: S) throws -> (json: String, tensors: [String: Tensor]) {
        let archive = TensorArchive()
        let encoder = Self.encoder
        encoder.userInfo[.tensorArchive] = archive
        let json = try encoder.encode(OutputCoding.Box(value: state))
        return (String(decoding: json, as: UTF8.self), archive.tensors)
    }

    /// Decodes the state saved with a checkpoint.
    func decodeState<S: Codable>(_ type: S.Type, from saved: Saved) throws -> S {
        guard let json = saved.metadata["state"] else { throw CheckpointError.stateMissingInCheckpoint(step: step) }
        var tensors: [String: Tensor] = [:]
        for (k, v) in saved.tensors where k.hasPrefix("state.") { tensors[String(k.dropFirst(6))] = v }
        let decoder = Self.decoder
        decoder.userInfo[.tensorArchive] = TensorArchive(tensors: tensors)
        return try decoder.decode(OutputCoding.Box<S>.self, from: Data(json.utf8)).value
    }

    /// JSON for checkpoints: sorted keys; NaN and infinities as strings, so a diverging loss
    /// does not stop a checkpoint from being written.
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
