import Foundation
import GRDB

// The rows of the run store, one type per table. Column names in SQL are the
// snake_case forms of the Swift property names (`runId` → `run_id`), so that
// `sqlite3 .lab/lab.sqlite "select id, status from runs"` reads naturally.
// Dates are stored by GRDB as UTC text, "YYYY-MM-DD HH:MM:SS.SSS", to the millisecond.

/// How a run ended, or that it has not ended yet.
package enum RunStatus: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// The run is in progress (or its process died without saying so; see ``crashed``).
    case running
    /// Every step finished.
    case succeeded
    /// A step threw; ``RunRecord/failedStep`` and ``RunRecord/error`` say which and why.
    case failed
    /// The run was stopped by the user (SIGINT) and recorded as such by the runner.
    case interrupted
    /// The run was still marked ``running`` but its process is gone from this host.
    case crashed
}

/// One run of one experiment: its provenance, configuration and outcome (table `runs`).
package struct RunRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    /// The table this record lives in.
    package static let databaseTableName = "runs"
    /// Maps `startedAt` to the `started_at` column, and so on.
    package static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    /// Maps the `started_at` column to `startedAt`, and so on.
    package static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase

    /// The run's identifier, UTC start time plus 4 hex digits, e.g. `20261129-110203-3f9a`.
    package var id: String
    /// The name of the experiment that was run.
    package var experiment: String
    /// How the run ended, or ``RunStatus/running``.
    package var status: RunStatus
    /// When the run started.
    package var startedAt: Date
    /// When the run ended; `nil` while it runs or if it crashed.
    package var endedAt: Date?
    /// The step that failed, if any.
    package var failedStep: String?
    /// The error message of the failure, if any.
    package var error: String?
    /// Where the error was thrown, as `file.swift:123`.
    package var errorLocation: String?
    /// The commit checked out when the run started; `nil` outside a git repository.
    package var gitCommit: String?
    /// The branch checked out; `nil` outside a git repository or on a detached head.
    package var gitBranch: String?
    /// The URL of the `origin` remote; `nil` when there is none.
    package var gitRemote: String?
    /// Whether the work tree had uncommitted changes; `nil` outside a git repository.
    package var gitDirty: Bool?
    /// The full uncommitted patch when ``gitDirty`` is true.
    package var gitPatch: String?
    /// A JSON object: Swift, libtorch and OS versions, CPU model, thread count.
    package var environment: String
    /// A JSON object: the full configuration of the run.
    package var config: String
    /// The seed every per-step seed is derived from.
    package var rootSeed: Int64
    /// Whether this was a smoke run (tiny data, few steps).
    package var smoke: Bool
    /// The process identifier of the runner, used to detect crashed runs.
    package var pid: Int32
    /// The host the runner ran on, used with ``pid`` to detect crashed runs.
    package var hostname: String

    /// Creates a run record; every field is stored as given.
    package init(
        id: String, experiment: String, status: RunStatus, startedAt: Date, endedAt: Date? = nil,
        failedStep: String? = nil, error: String? = nil, errorLocation: String? = nil,
        gitCommit: String? = nil, gitBranch: String? = nil, gitRemote: String? = nil,
        gitDirty: Bool? = nil, gitPatch: String? = nil,
        environment: String = "{}", config: String = "{}", rootSeed: Int64 = 0, smoke: Bool = false,
        pid: Int32, hostname: String
    ) {
        self.id = id
        self.experiment = experiment
        self.status = status
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.failedStep = failedStep
        self.error = error
        self.errorLocation = errorLocation
        self.gitCommit = gitCommit
        self.gitBranch = gitBranch
        self.gitRemote = gitRemote
        self.gitDirty = gitDirty
        self.gitPatch = gitPatch
        self.environment = environment
        self.config = config
        self.rootSeed = rootSeed
        self.smoke = smoke
        self.pid = pid
        self.hostname = hostname
    }
}

/// One step of one run: its cache key, whether it hit the cache, and how long it took
/// (table `steps`, primary key `(run_id, name)`).
package struct StepRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    /// The table this record lives in.
    package static let databaseTableName = "steps"
    /// Maps `runId` to the `run_id` column, and so on.
    package static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    /// Maps the `run_id` column to `runId`, and so on.
    package static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase

    /// The run this step belongs to.
    package var runId: String
    /// The step's name, unique within its experiment.
    package var name: String
    /// The kind of step (e.g. `data`, `train`, `eval`).
    package var kind: String
    /// The hex SHA-256 cache key of the step.
    package var key: String
    /// Whether the result came from the cache instead of running the step.
    package var cacheHit: Bool
    /// `succeeded`, `failed` or `not run`.
    package var status: String
    /// Wall-clock seconds the step took (near zero on a cache hit).
    package var seconds: Double
    /// A JSON object mapping each part of the cache key to its hex digest.
    package var keyParts: String
    /// The line of the experiment source where the step is declared.
    package var sourceLine: Int

    /// Creates a step record; every field is stored as given.
    package init(
        runId: String, name: String, kind: String, key: String, cacheHit: Bool,
        status: String, seconds: Double, keyParts: String = "{}", sourceLine: Int
    ) {
        self.runId = runId
        self.name = name
        self.kind = kind
        self.key = key
        self.cacheHit = cacheHit
        self.status = status
        self.seconds = seconds
        self.keyParts = keyParts
        self.sourceLine = sourceLine
    }
}

/// One point of a metric series, such as the training loss at one iteration (view `metrics`,
/// over the tables `metric_series` and `metric_points`).
///
/// Points are written in bulk by ``MetricLogger``; this type is for reading them back.
package struct MetricPoint: Codable, Sendable, Equatable, FetchableRecord, TableRecord {
    /// The view this record is read from.
    package static let databaseTableName = "metrics"
    /// Maps `runId` to the `run_id` column.
    package static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    /// Maps the `run_id` column to `runId`.
    package static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase

    /// The run the point belongs to.
    package var runId: String
    /// The step that logged it.
    package var step: String
    /// The series name, e.g. `loss`.
    package var name: String
    /// The position along the series, e.g. the iteration.
    package var x: Int64
    /// The value at `x`.
    package var value: Double

    /// Decodes a point; a NULL value (how SQLite stores NaN) reads as NaN.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        runId = try container.decode(String.self, forKey: .runId)
        step = try container.decode(String.self, forKey: .step)
        name = try container.decode(String.self, forKey: .name)
        x = try container.decode(Int64.self, forKey: .x)
        value = try container.decodeIfPresent(Double.self, forKey: .value) ?? .nan
    }

    /// Creates a metric point.
    package init(runId: String, step: String, name: String, x: Int64, value: Double) {
        self.runId = runId
        self.step = step
        self.name = name
        self.x = x
        self.value = value
    }
}

/// One named scalar result of a step, such as the final accuracy
/// (table `summaries`, primary key `(run_id, step, name)`).
package struct SummaryRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    /// The table this record lives in.
    package static let databaseTableName = "summaries"
    /// Maps `runId` to the `run_id` column.
    package static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    /// Maps the `run_id` column to `runId`.
    package static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase

    /// The run the summary belongs to.
    package var runId: String
    /// The step that produced it.
    package var step: String
    /// The summary's name, e.g. `accuracy`.
    package var name: String
    /// Its value.
    package var value: Double

    /// Decodes a summary; a NULL value (how SQLite stores NaN) reads as NaN.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        runId = try container.decode(String.self, forKey: .runId)
        step = try container.decode(String.self, forKey: .step)
        name = try container.decode(String.self, forKey: .name)
        value = try container.decodeIfPresent(Double.self, forKey: .value) ?? .nan
    }

    /// Creates a summary record.
    package init(runId: String, step: String, name: String, value: Double) {
        self.runId = runId
        self.step = step
        self.name = name
        self.value = value
    }
}

/// One top-level field of a run's configuration (table `params`, primary key `(run_id, key)`),
/// so runs can be compared and filtered by parameter in SQL.
package struct ParamRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    /// The table this record lives in.
    package static let databaseTableName = "params"
    /// Maps `runId` to the `run_id` column.
    package static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    /// Maps the `run_id` column to `runId`.
    package static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase

    /// The run the parameter belongs to.
    package var runId: String
    /// The top-level field name in the config.
    package var key: String
    /// The field's value as JSON text: `0.001`, `"adam"`, `[64,64]`, `{"depth":2}`.
    package var value: String

    /// Creates a parameter record.
    package init(runId: String, key: String, value: String) {
        self.runId = runId
        self.key = key
        self.value = value
    }
}

/// A file a step produced, such as a checkpoint or a plot
/// (table `artifacts`, primary key `(run_id, step, name)`).
package struct ArtifactRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    /// The table this record lives in.
    package static let databaseTableName = "artifacts"
    /// Maps `runId` to the `run_id` column.
    package static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    /// Maps the `run_id` column to `runId`.
    package static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase

    /// The run the artifact belongs to.
    package var runId: String
    /// The step that produced it.
    package var step: String
    /// The artifact's name within the step, e.g. `checkpoint`.
    package var name: String
    /// Where the file lives, relative to the project root.
    package var path: String
    /// The hex SHA-256 of the file's content.
    package var sha256: String
    /// The file's size in bytes.
    package var bytes: Int64

    /// Creates an artifact record.
    package init(runId: String, step: String, name: String, path: String, sha256: String, bytes: Int64) {
        self.runId = runId
        self.step = step
        self.name = name
        self.path = path
        self.sha256 = sha256
        self.bytes = bytes
    }
}
