#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation

/// Entry point of an experiment file: `Lab.main(experiment)` parses the command line, runs
/// the experiment and exits with 0 (succeeded), 1 (a step failed), 2 (bad arguments) or
/// 130 (interrupted).
public func main<C: ExperimentConfig>(_ experiment: Experiment<C>) -> Never {
    MainGuard.markEntered()
    // Line-buffered output: progress and step lines appear as they happen in a log or CI too.
    setvbuf(stdout, nil, _IOLBF, 0)
    let environment = ProcessInfo.processInfo.environment
    do {
        let options = try RunOptions.parse(Array(CommandLine.arguments.dropFirst()), environment: environment)
        if options.keysOnly {
            // `BINARY keys`: every step's key as JSON, for `lab status`; nothing runs and nothing is written.
            let config = try experiment.config.overriding(options.assignments)
            let keys = StepKeys(experiment: experiment, config: config, source: try SourceFile.compiled(path: experiment.file),
                                fingerprint: environment["LAB_FINGERPRINT"] ?? Runner<C>.unknownFingerprint,
                                seed: options.seed, smoke: options.smoke, device: options.device)
            print(keys.json())
            exit(0)
        }
        let runner = try Runner(experiment: experiment, options: options, fingerprint: environment["LAB_FINGERPRINT"])
        if let request = options.export { exit(runner.export(request)) }
        // Started by `lab run --nproc`: join the other ranks (rank 0 hosts the rendezvous).
        runner.ranks = try Ranks.join(environment: environment)
        exit(runner.run())
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        exit(2)
    }
}

/// Runs one experiment: keys every step, takes hits from the cache, runs the misses in
/// order, records everything in the run store.
final class Runner<C: ExperimentConfig> {
    let experiment: Experiment<C>
    let options: RunOptions
    let config: C
    let source: SourceFile
    let fingerprint: String
    let labFolder: URL
    let store: RunStore
    let cache: CacheStore
    var values: [Int: Any] = [:]
    var hits: [Int: URL] = [:]
    var keys: [Int: CacheKey] = [:]
    /// This run's id and metric logger, once it is recorded (for steps recomputed on demand).
    var runId = ""
    var logger: MetricLogger?
    /// This process's place in a data-parallel run; nil when it runs alone.
    var ranks: Ranks?

    init(experiment: Experiment<C>, options: RunOptions, fingerprint: String?) throws {
        self.experiment = experiment
        self.options = options
        self.config = try experiment.config.overriding(options.assignments)   // bad --set: fails before anything runs
        self.source = try SourceFile.compiled(path: experiment.file)
        self.fingerprint = fingerprint ?? Self.unknownFingerprint
        labFolder = URL(fileURLWithPath: options.root).appendingPathComponent(".lab")
        try FileManager.default.createDirectory(at: labFolder, withIntermediateDirectories: true)
        // .lab/ holds caches and the run store, never sources: keep it out of git (and out of the dirty flag).
        let ignore = labFolder.appendingPathComponent(".gitignore")
        if !FileManager.default.fileExists(atPath: ignore.path) {
            try? Data("# Lab's run store and caches: not for version control.\n*\n".utf8).write(to: ignore)
        }
        store = try RunStore(path: labFolder.appendingPathComponent("lab.sqlite").path)
        cache = try CacheStore(root: labFolder.appendingPathComponent("cache"))
    }

    // MARK: keys

    func computeKeys() -> [Int: CacheKey] {
        StepKeys(experiment: experiment, config: config, source: source, fingerprint: fingerprint,
                 seed: options.seed, smoke: options.smoke, device: options.device).compute()
    }

    // MARK: running

    func run() -> Int32 {
        if let ranks, !ranks.leads { return follow(ranks) }
        keys = computeKeys()
        let runId = ProcessInfo.processInfo.environment[Ranks.Key.runId] ?? Self.newRunId()
        let git: GitInfo?
        var notes: [String] = []
        // reports/ is Lab's own output, not the researcher's edit: it does not make the run dirty.
        do { git = try Git.inspect(path: options.root, excluding: [options.root + "/reports"]) } catch { git = nil; notes.append("git: \(error)") }
        if let note = GitInfo.note(for: git) { notes.append(note) }
        var record = RunRecord(
            id: runId, experiment: experiment.name, status: .running, startedAt: Date(), endedAt: nil,
            failedStep: nil, error: nil, errorLocation: nil,
            gitCommit: git?.commit, gitBranch: git?.branch, gitRemote: git?.remote,
            gitDirty: git?.isDirty, gitPatch: git?.patch,
            environment: environmentJSON(), config: (try? config.jsonText()) ?? "{}",
            rootSeed: Int64(bitPattern: options.seed), smoke: options.smoke,
            pid: getpid(), hostname: RunStore.currentHostname)
        // Crashes of earlier runs in this folder (a Swift trap in a step): record them first.
        CrashReports.collect(store: store, folder: labFolder.appendingPathComponent("crashes"))
        if options.dryRun {
            // Keys and lookups only: nothing runs, nothing is recorded or written.
            explain(heading: "dry run of \(experiment.name): what `lab run` would do now")
            print("dry run: no step ran; nothing was recorded")
            return 0
        }
        do { try store.insert(record) } catch {
            FileHandle.standardError.write(Data("error: cannot record the run in \(labFolder.path)/lab.sqlite: \(error)\n".utf8))
            return 1
        }
        store.recording("the experiment's source (its report will lack prose and code)") { try store.saveSource(runId: runId, path: experiment.file, text: source.lines.joined(separator: "\n")) }
        let logger = MetricLogger(store: store, runId: runId)
        Interrupts.install(store: store, runId: runId, logger: logger)
        CrashReports.install(runId: runId, folder: labFolder.appendingPathComponent("crashes"))
        self.runId = runId
        self.logger = logger

        let commit = git.map { ($0.commit.map { String($0.prefix(10)) } ?? "no commit") + ($0.isDirty ? ", dirty" : "") } ?? "no git"
        let world = ranks.map { "  \($0.worldSize) ranks" } ?? ""
        print("run \(runId)  \(experiment.name)  (\(commit))\(options.smoke ? "  smoke" : "")\(world)")
        for note in notes { print("  note: \(note)") }
        if options.explain { explain(heading: "explain:") }

        var failed = false
        for node in experiment.nodes {
            if failed {
                let key = keys[node.index]!
                let step = StepRecord(runId: runId, name: node.name, kind: node.kind.rawValue, key: key.hex, cacheHit: false,
                                      status: "not run", seconds: 0, keyParts: keyPartsJSON(key), sourceLine: node.line)
                store.recording("step '\(node.name)' (\(step.status))") { try store.record(step) }
                continue
            }
            if let failure = runStep(node, runId: runId, logger: logger) {
                failed = true
                record.status = .failed
                record.failedStep = failure.step
                record.error = failure.message
                record.errorLocation = failure.location
            }
        }
        store.recording("part of the run's metric series") { try store.retrying { try logger.close() } }
        record.endedAt = Date()
        if !failed { record.status = .succeeded }
        // The final status is what `lab ls` and the report show: retried, and a run whose end
        // cannot be recorded exits non-zero even when every step succeeded (D20).
        let ended = store.recording("the run's final status (\(record.status.rawValue))") { try store.retrying { try store.update(record) } }
        var metrics: [SummaryRecord] = []
        store.reading("the run's metrics, to print them") { metrics = try store.summaries(runId: runId) }
        if !metrics.isEmpty {
            print("metrics:")
            for m in metrics { print("  \(m.step)/\(m.name)  \(String(format: "%.6g", m.value))") }
        }
        // A run recorded as on a GPU whose steps never put a tensor there computed on the CPU: say so.
        if case .cuda = options.device, experiment.nodes.contains(where: { hits[$0.index] == nil }),
           let memory = try? Runtime.memory(on: options.device), memory.peakAllocated == 0 {
            print("warning: no tensor of this run was ever on \(options.device): its steps computed on the CPU (the experiment does not move its model and batches to ctx.device), though the run records --device \(options.device)")
        }
        if !ended {
            FileHandle.standardError.write(Data("error: run \(runId) \(record.status.rawValue), but the store still says it is running (lab ls shows it crashed); no report written. Free space on the disk holding \(labFolder.path) and run again.\n".utf8))
            return 1
        }
        do {
            let written = try Reporting.write(store: store, runId: runId, root: URL(fileURLWithPath: options.root))
            let path = written.folder.path.replacingOccurrences(of: options.root + "/", with: "")
            if written.published {
                print("report: \(path)/README.md, index.html")
            } else {
                print("report: \(path)/README.md, index.html (not published to reports/: \(written.deviations.joined(separator: "; ")); "
                      + "lab report \(runId) --publish publishes it)")
            }
        } catch {
            print("note: the report could not be written: \(error)")
        }
        print(failed ? "run \(runId) failed; the steps that finished are cached, a re-run resumes at '\(record.failedStep ?? "")'"
                     : "run \(runId) succeeded")
        return failed ? 1 : 0
    }

    /// The value of a step's output: computed this run, or loaded from its cache entry on first use.
    ///
    /// An entry that matched its manifest but does not decode (written by a buggy Lab, or a
    /// consistent edit of its files) is the producing step's fault, not the consumer's: it is
    /// evicted and that step recomputed here; if the recomputation fails, the failure is the
    /// producer's (``UpstreamFailure``).
    func value(of index: Int) throws -> Any {
        if let v = values[index] { return v }
        let node = experiment.nodes[index]
        guard let folder = hits[index] else { fatalError("step '\(node.name)' has neither run nor a cache entry") }
        do {
            let v = try withError { try node.load(folder, environment(for: node, recorder: nil), { try node.inputs.map { try self.value(of: $0) } }) }
            values[index] = v
            return v
        } catch {
            // Data parallel: no rank recomputes alone (the others would not join a training step's
            // collectives). Rank 0 evicts the entry, so that the next run computes it; the step fails.
            if let ranks {
                if ranks.leads { _ = try? cache.remove(key: keys[index]!.hex) }
                throw UpstreamFailure(node: node, error: error)
            }
            hits[index] = nil
            let key = keys[index]!
            print("  ! \(pad(node.name))  cache entry cannot be decoded (\(error)): evicted, recomputing")
            do {
                try cache.withLock(key: key.hex) {
                    _ = try? cache.remove(key: key.hex)
                    try executeRecorded(node, key: key, streamLogs: false)   // its series came from the entry already
                }
            } catch let failure as UpstreamFailure {
                throw failure
            } catch {
                throw UpstreamFailure(node: node, error: error)
            }
            return values[index]!
        }
    }

    func environment(for node: Node, recorder: StepRecorder?, checkpoints: CheckpointStore? = nil) -> StepEnvironment {
        StepEnvironment(config: config, seed: stepSeed(root: node.seedScope.root(options.seed), step: node.name), smoke: options.smoke,
                        device: options.device, step: node.name, kind: node.kind.rawValue,
                        recorder: recorder ?? StepRecorder(artifactFolder: FileManager.default.temporaryDirectory, onLog: { _, _, _ in }),
                        checkpoints: checkpoints, ranks: ranks)
    }

    func execute(_ node: Node, key: CacheKey, runId: String, logger: MetricLogger, streamLogs: Bool = true) throws {
        let staged = try cache.stage()
        let recorder = StepRecorder(artifactFolder: staged) { [store] name, x, value in
            guard streamLogs else { return }
            store.recording("the series '\(name)' of step '\(node.name)' (some points)", once: true) { try logger.log(step: node.name, name: name, x: Int64(x), value: value) }
        }
        // The checkpoint is this run's while the step computes (see CheckpointStore).
        let checkpoints = node.kind == .train
            ? CheckpointStore(root: labFolder.appendingPathComponent("checkpoints"), key: key.hex, step: node.name,
                              experiment: experiment.name, recorder: recorder) : nil
        try checkpoints?.lock()
        defer { checkpoints?.unlock() }
        let inputs = try node.inputs.map { try value(of: $0) }
        CrashReports.enter(step: node.name, location: location(of: node))
        defer { CrashReports.leave() }
        let env = environment(for: node, recorder: recorder, checkpoints: checkpoints)
        let output = try withError { () -> Any in
            manualSeed(env.seed)
            return try node.run(env, inputs)
        }
        values[node.index] = output
        try withError {
            try node.save(output) { data, name in
                if data.count >= 1 << 20 {
                    try cache.write(data, named: name, into: staged)   // hashed while written
                } else {
                    try data.write(to: staged.appendingPathComponent(name))
                }
            }
        }
        let recording = recorder.recording
        try NonFinite.encoder().encode(recording).write(to: staged.appendingPathComponent("recording.json"))
        try cache.commit(key: key.hex, staged: staged, step: node.name, experiment: experiment.name,
                         meta: ["kind": node.kind.rawValue])
        for (name, value) in recording.metrics { store.recording("the metric '\(name)' of step '\(node.name)'") { try store.setSummary(runId: runId, step: node.name, name: name, value: value) } }
        saveItems(recording.items, runId: runId, step: node.name)
        checkpoints?.finish()
    }

    /// Copies a cached step's logged series and metrics into this run's records. Returns
    /// false, recording nothing, when the entry's `recording.json` cannot be decoded.
    @discardableResult
    func restoreRecording(from folder: URL, step: String, runId: String, logger: MetricLogger) -> Bool {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("recording.json")),
              let recording = try? NonFinite.decoder().decode(StepRecording.self, from: data) else { return false }
        for (name, points) in recording.series {
            for p in points { store.recording("the series '\(name)' of step '\(step)' (some points)", once: true) { try logger.log(step: step, name: name, x: Int64(p.x), value: p.value) } }
        }
        for (name, value) in recording.metrics { store.recording("the metric '\(name)' of step '\(step)'") { try store.setSummary(runId: runId, step: step, name: name, value: value) } }
        saveItems(recording.items, runId: runId, step: step)
        return true
    }

    func saveItems(_ items: [ReportItem], runId: String, step: String) {
        guard !items.isEmpty, let data = try? NonFinite.encoder().encode(items) else { return }
        store.recording("the report items of step '\(step)'") { try store.saveStepOutputs(runId: runId, step: step, itemsJSON: String(decoding: data, as: UTF8.self)) }
    }

    // MARK: helpers

    /// The library fingerprint of a binary started without `lab` (no `LAB_FINGERPRINT`).
    static var unknownFingerprint: String { "libtorch \(Runtime.libtorchVersion); Lab sources unknown" }

    /// "20261129-110203-3f9a": the UTC start time and 4 random hex digits.
    static func newRunId() -> String { makeRunId() }

    func keyPartsJSON(_ key: CacheKey) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: key.recordedParts, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The fields whose value differs from the experiment's own config, each with the
    /// experiment's value as JSON text.
    func configOverrides() -> [String: String] {
        let own = Dictionary(uniqueKeysWithValues: experiment.config.fields.map { ($0.name, $0.json) })
        var out: [String: String] = [:]
        for field in config.fields where own[field.name] != field.json { out[field.name] = own[field.name] ?? "null" }
        return out
    }

    func environmentJSON() -> String {
        let machine = MachineInfo.current()
        var info: [String: Any] = [
            "libtorch": Runtime.libtorchVersion, "swift": machine.swiftVersion, "os": machine.os,
            "cpu": machine.cpuModel, "logical_cores": machine.logicalCores, "memory_bytes": machine.memoryBytes,
            // Float results depend on the kernels libtorch picks for this CPU (see CPUInfo).
            "cpu_vector_extensions": CPUInfo.current.vectorExtensions.joined(separator: " "),
            "aten_cpu_capability": CPUInfo.current.atenCapability,
            "intra_op_threads": Runtime.threads, "interop_threads": Runtime.interopThreads,
            "library_fingerprint": fingerprint,
            "regression_thresholds": experiment.thresholds,
            // Field → the experiment's own value, for each field --set changed: the run is not the
            // experiment as declared, so its report is not published (see Reporting).
            "config_overrides": configOverrides(),
            // Data-parallel ranks (lab run --nproc); their gradients are averaged, so results agree with one process's within float rounding.
            "world_size": ranks?.worldSize ?? 1,
            // Where the steps computed (--device); part of every step's key.
            "device": options.device.description,
        ]
        if case .cuda(let index) = options.device {
            info.merge(GPUInfo.environment(index: index)) { $1 }
        }
        let data = (try? JSONSerialization.data(withJSONObject: info, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    lazy var width: Int = experiment.nodes.map(\.name.count).max() ?? 8
    func pad(_ name: String) -> String { name.count > 60 ? String(name.prefix(59)) + "…" : name.padding(toLength: min(max(width, name.count), 60), withPad: " ", startingAt: 0) }
}

/// A new run id, "20261129-110203-3f9a": the UTC start time and 4 random hex digits.
package func makeRunId() -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.locale = Locale(identifier: "en_US_POSIX")
    return formatter.string(from: Date()) + "-" + String(format: "%04x", UInt16.random(in: 0...UInt16.max))
}
