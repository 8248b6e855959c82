import Foundation

/// One line of `reports/README.md`: the run whose report is in one folder under `reports/`.
public struct IndexEntry: Sendable, Equatable {
    /// The experiment's name.
    public var experiment: String
    /// The report's folder under `reports/`, which the line links to.
    public var folder: String
    /// The run's id.
    public var runId: String
    /// The run's status: "succeeded", "failed", …
    public var status: String
    /// The commit the run was made at, or nil outside a git repository.
    public var commit: String?
    /// When the run started; nil when only its `results.json` is known.
    public var date: Date?
    /// The run's summary metrics; the index shows the first four.
    public var metrics: [MetricEntry]

    /// Creates an index entry.
    /// - Parameter experiment: The experiment's name.
    /// - Parameter folder: The report's folder; by default ``FileName/component(_:fallback:)`` of
    ///   `experiment`, the folder `lab run` writes.
    /// - Parameter runId: The run's id.
    /// - Parameter status: The run's status.
    /// - Parameter commit: The commit the run was made at, or nil outside a git repository.
    /// - Parameter date: When the run started, or nil when unknown.
    /// - Parameter metrics: The run's summary metrics, in the order the index shows them.
    public init(experiment: String, folder: String? = nil, runId: String, status: String, commit: String?, date: Date?,
                metrics: [MetricEntry]) {
        self.experiment = experiment; self.folder = folder ?? FileName.component(experiment); self.runId = runId
        self.status = status; self.commit = commit; self.date = date; self.metrics = metrics
    }
}
