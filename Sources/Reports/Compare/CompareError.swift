import Foundation

/// What `lab compare` and `lab pr-report` refuse. Each message says what is wrong, the
/// offending value and what to do next; the wording lives here only.
public enum CompareError: Error, Equatable, CustomStringConvertible {
    /// `--threshold` text that is not `NAME=DELTA` with a non-zero number.
    case badThreshold(String)
    /// A `--threshold` whose DELTA is NaN or infinite: no change could ever pass it.
    case thresholdNeverFires(String)
    /// A `--threshold` naming a metric that no committed report has.
    case unknownThresholdMetric(name: String, suggestion: String?, known: [String])
    /// Runs of several experiments given to `lab compare`: experiment names, each with its run ids.
    case differentExperiments(experiments: [String], runIds: [[String]])
    /// Fewer than two distinct runs given to `lab compare`.
    case tooFewRuns(given: [String])

    /// How many known metrics a message lists before summarising the rest.
    static let metricsShown = 20

    /// The message shown to the user.
    public var description: String {
        switch self {
        case .badThreshold(let text):
            return "--threshold takes NAME=DELTA with a signed non-zero number, e.g. accuracy=-0.01; got '\(text)'"
        case .thresholdNeverFires(let text):
            return "--threshold '\(text)' can never fire: DELTA must be a finite non-zero number, "
                + "e.g. accuracy=-0.01 (a drop of more than 0.01) or loss=+0.05 (a rise of more than 0.05)"
        case let .unknownThresholdMetric(name, suggestion, known):
            let hint = suggestion.map { " Did you mean '\($0)'?" } ?? ""
            guard !known.isEmpty else {
                return "--threshold names the metric '\(name)', but no committed report has any metric.\(hint) "
                    + "Run the experiments first (lab run FILE) and commit reports/, or drop the threshold."
            }
            let shown = known.prefix(Self.metricsShown).joined(separator: ", ")
            let more = known.count > Self.metricsShown ? " and \(known.count - Self.metricsShown) more" : ""
            return "--threshold names the metric '\(name)', which no committed report has.\(hint) "
                + "Known metrics (step/metric, or just metric): \(shown)\(more)"
        case let .differentExperiments(experiments, runIds):
            let list = zip(experiments, runIds).map { "\($0) (\($1.joined(separator: ", ")))" }.joined(separator: "; ")
            return "lab compare puts runs of one experiment side by side; these runs belong to \(experiments.count) "
                + "experiments: \(list). Compare the runs of one of them (lab ls EXPERIMENT lists them)."
        case .tooFewRuns(let given):
            return "give at least two different runs to compare; got \(given.map { "'\($0)'" }.joined(separator: ", ")) "
                + "(lab ls lists the runs)"
        }
    }
}
