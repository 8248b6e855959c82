import Foundation

/// A sweep's points and their runs (`lab sweep`): what ``SweepRenderer`` shows as one
/// comparison report: a table of points with their metrics, each metric against each swept
/// value, and the best point for each metric whose direction is known.
public struct SweepReport: Codable, Sendable, Equatable {
    /// One swept config field and its values, in the order given.
    public struct Axis: Codable, Sendable, Equatable {
        public var key: String
        public var values: [String]
        public init(key: String, values: [String]) { self.key = key; self.values = values }
    }

    /// One point of the sweep and the run that computed it.
    public struct Point: Codable, Sendable, Equatable {
        /// The point's value of each axis, by key.
        public var assignments: [String: String]
        public var runId: String
        /// The run's status (`succeeded`, `failed`, …), or `not run` when it never started.
        public var status: String
        /// Summary metrics as "step/name" → value.
        public var metrics: [String: Double]
        public init(assignments: [String: String], runId: String, status: String, metrics: [String: Double]) {
            self.assignments = assignments; self.runId = runId; self.status = status; self.metrics = metrics
        }
    }

    /// The best point for one metric.
    public struct Best: Codable, Sendable, Equatable {
        public var metric: String
        public var higherIsBetter: Bool
        /// Index into ``SweepReport/points``.
        public var point: Int
        public var value: Double
    }

    public var experiment: String
    public var sweepId: String
    /// Where the points ran, in words ("locally, 2 at a time"; "Slurm job 12, an array of 4").
    public var runner: String
    public var axes: [Axis]
    public var points: [Point]
    /// Metric → whether higher is better, for the metrics whose best point is shown.
    public var directions: [String: Bool]

    public init(experiment: String, sweepId: String, runner: String, axes: [Axis], points: [Point], directions: [String: Bool]) {
        self.experiment = experiment; self.sweepId = sweepId; self.runner = runner
        self.axes = axes; self.points = points; self.directions = directions
    }

    /// Every metric some point has, sorted.
    public var metricNames: [String] { Set(points.flatMap(\.metrics.keys)).sorted() }

    /// The best point of each metric in ``directions`` among the points that have it.
    public var best: [Best] {
        directions.keys.sorted().compactMap { metric in
            let higher = directions[metric]!
            let candidates = points.indices.compactMap { i in points[i].metrics[metric].flatMap { $0.isFinite ? (i, $0) : nil } }
            guard let pick = candidates.max(by: { higher ? $0.1 < $1.1 : $0.1 > $1.1 }) else { return nil }
            return Best(metric: metric, higherIsBetter: higher, point: pick.0, value: pick.1)
        }
    }

    /// `key=value` of every axis, in axis order.
    public func label(_ point: Point) -> String {
        axes.map { "\($0.key)=\(point.assignments[$0.key] ?? "?")" }.joined(separator: " ")
    }
}
