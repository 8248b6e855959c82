import Foundation

/// What `lab pr-report` found: per experiment, the run published at the base commit and the
/// one published at HEAD (each from its committed `reports/<experiment>/results.json`), the
/// steps whose keys changed, the metrics that moved, whether HEAD's report is still what
/// HEAD's code computes, and whether the pull request may pass.
///
/// The CLI gathers it from git and the experiment files; ``PullRequestRenderer`` writes it;
/// the verdict (``ExperimentSection/problems``, ``passed``) is computed here, so it is tested without git.
public struct PullRequestReport: Codable, Sendable, Equatable {
    /// The base revision as the user gave it (`main`).
    public var baseRevision: String
    /// The full commit id `baseRevision` resolved to.
    public var baseCommit: String
    /// The full commit id of HEAD.
    public var headCommit: String
    /// One section per experiment with a committed report at the base or at HEAD, or an experiment file at HEAD, by name.
    public var experiments: [ExperimentSection]

    /// A report from its parts.
    public init(baseRevision: String, baseCommit: String, headCommit: String, experiments: [ExperimentSection]) {
        self.baseRevision = baseRevision; self.baseCommit = baseCommit; self.headCommit = headCommit
        self.experiments = experiments
    }

    /// True when at least one experiment was checked and none has a problem.
    public var passed: Bool { !experiments.isEmpty && experiments.allSatisfy { $0.problems.isEmpty } }

    /// A published run as the report needs it (from its `results.json`).
    public struct RunSummary: Codable, Sendable, Equatable {
        /// The run id.
        public var id: String
        /// The commit the run was made at (usually the parent of the commit that added its report).
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
        /// Whether the run had uncommitted changes.
        public var dirty: Bool?
        /// How the run differs from the experiment as declared (a report published with `--publish`).
        public var deviations: [String]

        /// A run summary from its parts.
        public init(id: String, commit: String, status: String, failedStep: String? = nil, error: String? = nil,
                    steps: [StepSummary] = [], metrics: [String: Double] = [:], dirty: Bool? = false, deviations: [String] = []) {
            self.id = id; self.commit = commit; self.status = status; self.failedStep = failedStep
            self.error = error; self.steps = steps; self.metrics = metrics; self.dirty = dirty; self.deviations = deviations
        }

        /// The summary of a committed `results.json`.
        public init(_ results: ResultsFile) {
            self.init(id: results.runId, commit: results.commit ?? "", status: results.status,
                      steps: results.steps.map { StepSummary(name: $0.name, key: $0.key, keyParts: $0.parts) },
                      metrics: results.metrics, dirty: results.dirty, deviations: results.deviations)
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

        /// A step summary from its parts.
        public init(name: String, key: String, keyParts: [String: String]) {
            self.name = name; self.key = key; self.keyParts = keyParts
        }
    }

    /// Whether HEAD's committed report is what HEAD's experiment file computes: its step keys
    /// recomputed from the file against those in its `results.json` (see `lab status`).
    public struct HeadCheck: Codable, Sendable, Equatable {
        /// The verdict (see ``ReportState``).
        public typealias State = ReportState
        /// The verdict.
        public var state: State
        /// Why, one line each: the changed steps with their key parts, the config.
        public var reasons: [String]
        /// True when the working tree's `results.json` differs from HEAD's: a run whose report is not committed yet.
        public var uncommittedReport: Bool

        /// A check from its parts.
        public init(state: State, reasons: [String] = [], uncommittedReport: Bool = false) {
            self.state = state; self.reasons = reasons; self.uncommittedReport = uncommittedReport
        }
    }

    /// What keeps a pull request from passing, for one experiment.
    public enum Problem: Codable, Sendable, Equatable {
        /// HEAD has the experiment but no committed report of it.
        case noReportAtHead
        /// HEAD's report is not what HEAD's code computes: the code changed and the report was not re-run.
        case staleAtHead(reasons: [String])
        /// HEAD has a committed report whose experiment file is gone.
        case noExperimentAtHead
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
        /// The run published at the base commit; nil when it has no report of this experiment.
        public var base: RunSummary?
        /// The run published at HEAD; nil when HEAD has no report of this experiment.
        public var head: RunSummary?
        /// Whether HEAD's report is current; nil when it was not checked.
        public var check: HeadCheck?
        /// The experiment file (for the advice to re-run it).
        public var sourcePath: String?
        /// The thresholds in force: `--threshold` ones first (they override), then those declared
        /// in the experiment and recorded in HEAD's report.
        public var thresholds: [RegressionThreshold]

        /// A section from its parts.
        public init(name: String, base: RunSummary?, head: RunSummary?, check: HeadCheck? = nil,
                    sourcePath: String? = nil, thresholds: [RegressionThreshold] = []) {
            self.name = name; self.base = base; self.head = head; self.check = check
            self.sourcePath = sourcePath; self.thresholds = thresholds
        }

        /// The steps of HEAD's run whose keys differ from the base run's, with the parts that
        /// differ (`added` for a step the base lacks); empty when either run is missing.
        public var changedSteps: [(name: String, parts: [String])] {
            guard let base, let head else { return [] }
            let before = Dictionary(base.steps.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            return head.steps.compactMap { step in
                guard let old = before[step.name] else { return (step.name, ["added"]) }
                guard old.key != step.key else { return nil }
                let parts = Set(old.keyParts.keys).union(step.keyParts.keys)
                    .filter { old.keyParts[$0] != step.keyParts[$0] && !$0.contains(".") }.sorted()   // `config.fields`, `source.pieces`: descriptions, not parts
                return (step.name, parts)
            }
        }

        /// True when base and HEAD published the same run, or runs with the same step keys and metrics.
        public var unchanged: Bool {
            guard let base, let head else { return false }
            return base.id == head.id || (changedSteps.isEmpty && base.steps.count == head.steps.count && base.metrics == head.metrics)
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
            if check?.state == .noExperiment { return [.noExperimentAtHead] }
            // Neither the experiment nor its report at HEAD: removed by the pull request, not a problem.
            guard let head else { return check == nil ? [] : [.noReportAtHead] }
            var problems: [Problem] = []
            if check?.state == .stale { problems.append(.staleAtHead(reasons: check?.reasons ?? [])) }
            guard head.status == "succeeded" else { return problems + [.headRunDidNotSucceed(status: head.status)] }
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
