import Foundation
import Lab

/// The run `lab reproduce` makes again, as recorded: from the run store, or from a
/// `results.json` (its metrics; the rest from the store's record of its run when there is one).
struct RecordedRun {
    var id: String
    var experiment: String
    var status: String
    var commit: String?
    var dirty: Bool
    /// The recorded patch; nil when the record has none (a `results.json` alone).
    var patch: String?
    /// The config as a JSON object's text.
    var config: String
    var seed: UInt64
    var smoke: Bool
    var machine: Reproduction.Machine
    /// Summary metrics by `step/name`.
    var metrics: [String: Double]
    /// The experiment file as it ran (absolute path then, text).
    var source: (path: String, text: String)?
    /// `the run store`, or `<path> (results.json)`.
    var recordSource: String

    /// Reads `argument`: a `results.json` path (an existing file, or a name ending in `.json`),
    /// else a run id or unique prefix in the store of the project at `root`.
    static func load(_ argument: String, root: URL) throws -> RecordedRun {
        let storePath = root.appendingPathComponent(".lab/lab.sqlite").path
        let hasStore = FileManager.default.fileExists(atPath: storePath)
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder)
        guard argument.hasSuffix(".json") || (exists && !isFolder.boolValue) else {
            guard hasStore else { throw StoreError.noSuchRun(id: argument) }
            return try fromStore(try RunStore.reading(path: storePath), id: argument)
        }
        return try fromResults(argument, store: hasStore ? try RunStore.reading(path: storePath) : nil)
    }

    static func fromStore(_ store: RunStore, id: String) throws -> RecordedRun {
        let record = try store.run(id: id)
        var metrics: [String: Double] = [:]
        for s in try store.summaries(runId: record.id) { metrics["\(s.step)/\(s.name)"] = s.value }
        return RecordedRun(
            id: record.id, experiment: record.experiment, status: record.status.rawValue, commit: record.gitCommit,
            dirty: record.gitDirty ?? false, patch: record.gitPatch, config: record.config,
            seed: UInt64(bitPattern: record.rootSeed), smoke: record.smoke, machine: machine(environment: record.environment),
            metrics: metrics, source: try store.source(runId: record.id), recordSource: "the run store")
    }

    /// A `results.json`: its metrics are what is checked. When the store has its run, the
    /// record supplies the patch, machine and source, and must agree with the file's commit,
    /// config, seed and smoke flag.
    static func fromResults(_ path: String, store: RunStore?) throws -> RecordedRun {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReproduceError.badResults(path: path, reason: "no such file")
        }
        guard let object = (try? JSONDecoder().decode(JSONValue.self, from: data))?.members else {
            throw ReproduceError.badResults(path: path, reason: "it is not a JSON object")
        }
        func missing(_ key: String) -> ReproduceError {
            ReproduceError.badResults(path: path, reason: "it has no '\(key)' of the type results.json gives it")
        }
        guard case .string(let id)? = object["run_id"] else { throw missing("run_id") }
        guard let rawMetrics = object["metrics"]?.members else { throw missing("metrics") }
        var metrics: [String: Double] = [:]
        for (name, value) in rawMetrics {
            guard let number = value.number else {
                throw ReproduceError.badResults(path: path, reason: "its metric '\(name)' is not a number")
            }
            metrics[name] = number
        }
        guard let configObject = object["config"], configObject.members != nil else { throw missing("config") }
        let config = configObject.text
        var commit: String?
        if case .string(let c)? = object["commit"] { commit = c }
        var dirty = false
        if case .bool(let d)? = object["dirty"] { dirty = d }
        guard case .int(let seedValue)? = object["seed"] else { throw missing("seed") }
        let seed = UInt64(bitPattern: seedValue)
        var smoke = false
        if case .bool(let b)? = object["smoke"] { smoke = b }
        var status = "succeeded"
        if case .string(let s)? = object["status"] { status = s }
        var experiment = ""
        if case .string(let e)? = object["experiment"] { experiment = e } else { throw missing("experiment") }
        let label = "\(path) (results.json)"

        let stored: RecordedRun?
        do { stored = try store.map { try fromStore($0, id: id) } } catch StoreError.noSuchRun(_) { stored = nil }
        guard var run = stored, run.id == id else {
            return RecordedRun(id: id, experiment: experiment, status: status,
                               commit: commit, dirty: dirty, patch: nil, config: config, seed: seed, smoke: smoke,
                               machine: Reproduction.Machine(), metrics: metrics, source: nil, recordSource: label)
        }
        func agree(_ name: String, _ file: String, _ recorded: String) throws {
            if file != recorded {
                throw ReproduceError.resultsDisagree(path: path, runId: id, field: name, file: file, store: recorded)
            }
        }
        try agree("commit", commit ?? "none", run.commit ?? "none")
        try agree("seed", String(seed), String(run.seed))
        try agree("smoke", String(smoke), String(run.smoke))
        if !sameJSON(config, run.config) { try agree("config", config, run.config) }
        run.metrics = metrics
        run.recordSource = label + ", with the run store's record of the run"
        return run
    }

    /// The recorded patch as it can be applied again, or nil for a clean run.
    /// - Throws: ``ReproduceError/patchUnavailable(runId:reason:)`` when the run was dirty and
    ///   the patch is absent, cut at its size limit, or shows binary files without content.
    func applicablePatch() throws -> RecordedPatch? {
        guard dirty else { return nil }
        guard let patch else {
            throw ReproduceError.patchUnavailable(runId: id, reason: "results.json records no patch and this project's run store "
                + "does not hold the run (its patch is in the store of the machine that ran it)")
        }
        let parsed = RecordedPatch(patch)
        if let cut = parsed.cut {
            throw ReproduceError.patchUnavailable(runId: id, reason: "its recorded patch is incomplete (\(cut.dropFirst(2)))")
        }
        if !parsed.binaryFiles.isEmpty {
            throw ReproduceError.patchUnavailable(runId: id, reason: "its patch records binary files by name only ("
                + parsed.binaryFiles.joined(separator: ", ") + ")")
        }
        return parsed
    }

    /// The machine fields of a run's `environment` JSON.
    static func machine(environment: String) -> Reproduction.Machine {
        let info = (try? JSONSerialization.jsonObject(with: Data(environment.utf8))) as? [String: Any] ?? [:]
        func text(_ key: String) -> String? { info[key] as? String }
        return Reproduction.Machine(
            cpu: text("cpu"), vectorExtensions: text("cpu_vector_extensions"), atenCapability: text("aten_cpu_capability"),
            libtorch: text("libtorch"), threads: (info["intra_op_threads"] as? NSNumber)?.intValue,
            libraryFingerprint: text("library_fingerprint"))
    }

    /// Whether two JSON texts hold equal values (key order and number spelling aside).
    static func sameJSON(_ a: String, _ b: String) -> Bool {
        guard let x = try? JSONValue(parsing: a), let y = try? JSONValue(parsing: b) else { return a == b }
        return x == y
    }

    /// The config's fields as (name, JSON text), sorted by name.
    static func configEntries(_ config: String) -> [Reproduction.ConfigEntry] {
        let object = (try? JSONValue(parsing: config))?.members ?? [:]
        return object.keys.sorted().map { Reproduction.ConfigEntry(key: $0, value: object[$0]!.text) }
    }
}
