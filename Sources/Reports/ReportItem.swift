import Foundation

/// What a step shows in the report besides its metrics: data structures, rendered later
/// by the reports layer (charts as SVG, tables, image grids, text). All are `Codable` and
/// stored with the step's cache entry, so a cached step still shows them.
public enum ReportItem: Codable, Sendable, Equatable {
    case figure(name: String, Figure)
    case table(name: String, Table)
    case images(name: String, ImageGrid)
    case text(name: String, String)
}

/// A chart.
public enum Figure: Codable, Sendable, Equatable {
    /// Line chart of the named logged series (`ctx.log`), with a y-axis label and an
    /// optional log scale.
    case lines(series: [String], yLabel: String, logScale: Bool)
    /// A heat map of `values` (rows × columns), e.g. a confusion matrix or attention map.
    case heatmap(values: [[Double]], rowLabels: [String], columnLabels: [String], title: String)
}

/// A plain table of strings.
public struct Table: Codable, Sendable, Equatable {
    public var columns: [String]
    public var rows: [[String]]
    public init(columns: [String], rows: [[String]]) { self.columns = columns; self.rows = rows }
}

/// Small grayscale images (values 0…255, row-major), each with a caption.
public struct ImageGrid: Codable, Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [[UInt8]]
    public var captions: [String]
    public init(width: Int, height: Int, pixels: [[UInt8]], captions: [String]) {
        self.width = width; self.height = height; self.pixels = pixels; self.captions = captions
    }
}

/// Everything a step recorded while it ran, kept with its cache entry.
public struct StepRecording: Codable, Sendable, Equatable {
    /// Logged series: name → (x, value) points in logging order.
    public var series: [String: [SeriesPoint]] = [:]
    /// Summary metrics.
    public var metrics: [String: Double] = [:]
    public var items: [ReportItem] = []
    /// Artifact files written by the step: name → file name inside the cache entry.
    public var artifacts: [String: String] = [:]
    public init() {}
}

public struct SeriesPoint: Codable, Sendable, Equatable {
    public var x: Int
    public var value: Double
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
