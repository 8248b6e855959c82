import Foundation

/// One run as a document: what every renderer (Markdown, HTML, JSON) reads. It holds
/// plain values only — no tensors, no database — so the renderers and their tests need
/// neither libtorch nor the run store.
public struct ReportDocument: Codable, Sendable, Equatable {
    /// The experiment's name.
    public var title: String
    /// Markdown prose before the first step (the experiment's introduction).
    public var preamble: String
    public var run: RunInfo
    /// The config, in declaration order; values are JSON text (`0.001`, `true`, `"adam"`).
    public var config: [ConfigEntry]
    public var steps: [StepSection]
    /// Markdown prose after the last step.
    public var epilogue: String
    /// Every summary metric of the run, for the closing table.
    public var metrics: [MetricEntry]

    public init(title: String, preamble: String, run: RunInfo, config: [ConfigEntry], steps: [StepSection],
                epilogue: String, metrics: [MetricEntry]) {
        self.title = title; self.preamble = preamble; self.run = run; self.config = config
        self.steps = steps; self.epilogue = epilogue; self.metrics = metrics
    }
}

/// Provenance and status of the run.
public struct RunInfo: Codable, Sendable, Equatable {
    public var id: String
    public var experiment: String
    /// "succeeded", "failed", "interrupted", "crashed", "running".
    public var status: String
    public var startedAt: Date
    public var endedAt: Date?
    public var commit: String?
    public var branch: String?
    public var remote: String?
    public var dirty: Bool?
    public var seed: Int64
    public var smoke: Bool
    public var failedStep: String?
    public var error: String?
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

public struct ConfigEntry: Codable, Sendable, Equatable {
    public var key: String
    public var value: String
    public init(key: String, value: String) { self.key = key; self.value = value }
}

public struct MetricEntry: Codable, Sendable, Equatable {
    public var step: String
    public var name: String
    public var value: Double
    public init(step: String, name: String, value: Double) { self.step = step; self.name = name; self.value = value }
}

/// One step: its prose, its own source code, what it produced, and how it ran.
public struct StepSection: Codable, Sendable, Equatable {
    public var name: String
    /// "data", "model", "train", "eval", "step".
    public var kind: String
    /// Markdown prose that precedes the step in the file.
    public var prose: String
    /// The step's source text as written in the file.
    public var source: String
    public var sourceLine: Int
    public var cacheHit: Bool
    /// "succeeded", "failed", "not run".
    public var status: String
    public var seconds: Double
    public var metrics: [MetricEntry]
    public var series: [Series]
    public var items: [ReportItem]
    /// The step's cache key (hex SHA-256); empty when unknown.
    public var key: String
    /// The key's parts by name (`source`, `config`, `upstream`, `library` …), each a hash, and
    /// `config.fields`, the config fields the key covers (`*`: all).
    public var keyParts: [String: String]

    public init(name: String, kind: String, prose: String, source: String, sourceLine: Int, cacheHit: Bool,
                status: String, seconds: Double, metrics: [MetricEntry], series: [Series], items: [ReportItem],
                key: String = "", keyParts: [String: String] = [:]) {
        self.name = name; self.kind = kind; self.prose = prose; self.source = source; self.sourceLine = sourceLine
        self.cacheHit = cacheHit; self.status = status; self.seconds = seconds; self.metrics = metrics
        self.series = series; self.items = items; self.key = key; self.keyParts = keyParts
    }
}
