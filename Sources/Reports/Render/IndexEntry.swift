import Foundation

/// One experiment's line in `reports/README.md`: its latest run.
public struct IndexEntry: Sendable, Equatable {
    /// The experiment's name, which is also its folder under `reports/`.
    public var experiment: String
    /// The latest run's id.
    public var runId: String
    /// The latest run's status: "succeeded", "failed", …
    public var status: String
    /// The commit the run was made at, or nil outside a git repository.
    public var commit: String?
    /// When the run started.
    public var date: Date
    /// The run's summary metrics; the index shows the first four.
    public var metrics: [MetricEntry]

    /// Creates an index entry.
    public init(experiment: String, runId: String, status: String, commit: String?, date: Date, metrics: [MetricEntry]) {
        self.experiment = experiment; self.runId = runId; self.status = status; self.commit = commit
        self.date = date; self.metrics = metrics
    }
}
