import Foundation

/// One run as `lab compare` sees it.
public struct ComparedRun: Codable, Sendable, Equatable {
    /// The run's identifier.
    public var id: String
    /// The experiment's name; every run in one comparison must share it.
    public var experiment: String
    /// The commit the run started at; nil outside a git repository or before the first commit.
    public var commit: String?
    /// The run's root seed.
    public var seed: Int64
    /// Config values as JSON text, by key.
    public var config: [String: String]
    /// Summary metrics by "step/name".
    public var metrics: [String: Double]
    /// Logged series by "step/name".
    public var series: [String: [SeriesPoint]]
    /// How the run ended: `succeeded`, `failed`, `running`, `crashed` or `interrupted`.
    public var status: String

    /// A run from its parts; `status` defaults to "succeeded".
    public init(id: String, experiment: String, commit: String?, seed: Int64, config: [String: String],
                metrics: [String: Double], series: [String: [SeriesPoint]], status: String = "succeeded") {
        self.id = id; self.experiment = experiment; self.commit = commit; self.seed = seed
        self.config = config; self.metrics = metrics; self.series = series; self.status = status
    }
}

/// Runs side by side: the config keys that differ, runs that differ only by seed grouped,
/// each metric's mean ± 95% interval per group and its change against the first group,
/// and every series overlaid.
public struct Comparison: Codable, Sendable, Equatable {
    /// Runs with the same config (all keys) and different seeds.
    public struct Group: Codable, Sendable, Equatable {
        /// "A", "B", … in order of first appearance.
        public var label: String
        /// The runs in the group, in the order given.
        public var runIds: [String]
        /// Each run's root seed, parallel to ``runIds``.
        public var seeds: [Int64]
        /// Each run's status, parallel to ``runIds``.
        public var statuses: [String]
        /// The values of the differing config keys in this group.
        public var config: [String: String]
    }

    /// A mean with its 95% confidence half-width (Student's t; nil for a single run).
    public struct Estimate: Codable, Sendable, Equatable {
        /// The arithmetic mean of the values.
        public var mean: Double
        /// The 95% half-width t(0.975, n−1)·s/√n; nil when n = 1.
        public var halfWidth: Double?
        /// The number of runs with a value.
        public var n: Int
    }

    /// One metric across the groups.
    public struct MetricRow: Codable, Sendable, Equatable {
        /// The metric's key, "step/name".
        public var name: String
        /// One per group (nil where the group has no value for the metric).
        public var estimates: [Estimate?]
        /// Mean minus the first group's mean, per group (the first is 0).
        public var deltas: [Double?]
    }

    /// The experiment all runs belong to.
    public var experiment: String
    /// The distinct runs compared, in the order given.
    public var runIds: [String]
    /// Keys whose values differ between groups, sorted.
    public var differingKeys: [String]
    /// The groups, labelled in order of first appearance.
    public var groups: [Group]
    /// One row per metric logged by any run, sorted by name.
    public var metrics: [MetricRow]
    /// Series name → one series per run, named "group label · run id".
    public var curves: [String: [Series]]
    /// Runs given more than once; each is counted once.
    public var duplicateRunIds: [String]

    /// Runs that did not succeed (failed, crashed, running, interrupted), with their status:
    /// their metrics are missing or partial.
    public var unfinished: [(id: String, status: String)] {
        groups.flatMap { group in zip(group.runIds, group.statuses).filter { $0.1 != "succeeded" }.map { (id: $0.0, status: $0.1) } }
    }

    /// Checks that `runs` can be compared: at least two distinct runs, all of one experiment.
    ///
    /// - Throws: ``CompareError/tooFewRuns(given:)`` or ``CompareError/differentExperiments(experiments:runIds:)``
    ///   (listing each experiment with its runs).
    public static func validate(_ runs: [ComparedRun]) throws {
        var seen = Set<String>()
        let distinct = runs.filter { seen.insert($0.id).inserted }
        guard distinct.count >= 2 else { throw CompareError.tooFewRuns(given: runs.map(\.id)) }
        var experiments: [String] = []
        var ids: [[String]] = []
        for run in distinct {
            if let i = experiments.firstIndex(of: run.experiment) { ids[i].append(run.id) }
            else { experiments.append(run.experiment); ids.append([run.id]) }
        }
        if experiments.count > 1 { throw CompareError.differentExperiments(experiments: experiments, runIds: ids) }
    }

    /// Groups and summarizes `runs`; a run given twice is counted once (see ``duplicateRunIds``).
    public static func build(_ runs: [ComparedRun]) -> Comparison {
        var seen = Set<String>()
        var duplicates: [String] = []
        let runs = runs.filter { run in
            if seen.insert(run.id).inserted { return true }
            if !duplicates.contains(run.id) { duplicates.append(run.id) }
            return false
        }
        var groups: [Group] = []
        var groupOf: [String: Int] = [:]
        for run in runs {
            if let index = groups.firstIndex(where: { group in runs.first { $0.id == group.runIds[0] }!.config == run.config }) {
                groups[index].runIds.append(run.id)
                groups[index].seeds.append(run.seed)
                groups[index].statuses.append(run.status)
                groupOf[run.id] = index
            } else {
                groupOf[run.id] = groups.count
                groups.append(Group(label: label(groups.count), runIds: [run.id], seeds: [run.seed], statuses: [run.status], config: [:]))
            }
        }
        let keys = Set(runs.flatMap(\.config.keys))
        let differing = keys.filter { key in Set(runs.map { $0.config[key] ?? "—" }).count > 1 }.sorted()
        for i in groups.indices {
            let first = runs.first { $0.id == groups[i].runIds[0] }!
            groups[i].config = Dictionary(uniqueKeysWithValues: differing.map { ($0, first.config[$0] ?? "—") })
        }
        let metricNames = Set(runs.flatMap(\.metrics.keys)).sorted()
        let rows = metricNames.map { name -> MetricRow in
            let estimates = groups.map { group -> Estimate? in
                let values = group.runIds.compactMap { id in runs.first { $0.id == id }!.metrics[name] }
                return values.isEmpty ? nil : estimate(values)
            }
            let base = estimates.first??.mean
            let deltas = estimates.map { e -> Double? in
                guard let e, let base else { return nil }
                return e.mean - base
            }
            return MetricRow(name: name, estimates: estimates, deltas: deltas)
        }
        var curves: [String: [Series]] = [:]
        for run in runs {
            for (name, points) in run.series {
                curves[name, default: []].append(Series(name: "\(groups[groupOf[run.id]!].label) · \(run.id)", points: points))
            }
        }
        return Comparison(experiment: runs.first?.experiment ?? "", runIds: runs.map(\.id), differingKeys: differing,
                          groups: groups, metrics: rows, curves: curves, duplicateRunIds: duplicates)
    }

    static func label(_ i: Int) -> String {
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return i < letters.count ? String(letters[i]) : "G\(i + 1)"
    }

    /// Mean and the 95% half-width t(0.975, n−1)·s/√n.
    public static func estimate(_ values: [Double]) -> Estimate {
        let n = values.count
        let mean = values.reduce(0, +) / Double(n)
        guard n > 1 else { return Estimate(mean: mean, halfWidth: nil, n: n) }
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        return Estimate(mean: mean, halfWidth: tCritical(n - 1) * (variance / Double(n)).squareRoot(), n: n)
    }

    /// Two-sided 95% critical values of Student's t by degrees of freedom (1…30), then the normal 1.96.
    static func tCritical(_ dof: Int) -> Double {
        let table: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                               2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                               2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
        return dof >= 1 && dof <= table.count ? table[dof - 1] : 1.96
    }
}
