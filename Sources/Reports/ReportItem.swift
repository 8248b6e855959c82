import Foundation

/// What a step shows in the report besides its metrics: data structures that the renderers
/// turn into SVG charts, tables, image grids and text. All are `Codable`: they are stored
/// with the step's cache entry, so a cached step still shows them.
public enum ReportItem: Codable, Sendable, Equatable {
    case figure(name: String, Figure)
    case table(name: String, Table)
    case images(name: String, ImageGrid)
    case text(name: String, String)
}

/// A chart.
public enum Figure: Codable, Sendable, Equatable {
    /// A line chart of logged series, named "step/series" or just "series" (of the same
    /// step), with a y-axis label and an optional log scale.
    case lines(series: [String], yLabel: String, logScale: Bool)
    /// A heat map of `values` (rows × columns), e.g. a confusion matrix or an attention map.
    case heatmap(values: [[Double]], rowLabels: [String], columnLabels: [String], title: String)
}

/// A plain table of strings.
public struct Table: Codable, Sendable, Equatable {
    public var columns: [String]
    public var rows: [[String]]
    public init(columns: [String], rows: [[String]]) { self.columns = columns; self.rows = rows }
}

/// Small grayscale images (values 0…255, row-major, `width × height` each), each with a caption.
public struct ImageGrid: Codable, Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [[UInt8]]
    public var captions: [String]
    public init(width: Int, height: Int, pixels: [[UInt8]], captions: [String]) {
        self.width = width; self.height = height; self.pixels = pixels; self.captions = captions
    }
}

/// One point of a logged series.
public struct SeriesPoint: Codable, Sendable, Equatable {
    public var x: Int
    public var value: Double
    public init(x: Int, value: Double) { self.x = x; self.value = value }
}

/// A named series of points, e.g. a loss curve.
public struct Series: Codable, Sendable, Equatable {
    public var name: String
    public var points: [SeriesPoint]
    public init(name: String, points: [SeriesPoint]) { self.name = name; self.points = points }
}
