/// Self-contained SVG charts for reports: no script, no external font, image or URL, so a
/// chart is the same in a browser, on GitHub, inlined in the HTML report and on paper.
///
/// Every chart is a complete `<svg>` document whose size lives in its `viewBox` (it scales
/// down to a phone's width), with a white background, system sans-serif fonts and a
/// `<title>` for screen readers. Every user string in it is escaped with `XML.escape`, and
/// every coordinate is a finite number. No element has an `id`, so any number of charts can
/// be inlined in one HTML page without clashing.
public enum SVGChart {
    /// A line chart of one or more series on shared axes: x is the step, y the value.
    ///
    /// Axes have "nice" ticks (1, 2 or 5 × 10^k) labelled compactly ("1k", "2.5e-3"); a log
    /// y axis has a tick per decade. A legend above the plot names each series in its colour
    /// (Okabe–Ito, colour-blind safe; dashed lines after the eighth series). NaN and ±∞ are
    /// skipped, leaving gaps; on a log scale values ≤ 0 are skipped too; a note under the
    /// chart counts what was skipped. Long series are reduced to at most four points per
    /// pixel column, which draws the same line, so a 100k-step series stays small.
    ///
    /// - Parameters:
    ///   - series: The curves; each is drawn in order of step.
    ///   - xLabel: The x-axis label.
    ///   - yLabel: The y-axis label, also the chart's accessible title.
    ///   - logScale: Whether the y axis is base-10 logarithmic.
    ///   - width: Width in SVG units (pixels at natural size), at least 240.
    ///   - height: Height, at least 160; the chart grows when a long legend needs more.
    /// - Returns: An SVG document; a small "no data" chart when nothing can be drawn.
    public static func lines(_ series: [Series], xLabel: String = "step", yLabel: String, logScale: Bool = false,
                             width: Int = 640, height: Int = 360) -> String {
        LineChart(series: series, xLabel: xLabel, yLabel: yLabel, logScale: logScale,
                  width: Double(max(width, 240)), height: Double(max(height, 160))).render()
    }

    /// A heat map, e.g. a confusion matrix or an attention map: one cell per value.
    ///
    /// Cells are coloured on a sequential scale (viridis: colour-blind safe, ordered when
    /// printed in grey) between the matrix's smallest and largest finite value, shown with
    /// a colour bar. Matrices up to 12 × 12 print each value in its cell. Column labels are
    /// rotated when they do not fit their cell; labels are thinned when cells are too small
    /// for every one. NaN and ±∞ cells are light grey.
    ///
    /// - Parameters:
    ///   - values: Rows of values; a short row is padded with empty (grey) cells.
    ///   - rowLabels: One label per row, shown on the left; missing labels are blank.
    ///   - columnLabels: One label per column, shown below the matrix.
    ///   - title: Shown above the matrix.
    ///   - width: The largest width in SVG units, at least 200. Cells are square and at most
    ///     56 units wide, so a small matrix gives a narrower chart.
    /// - Returns: An SVG document; a small "no data" chart for an empty matrix.
    public static func heatmap(values: [[Double]], rowLabels: [String], columnLabels: [String], title: String,
                               width: Int = 480) -> String {
        HeatmapChart(values: values, rowLabels: rowLabels, columnLabels: columnLabels, title: title,
                     maxWidth: Double(max(width, 200))).render()
    }

    /// A grid of small grayscale images, up to 8 per row (fewer when wide images would make a
    /// row wider than 880 units), each with its caption below.
    ///
    /// Each image is an inline PNG (a `data:` URI in an `<image>`), drawn with crisp pixels.
    ///
    /// - Parameters:
    ///   - grid: The images and their captions.
    ///   - scale: How many SVG units each image pixel takes, 1…16.
    /// - Returns: An SVG document; a small "no data" chart when there is no image.
    public static func imageGrid(_ grid: ImageGrid, scale: Int = 3) -> String {
        ImageGridChart(grid: grid, scale: min(max(scale, 1), 16)).render()
    }

    /// A small placeholder that says "no data", with what was asked for above it.
    static func noData(title: String, width: Double, note: String? = nil) -> String {
        let height = note == nil ? 72.0 : 90.0
        var svg = SVGWriter(width: width, height: height, title: title.isEmpty ? "no data" : title + ": no data")
        let shown = TextMetrics.truncate(title, toWidth: width - 24, fontSize: 13)
        svg.text(shown, full: title, x: 12, y: 22, size: 13, weight: "600")
        svg.rect(x: 12, y: 32, width: width - 24, height: 30, fill: "#f6f6f6",
                 extra: " stroke=\"#bbb\" stroke-dasharray=\"4 3\"")
        svg.text("no data", x: width / 2, y: 52, size: 13, anchor: "middle", fill: SVGWriter.mutedColor)
        if let note {
            svg.text(TextMetrics.truncate(note, toWidth: width - 24, fontSize: 11), full: note,
                     x: 12, y: 80, size: 11, fill: SVGWriter.mutedColor)
        }
        return svg.finish()
    }
}
