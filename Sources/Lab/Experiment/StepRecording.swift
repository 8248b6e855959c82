import Foundation
import Reports

/// Everything a step recorded while it ran, kept with its cache entry.
public struct StepRecording: Codable, Sendable, Equatable {
    /// Logged series: name → (x, value) points in logging order.
    public var series: [String: [SeriesPoint]] = [:]
    /// Summary metrics.
    public var metrics: [String: Double] = [:]
    /// Tables, figures and notes, in the order the step made them.
    public var items: [ReportItem] = []
    /// Artifact files written by the step: name → file name inside the cache entry.
    public var artifacts: [String: String] = [:]
    /// An empty recording.
    public init() {}
}

/// Collects a running step's recordings (thread-safe).
final class StepRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var recording = StepRecording()
    /// Folder where artifacts are staged (inside the cache entry being written).
    let artifactFolder: URL
    /// Called for each logged point, to stream it into the run store.
    let onLog: (String, Int, Double) -> Void

    init(artifactFolder: URL, onLog: @escaping (String, Int, Double) -> Void) {
        self.artifactFolder = artifactFolder
        self.onLog = onLog
    }

    func log(_ name: String, _ x: Int, _ value: Double) {
        lock.lock(); recording.series[name, default: []].append(SeriesPoint(x: x, value: value)); lock.unlock()
        onLog(name, x, value)
    }
    func metric(_ name: String, _ value: Double) { lock.lock(); recording.metrics[name] = value; lock.unlock() }
    func add(_ item: ReportItem) { lock.lock(); recording.items.append(item); lock.unlock() }
    func artifact(_ name: String, file: String) { lock.lock(); recording.artifacts[name] = file; lock.unlock() }
}
