import Foundation

/// What a step shows in the report besides its metrics: data structures that the renderers
/// turn into SVG charts, tables, image grids and text. All are `Codable`: they are stored
/// with the step's cache entry, so a cached step still shows them.
public enum ReportItem: Codable, Sendable, Equatable {
    /// A chart, shown under `name`.
    case figure(name: String, Figure)
    /// A table, shown under `name`.
    case table(name: String, Table)
    /// A grid of small images, shown under `name`.
    case images(name: String, ImageGrid)
    /// Plain preformatted text, shown under `name`.
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
    /// The header row.
    public var columns: [String]
    /// The body rows; each has one cell per column.
    public var rows: [[String]]
    /// A table with `columns` as header and `rows` as body.
    public init(columns: [String], rows: [[String]]) { self.columns = columns; self.rows = rows }
}

/// Small grayscale images (values 0…255, row-major, `width × height` each), each with a caption.
public struct ImageGrid: Codable, Sendable, Equatable {
    /// The width of each image in pixels.
    public var width: Int
    /// The height of each image in pixels.
    public var height: Int
    /// One array of `width × height` gray values per image, row-major.
    public var pixels: [[UInt8]]
    /// One caption per image.
    public var captions: [String]
    /// A grid of images of `width × height` pixels each, with one caption per image.
    public init(width: Int, height: Int, pixels: [[UInt8]], captions: [String]) {
        self.width = width; self.height = height; self.pixels = pixels; self.captions = captions
    }
}

/// One point of a logged series.
public struct SeriesPoint: Codable, Sendable, Equatable {
    /// The x coordinate: the training step (or other integer index) the value was logged at.
    public var x: Int
    /// The logged value.
    public var value: Double
    /// A point `value` at `x`.
    public init(x: Int, value: Double) { self.x = x; self.value = value }
}

/// A named series of points, e.g. a loss curve.
public struct Series: Codable, Sendable, Equatable {
    /// The series name, e.g. "loss".
    public var name: String
    /// The points in logging order.
    public var points: [SeriesPoint]
    /// A series `name` of `points`.
    public init(name: String, points: [SeriesPoint]) { self.name = name; self.points = points }
}
