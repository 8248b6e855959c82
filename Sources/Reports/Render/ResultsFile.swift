import Foundation

/// `reports/<experiment>/results.json`: the committed record of a published run, which
/// `reports/README.md`, `lab status` and `lab pr-report` read from the working tree or from
/// git, with no run store.
///
/// It holds what a reviewer and CI need: the run's id, commit and dirty flag, its config,
/// seed and mode, how it deviates from the experiment as declared, its final metrics and
/// declared regression thresholds, the machine and library it ran on, and every step's
/// cache key with the key's parts, so that a key recomputed from the code at any commit
/// tells whether the report is still what that code computes.
///
/// Keys are snake_case and sorted, so the same run always gives the same bytes and a
/// re-run changes only the lines that changed. Files written before `schema` 2 lack the
/// newer keys; they decode with those empty.
public struct ResultsFile: Codable, Sendable, Equatable {
    /// The layout's version: 2 since step keys, deviations, thresholds and the machine were added.
    public static let currentSchema = 2

    /// The layout this file was written in (1 when the file has no `schema` key).
    public var schema: Int
    /// The run's identifier (`run_id`).
    public var runId: String
    /// The experiment's name.
    public var experiment: String
    /// "succeeded", "failed", …
    public var status: String
    /// The commit the run was made at; nil outside git or before the first commit.
    public var commit: String?
    /// The branch checked out; nil outside git or on a detached head.
    public var branch: String?
    /// Whether the run had uncommitted changes (outside `reports/`); nil outside git.
    public var dirty: Bool?
    /// When the run started (ISO 8601 in the file); nil in files that lack it.
    public var startedAt: Date?
    /// The experiment file relative to the project folder.
    public var source: String?
    /// The config the run used, field → value.
    public var config: [String: JSONValue]
    /// The run's root seed (0 in files that lack it).
    public var seed: Int64
    /// True for a smoke run (reduced data and steps).
    public var smoke: Bool
    /// How the run differs from the experiment as declared (see ``RunInfo/deviations``).
    public var deviations: [String]
    /// Final metrics, "step/name" → value.
    public var metrics: [String: Double]
    /// Regression thresholds the experiment declared, metric → signed delta (the bad
    /// direction's sign: -0.01 for an accuracy that may drop by 0.01).
    public var thresholds: [String: Double]
    /// The steps in source order.
    public var steps: [Step]
    /// The library fingerprint the steps were keyed with (Lab's sources and libtorch).
    public var library: String?
    /// The machine: `cpu`, `cpu_vector_extensions`, `aten_cpu_capability`, `libtorch`, `os`,
    /// `intra_op_threads` (parallel reductions split their work by it).
    public var machine: [String: String]

    /// One step as the record keeps it.
    public struct Step: Codable, Sendable, Equatable {
        /// The step's name as declared.
        public var name: String
        /// "data", "model", "train", "eval" or "step".
        public var kind: String
        /// The step's cache key.
        public var key: String
        /// The key's parts by name, and `config.fields` (the fields the key covers, `*` for all).
        public var parts: [String: String]

        /// A step record from its parts.
        public init(name: String, kind: String, key: String, parts: [String: String]) {
            self.name = name; self.kind = kind; self.key = key; self.parts = parts
        }
    }

    /// The record of `doc`'s run.
    public init(_ doc: ReportDocument) {
        let run = doc.run
        schema = Self.currentSchema
        runId = run.id; experiment = run.experiment; status = run.status; commit = run.commit; branch = run.branch
        dirty = run.dirty; startedAt = run.startedAt; source = run.sourcePath; seed = run.seed; smoke = run.smoke
        deviations = run.deviations
        config = Dictionary(doc.config.map { ($0.key, JSONValue(parsing: $0.value)) }, uniquingKeysWith: { _, last in last })
        metrics = Dictionary(doc.metrics.map { ($0.step + "/" + $0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        let declared = run.environment["regression_thresholds"].flatMap {
            try? JSONDecoder().decode([String: Double].self, from: Data($0.utf8))
        }
        thresholds = declared ?? [:]
        steps = doc.steps.map { Step(name: $0.name, kind: $0.kind, key: $0.key, parts: $0.keyParts) }
        library = run.environment["library_fingerprint"]
        machine = run.environment.filter { Self.machineKeys.contains($0.key) }
    }

    /// The environment entries kept as the machine.
    static let machineKeys: Set<String> = ["cpu", "cpu_vector_extensions", "aten_cpu_capability", "libtorch", "os", "intra_op_threads"]

    /// Reads a `results.json`.
    /// - Throws: `DecodingError` when `data` is not a results file (the error names the missing or mistyped key).
    public static func decode(_ data: Data) throws -> ResultsFile {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try decoder.decode(ResultsFile.self, from: data)
    }

    /// The file's text (sorted keys, a trailing newline).
    public var text: String { JSONRenderer.encode(self) }

    enum CodingKeys: String, CodingKey {
        case schema, runId = "run_id", experiment, status, commit, branch, dirty, startedAt = "started_at", source
        case config, seed, smoke, deviations, metrics, thresholds, steps, library, machine
    }

    /// Decodes a results file; keys added after schema 1 default to empty (or 0, false, nil).
    /// - Throws: `DecodingError` when `run_id`, `experiment` or `status` is missing, or a key has the wrong type.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decodeIfPresent(Int.self, forKey: .schema) ?? 1
        runId = try c.decode(String.self, forKey: .runId)
        experiment = try c.decode(String.self, forKey: .experiment)
        status = try c.decode(String.self, forKey: .status)
        commit = try c.decodeIfPresent(String.self, forKey: .commit)
        branch = try c.decodeIfPresent(String.self, forKey: .branch)
        dirty = try c.decodeIfPresent(Bool.self, forKey: .dirty)
        startedAt = try c.decodeIfPresent(Date.self, forKey: .startedAt)
        source = try c.decodeIfPresent(String.self, forKey: .source)
        config = try c.decodeIfPresent([String: JSONValue].self, forKey: .config) ?? [:]
        seed = try c.decodeIfPresent(Int64.self, forKey: .seed) ?? 0
        smoke = try c.decodeIfPresent(Bool.self, forKey: .smoke) ?? false
        deviations = try c.decodeIfPresent([String].self, forKey: .deviations) ?? []
        metrics = try c.decodeIfPresent([String: Double].self, forKey: .metrics) ?? [:]
        thresholds = try c.decodeIfPresent([String: Double].self, forKey: .thresholds) ?? [:]
        steps = try c.decodeIfPresent([Step].self, forKey: .steps) ?? []
        library = try c.decodeIfPresent(String.self, forKey: .library)
        machine = try c.decodeIfPresent([String: String].self, forKey: .machine) ?? [:]
    }

    /// Encodes every key, absent optionals as `null`, so every file has the same keys.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(runId, forKey: .runId)
        try c.encode(experiment, forKey: .experiment)
        try c.encode(status, forKey: .status)
        try c.encode(commit, forKey: .commit)   // null when absent: every file has every key
        try c.encode(branch, forKey: .branch)
        try c.encode(dirty, forKey: .dirty)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(source, forKey: .source)
        try c.encode(config, forKey: .config)
        try c.encode(seed, forKey: .seed)
        try c.encode(smoke, forKey: .smoke)
        try c.encode(deviations, forKey: .deviations)
        try c.encode(metrics, forKey: .metrics)
        try c.encode(thresholds, forKey: .thresholds)
        try c.encode(steps, forKey: .steps)
        try c.encode(library, forKey: .library)
        try c.encode(machine, forKey: .machine)
    }
}
