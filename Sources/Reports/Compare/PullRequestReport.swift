import Foundation

/// What `lab pr-report` found: per experiment, the base commit's run and HEAD's, the steps
/// that changed, the metrics that moved, and whether the pull request may pass.
///
/// The CLI gathers it from the store and git; ``PullRequestRenderer`` writes it; the
/// verdict (``problems``, ``passed``) is computed here, so it is tested without a store.
public struct PullRequestReport: Codable, Sendable, Equatable {
    /// The base revision as the user gave it (`main`).
    public var baseRevision: String
    /// The full commit id `baseRevision` resolved to.
    public var baseCommit: String
    /// The full commit id of HEAD.
    public var headCommit: String
    /// One section per experiment that has a run standing for the base commit or for HEAD, by name.
    public var experiments: [ExperimentSection]

    /// A report from its parts.
    public init(baseRevision: String, baseCommit: String, headCommit: String, experiments: [ExperimentSection]) {
        self.baseRevision = baseRevision; self.baseCommit = baseCommit; self.headCommit = headCommit
        self.experiments = experiments
    }

    /// True when at least one experiment was checked and none has a problem.
    public var passed: Bool { !experiments.isEmpty && experiments.allSatisfy { $0.problems.isEmpty } }

    /// A recorded run as the report needs it.
    public struct RunSummary: Codable, Sendable, Equatable {
        /// The run id.
        public var id: String
        /// The commit the run was recorded at (the same code as the commit it stands for;
        /// they may differ under `reports/`).
        public var commit: String
        /// `succeeded`, `failed`, `running`, `crashed` or `interrupted`.
        public var status: String
        /// The step that failed, when the run failed.
        public var failedStep: String?
        /// The failure's message.
        public var error: String?
        /// The steps, in source order.
        public var steps: [StepSummary]
        /// Summary metrics by `step/name`.
        public var metrics: [String: Double]

        /// A run summary from its parts.
        public init(id: String, commit: String, status: String, failedStep: String? = nil, error: String? = nil,
                    steps: [StepSummary] = [], metrics: [String: Double] = [:]) {
            self.id = id; self.commit = commit; self.status = status; self.failedStep = failedStep
            self.error = error; self.steps = steps; self.metrics = metrics
        }
    }

    /// One step of a run.
    public struct StepSummary: Codable, Sendable, Equatable {
        /// The step's name.
        public var name: String
        /// Its cache key.
        public var key: String
        /// The key's parts by name (`source`, `config`, `upstream` …), each a hash.
        public var keyParts: [String: String]
        /// True when the run took the step from the cache.
        public var cacheHit: Bool

        /// A step summary from its parts.
        public init(name: String, key: String, keyParts: [String: String], cacheHit: Bool) {
            self.name = name; self.key = key; self.keyParts = keyParts; self.cacheHit = cacheHit
        }
    }

    /// The newest run of an experiment that does not stand for HEAD, and why.
    public struct OtherRun: Codable, Sendable, Equatable {
        /// The run id.
        public var id: String
        /// The commit it was recorded at.
        public var commit: String
        /// Files that differ between that commit (with the run's uncommitted changes) and HEAD,
        /// outside `reports/`; the first few.
        public var changedPaths: [String]

        /// An other-run note from its parts.
        public init(id: String, commit: String, changedPaths: [String]) {
            self.id = id; self.commit = commit; self.changedPaths = changedPaths
        }
    }

    /// What keeps a pull request from passing, for one experiment.
    public enum Problem: Codable, Sendable, Equatable {
        /// No run stands for HEAD's code.
        case noRunAtHead
        /// HEAD's run did not succeed (`failed`, `running`, `crashed`, `interrupted`).
        case headRunDidNotSucceed(status: String)
        /// A gated metric is missing from HEAD's (succeeded) run.
        case lostMetric(String)
        /// A gated metric moved past its threshold.
        case regressed(metric: String, change: Double, limit: Double)
    }

    /// One experiment's part of the report.
    public struct ExperimentSection: Codable, Sendable, Equatable {
        /// The experiment's name.
        public var name: String
        /// The latest succeeded run standing for the base commit; nil when there is none.
        public var base: RunSummary?
        /// The latest run standing for HEAD (any status); nil when there is none.
        public var head: RunSummary?
        /// When `head` is nil: the newest run at other code, to say where the experiment last ran.
        public var latestElsewhere: OtherRun?
        /// The experiment file as recorded with its latest run (for the advice to re-run it).
        public var sourcePath: String?
        /// The thresholds in force: `--threshold` ones first (they override), then those declared
        /// in the experiment and recorded with HEAD's run.
        public var thresholds: [RegressionThreshold]

        /// A section from its parts.
        public init(name: String, base: RunSummary?, head: RunSummary?, latestElsewhere: OtherRun? = nil,
                    sourcePath: String? = nil, thresholds: [RegressionThreshold] = []) {
            self.name = name; self.base = base; self.head = head; self.latestElsewhere = latestElsewhere
            self.sourcePath = sourcePath; self.thresholds = thresholds
        }

        /// The threshold that gates `key` (`step/name`): the first that matches.
        public func threshold(for key: String) -> RegressionThreshold? { thresholds.first { $0.matches(key) } }

        /// Every metric of the base run or HEAD's, sorted by name, with its verdict.
        public var metrics: [MetricRow] {
            let before = base?.metrics ?? [:], after = head?.metrics ?? [:]
            return Set(before.keys).union(after.keys).sorted().map { key in
                MetricRow(name: key, base: before[key], head: after[key], threshold: threshold(for: key),
                          headSucceeded: head?.status == "succeeded")
            }
        }

        /// What keeps this experiment from passing; empty when it passes.
        public var problems: [Problem] {
            guard let head else { return [.noRunAtHead] }
            guard head.status == "succeeded" else { return [.headRunDidNotSucceed(status: head.status)] }
            var problems: [Problem] = []
            for row in metrics {
                switch row.verdict {
                case .lost: problems.append(.lostMetric(row.name))
                case .regressed: problems.append(.regressed(metric: row.name, change: row.change ?? .nan, limit: row.threshold?.delta ?? 0))
                default: break
                }
            }
            // A threshold the experiment declares gates HEAD's run even when no run has the metric.
            let keys = Array(head.metrics.keys) + Array(base?.metrics.keys.map { $0 } ?? [])
            for threshold in thresholds where threshold.origin == .declared && !keys.contains(where: threshold.matches) {
                problems.append(.lostMetric(threshold.metric))
            }
            return problems
        }
    }

    /// One metric of an experiment: its values, the threshold that gates it, the verdict.
    public struct MetricRow: Codable, Sendable, Equatable {
        /// `step/name`.
        public var name: String
        /// The base run's value; nil when it has none.
        public var base: Double?
        /// HEAD's value; nil when it has none.
        public var head: Double?
        /// The threshold in force for this metric.
        public var threshold: RegressionThreshold?
        /// Whether HEAD's run succeeded (a failed run's missing metrics are not "lost").
        public var headSucceeded: Bool

        /// HEAD minus base, when both exist.
        public var change: Double? {
            guard let base, let head else { return nil }
            return head - base
        }

        /// What the report says about this metric.
        public enum Verdict: String, Codable, Sendable {
            /// No threshold gates it.
            case ungated
            /// Gated, and within its threshold.
            case ok
            /// Gated, and past its threshold (or HEAD's value is not a number).
            case regressed
            /// Gated, in the base run, missing from HEAD's succeeded run.
            case lost
            /// Gated, but the base run has no value to compare against.
            case new
            /// Gated, but HEAD's run did not succeed, so it has no value to judge.
            case notMeasured
        }

        /// The verdict for this metric.
        public var verdict: Verdict {
            guard let threshold else { return .ungated }
            guard headSucceeded else { return .notMeasured }
            guard head != nil else { return .lost }
            guard let change else { return .new }
            return threshold.isExceeded(by: change) ? .regressed : .ok
        }
    }
}
