import Foundation

/// How numbers, durations and dates read in every report, in one place so Markdown, HTML
/// and the index agree (and golden files stay stable across machines: no locale, UTC).
enum Format {
    /// A metric value: integers as integers, others with four significant digits.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.4g", v)
    }

    /// A duration: "0.42 s", "2 min 03 s", "1 h 05 min".
    static func seconds(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return "?" }
        if s < 60 { return String(format: "%.2f s", s) }
        let total = Int(s.rounded())
        if total < 3600 { return String(format: "%d min %02d s", total / 60, total % 60) }
        return String(format: "%d h %02d min", total / 3600, (total % 3600) / 60)
    }

    /// A date in UTC: "2025-03-04 05:06:07 UTC".
    static func date(_ d: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: d)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d UTC", c.year ?? 0, c.month ?? 0, c.day ?? 0,
                      c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// The first seven characters of a commit hash.
    static func shortHash(_ commit: String) -> String {
        String(commit.prefix(7))
    }

    /// The environment's entries in reading order: libtorch, swift, os, cpu, threads,
    /// then the rest by key.
    static func environment(_ env: [String: String]) -> [(key: String, value: String)] {
        let first = ["libtorch", "swift", "os", "cpu", "threads"]
        let known = first.compactMap { key in env[key].map { (key: key, value: $0) } }
        // Shown elsewhere: the deviations notice and the regression gates are not the machine.
        let shownElsewhere: Set<String> = ["config_overrides", "regression_thresholds"]
        let rest = env.filter { !first.contains($0.key) && !shownElsewhere.contains($0.key) }.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
        return known + rest
    }

    /// What a step's status line says: "cached", "ran in 1.23 s", "failed after 1.23 s", "not run".
    static func stepStatus(_ step: StepSection) -> String {
        switch step.status {
        case "failed": return "failed after " + seconds(step.seconds)
        case "not run": return "not run"
        default: return step.cacheHit ? "cached" : "ran in " + seconds(step.seconds)
        }
    }

    /// The run's duration, or nil while it has no end.
    static func duration(_ run: RunInfo) -> String? {
        run.endedAt.map { seconds($0.timeIntervalSince(run.startedAt)) }
    }
}
