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
    /// The experiment file relative to the project folder, as a `results.json` names it.
    var sourcePath: String? = nil
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
            metrics: metrics, source: try store.source(runId: record.id), sourcePath: nil, recordSource: "the run store")
    }

    /// A `results.json` (``ResultsFile``, read with `JSONDecoder`, which gives back the exact
    /// Double `JSONEncoder` wrote; `JSONSerialization` on Linux is an ulp off at times): its
    /// metrics are what is checked. When the store has its run, the record supplies the patch,
    /// machine and source, and must agree with the file's commit, config, seed and smoke flag;
    /// otherwise the file's own commit, config, seed, source, machine and library are used.
    static func fromResults(_ path: String, store: RunStore?) throws -> RecordedRun {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReproduceError.badResults(path: path, reason: "no such file")
        }
        let file: ResultsFile
        do { file = try ResultsFile.decode(data) } catch {
            throw ReproduceError.badResults(path: path, reason: "it is not a results.json (\(Self.describe(error)))")
        }
        let id = file.runId
        let config = JSONValue.object(file.config).text
        let seed = UInt64(bitPattern: file.seed)
        let label = "\(path) (results.json)"

        let stored: RecordedRun?
        do { stored = try store.map { try fromStore($0, id: id) } } catch StoreError.noSuchRun(_) { stored = nil }
        guard var run = stored, run.id == id else {
            let machine = Reproduction.Machine(
                cpu: file.machine["cpu"], vectorExtensions: file.machine["cpu_vector_extensions"],
                atenCapability: file.machine["aten_cpu_capability"], libtorch: file.machine["libtorch"],
                threads: file.machine["intra_op_threads"].flatMap { Int($0) }, libraryFingerprint: file.library)
            // The source path is relative to the project folder; its text is not in the file.
            return RecordedRun(id: id, experiment: file.experiment, status: file.status, commit: file.commit,
                               dirty: file.dirty ?? false, patch: nil, config: config, seed: seed, smoke: file.smoke,
                               machine: machine, metrics: file.metrics, source: nil, sourcePath: file.source, recordSource: label)
        }
        func agree(_ name: String, _ inFile: String, _ recorded: String) throws {
            if inFile != recorded {
                throw ReproduceError.resultsDisagree(path: path, runId: id, field: name, file: inFile, store: recorded)
            }
        }
        try agree("commit", file.commit ?? "none", run.commit ?? "none")
        try agree("seed", String(seed), String(run.seed))
        try agree("smoke", String(file.smoke), String(run.smoke))
        if !sameJSON(config, run.config) { try agree("config", config, run.config) }
        run.metrics = file.metrics
        run.recordSource = label + ", with the run store's record of the run"
        return run
    }

    /// A decoding error as a phrase naming the key.
    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "no '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' cannot be read"
        default: return "\(error)"
        }
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
        guard let x = try? JSONDecoder().decode(JSONValue.self, from: Data(a.utf8)),
              let y = try? JSONDecoder().decode(JSONValue.self, from: Data(b.utf8)) else { return a == b }
        return same(x, y)
    }

    /// Equal values, an integer equal to the same number written as a double (`1`, `1.0`).
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case let (.int(x), .double(y)), let (.double(y), .int(x)): return Double(x) == y
        case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy(same)
        case let (.object(x), .object(y)): return Set(x.keys) == Set(y.keys) && x.allSatisfy { same($0.value, y[$0.key]!) }
        default: return a == b
        }
    }

    /// The members of a config's JSON object; nil when the text is not one.
    static func members(_ config: String) -> [String: JSONValue]? {
        guard case .object(let members)? = try? JSONDecoder().decode(JSONValue.self, from: Data(config.utf8)) else { return nil }
        return members
    }

    /// The config's fields as (name, JSON text), sorted by name.
    static func configEntries(_ config: String) -> [Reproduction.ConfigEntry] {
        let object = members(config) ?? [:]
        return object.keys.sorted().map { Reproduction.ConfigEntry(key: $0, value: object[$0]!.text) }
    }
}
