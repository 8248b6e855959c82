import Foundation

/// How far a metric may move between the base run and HEAD's before `lab pr-report` calls
/// it a regression: `accuracy=-0.01` fails on a drop of more than 0.01, `loss=+0.05` on a
/// rise of more than 0.05 (the sign is the bad direction).
public struct RegressionThreshold: Codable, Sendable, Equatable {
    /// Where a threshold was given.
    public enum Origin: String, Codable, Sendable {
        /// In the experiment, with `lab.regression(NAME, .higherIsBetter, tolerance: T)` (recorded as −T; `.lowerIsBetter` as +T) with each run.
        case declared
        /// On the command line, with `--threshold NAME=DELTA`; overrides a declared one.
        case option
    }

    /// `step/metric`, or a bare `metric` that matches that metric of every step.
    public var metric: String
    /// The largest allowed change in the bad direction: finite, non-zero, signed.
    public var delta: Double
    /// Where the threshold was given.
    public var origin: Origin

    /// A threshold from its parts (no validation; see ``parse(_:)``).
    public init(metric: String, delta: Double, origin: Origin) {
        self.metric = metric; self.delta = delta; self.origin = origin
    }

    /// Parses `--threshold NAME=DELTA`.
    ///
    /// - Throws: ``CompareError/badThreshold(_:)`` when the text is not `NAME=number` with a
    ///   non-empty name and a non-zero number; ``CompareError/thresholdNeverFires(_:)`` when the
    ///   number is NaN or infinite (no change could ever pass it).
    public static func parse(_ text: String) throws -> RegressionThreshold {
        guard let equals = text.firstIndex(of: "=") else { throw CompareError.badThreshold(text) }
        let name = String(text[..<equals]), number = String(text[text.index(after: equals)...])
        guard !name.isEmpty, let delta = Double(number) else { throw CompareError.badThreshold(text) }
        guard delta.isFinite else { throw CompareError.thresholdNeverFires(text) }
        guard delta != 0 else { throw CompareError.badThreshold(text) }
        return RegressionThreshold(metric: name, delta: delta, origin: .option)
    }

    /// Whether this threshold gates the metric `key` (`step/name`).
    public func matches(_ key: String) -> Bool {
        key == metric || (!metric.contains("/") && key.split(separator: "/").last.map(String.init) == metric)
    }

    /// Whether `change` (HEAD minus base) moved past the limit. A change that is not a
    /// number (HEAD's value NaN or infinite) counts as past it.
    public func isExceeded(by change: Double) -> Bool {
        guard change.isFinite else { return true }
        return delta < 0 ? change < delta : change > delta
    }

    /// Checks that each threshold names a metric some recorded run has.
    ///
    /// - Parameter known: every recorded metric, as `step/name`.
    /// - Parameter thresholds: the thresholds the experiment declared.
    /// - Throws: ``CompareError/unknownThresholdMetric(name:suggestion:known:)`` for the first
    ///   threshold that matches none of them.
    public static func checkNames(_ thresholds: [RegressionThreshold], known: [String]) throws {
        let known = Array(Set(known)).sorted()
        for threshold in thresholds where !known.contains(where: threshold.matches) {
            let candidates = known + Set(known.compactMap { $0.split(separator: "/").last.map(String.init) }).sorted()
            throw CompareError.unknownThresholdMetric(
                name: threshold.metric, suggestion: nearest(threshold.metric, in: candidates), known: known)
        }
    }

    /// The candidate closest to `word` by edit distance, when it is close enough to be a typo
    /// (at most a third of the word's length, and at least one edit away).
    static func nearest(_ word: String, in candidates: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var row = Array(0...b.count)
            for i in a.indices {
                var diagonal = row[0]
                row[0] = i + 1
                for j in b.indices {
                    let above = row[j + 1]
                    row[j + 1] = min(above + 1, row[j] + 1, diagonal + (a[i] == b[j] ? 0 : 1))
                    diagonal = above
                }
            }
            return row[b.count]
        }
        let w = Array(word.lowercased())
        let scored = candidates.map { ($0, distance(w, Array($0.lowercased()))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 > 0, best.1 <= max(1, w.count / 3) else { return nil }
        return best.0
    }
}
