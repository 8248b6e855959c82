import Foundation

/// Whether a committed report is what its experiment's code computes, as `lab status` and
/// `lab pr-report` say it: its step keys recomputed from the experiment file against those
/// in its `results.json`.
public enum ReportState: String, Codable, Sendable, Equatable {
    /// Every step's key matches.
    case current
    /// Only the library fingerprint differs (Lab or libtorch changed since the run).
    case olderLibrary = "older library"
    /// A step's code, config or structure changed since the run, or the report is of another config.
    case stale
    /// An experiment file with no committed report.
    case noReport = "no report"
    /// A committed report whose experiment file is gone (or not found).
    case noExperiment = "no experiment file"
}
