import Foundation

/// One run as a document: what every renderer (Markdown, HTML, JSON) reads. It holds
/// plain values only — no tensors, no database — so the renderers and their tests need
/// neither libtorch nor the run store.
public struct ReportDocument: Codable, Sendable, Equatable {
    /// The experiment's name.
    public var title: String
    /// Markdown prose before the first step (the experiment's introduction).
    public var preamble: String
    /// The run's provenance and status.
    public var run: RunInfo
    /// The config, in declaration order; values are JSON text (`0.001`, `true`, `"adam"`).
    public var config: [ConfigEntry]
    /// The steps in source order.
    public var steps: [StepSection]
    /// Markdown prose after the last step.
    public var epilogue: String
    /// Every summary metric of the run, for the closing table.
    public var metrics: [MetricEntry]

    /// A document from its parts; the renderers take them as given.
    public init(title: String, preamble: String, run: RunInfo, config: [ConfigEntry], steps: [StepSection],
                epilogue: String, metrics: [MetricEntry]) {
        self.title = title; self.preamble = preamble; self.run = run; self.config = config
        self.steps = steps; self.epilogue = epilogue; self.metrics = metrics
    }
}

/// Provenance and status of the run.
public struct RunInfo: Codable, Sendable, Equatable {
    /// The run's identifier, UTC start time plus 4 hex digits, e.g. `20261129-110203-3f9a`.
    public var id: String
    /// The name of the experiment that was run.
    public var experiment: String
    /// "succeeded", "failed", "interrupted", "crashed", "running".
    public var status: String
    /// When the run started.
    public var startedAt: Date
    /// When the run ended; nil while it runs or if it crashed.
    public var endedAt: Date?
    /// The commit checked out when the run started; nil outside a git repository or before the first commit.
    public var commit: String?
    /// The branch checked out; nil outside a git repository or on a detached head.
    public var branch: String?
    /// The URL of the `origin` remote; nil when there is none.
    public var remote: String?
    /// Whether the work tree had uncommitted changes; nil outside a git repository.
    public var dirty: Bool?
    /// The run's root seed.
    public var seed: Int64
    /// True for a smoke run (reduced data and steps).
    public var smoke: Bool
    /// The step that failed, if any.
    public var failedStep: String?
    /// The error message of the failure, if any.
    public var error: String?
    /// Where the error was thrown, as `file.swift:123`, if known.
    public var errorLocation: String?
    /// Versions, machine and thread counts: "libtorch" → "2.13.0", "cpu" → "AMD EPYC", …
    public var environment: [String: String]
    /// How this run differs from the experiment as declared, one plain sentence each
    /// ("config epochs = 3, the experiment's own is 10", "seed 5, not 0", "a smoke run",
    /// "the run failed"); empty for a run of the experiment's own config that succeeded. A
    /// report with deviations says so at its top.
    public var deviations: [String]
    /// The experiment file, relative to the project folder (`experiments/spirals.swift`).
    public var sourcePath: String?

    /// Run information from its parts; `deviations` and `sourcePath` default to none.
    public init(id: String, experiment: String, status: String, startedAt: Date, endedAt: Date?, commit: String?,
                branch: String?, remote: String?, dirty: Bool?, seed: Int64, smoke: Bool, failedStep: String?,
                error: String?, errorLocation: String?, environment: [String: String], deviations: [String] = [],
                sourcePath: String? = nil) {
        self.id = id; self.experiment = experiment; self.status = status; self.startedAt = startedAt
        self.endedAt = endedAt; self.commit = commit; self.branch = branch; self.remote = remote; self.dirty = dirty
        self.seed = seed; self.smoke = smoke; self.failedStep = failedStep; self.error = error
        self.errorLocation = errorLocation; self.environment = environment; self.deviations = deviations
        self.sourcePath = sourcePath
    }
}

/// One config field and its value.
public struct ConfigEntry: Codable, Sendable, Equatable {
    /// The field's name as declared in the config type.
    public var key: String
    /// The value as JSON text (`0.001`, `true`, `"adam"`).
    public var value: String
    /// An entry for field `key` with JSON text `value`.
    public init(key: String, value: String) { self.key = key; self.value = value }
}

/// One summary metric: a named number that a step logged.
public struct MetricEntry: Codable, Sendable, Equatable {
    /// The name of the step that logged it.
    public var step: String
    /// The metric's name (`accuracy`, `loss`).
    public var name: String
    /// The metric's value.
    public var value: Double
    /// A metric `name` of step `step` with `value`.
    public init(step: String, name: String, value: Double) { self.step = step; self.name = name; self.value = value }
}

/// One step: its prose, its own source code, what it produced, and how it ran.
public struct StepSection: Codable, Sendable, Equatable {
    /// The step's name as declared (`lab.train("mlp", …)` → "mlp").
    public var name: String
    /// "data", "model", "train", "eval", "step".
    public var kind: String
    /// Markdown prose that precedes the step in the file.
    public var prose: String
    /// The step's source text as written in the file.
    public var source: String
    /// The line of the experiment file (1-based) at which the step's source starts.
    public var sourceLine: Int
    /// True when the step's output came from the cache instead of running.
    public var cacheHit: Bool
    /// "succeeded", "failed", "not run".
    public var status: String
    /// Wall-clock seconds the step took (near zero on a cache hit).
    public var seconds: Double
    /// The summary metrics the step logged.
    public var metrics: [MetricEntry]
    /// The series the step logged (loss curves and the like).
    public var series: [Series]
    /// The figures, tables, image grids and texts the step produced, in order.
    public var items: [ReportItem]
    /// The step's cache key (hex SHA-256); empty when unknown.
    public var key: String
    /// The key's parts by name (`source`, `config`, `upstream`, `library` …), each a hash, and
    /// `config.fields`, the config fields the key covers (`*`: all).
    public var keyParts: [String: String]

    /// A section from its parts; `key` and `keyParts` default to unknown.
    public init(name: String, kind: String, prose: String, source: String, sourceLine: Int, cacheHit: Bool,
                status: String, seconds: Double, metrics: [MetricEntry], series: [Series], items: [ReportItem],
                key: String = "", keyParts: [String: String] = [:]) {
        self.name = name; self.kind = kind; self.prose = prose; self.source = source; self.sourceLine = sourceLine
        self.cacheHit = cacheHit; self.status = status; self.seconds = seconds; self.metrics = metrics
        self.series = series; self.items = items; self.key = key; self.keyParts = keyParts
    }
}
