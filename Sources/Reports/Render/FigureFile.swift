import Foundation

/// One chart of a report as an SVG file, `figures/<fileName>`, that `README.md` links to
/// and `index.html` inlines.
public struct FigureFile: Sendable, Equatable {
    /// The name of the step that made the chart.
    public var step: String
    /// The chart's name as the step gave it (any string; not safe for a path).
    public var name: String
    /// A file name made of `[a-z0-9-]` plus ".svg", unique within the report.
    public var fileName: String
    /// The SVG document.
    public var svg: String
    /// A short description for a caption: the heat map's title, the plotted series, or
    /// the series that could not be found. Empty when there is nothing to add to `name`.
    public var caption: String

    /// Creates a figure file.
    public init(step: String, name: String, fileName: String, svg: String, caption: String = "") {
        self.step = step; self.name = name; self.fileName = fileName; self.svg = svg; self.caption = caption
    }

    /// Makes one figure file per chart and image grid in `doc`, in document order.
    ///
    /// A line chart's series are named "series" (looked up in its own step) or
    /// "step/series" (looked up in that step); series that exist nowhere are named in the
    /// caption instead of plotted. File names are `<step>-<name>.svg` reduced to
    /// `[a-z0-9-]` and numbered when two would collide.
    /// - Parameter doc: The run document.
    /// - Returns: The figures, in the order the steps and their items appear.
    public static func figureFiles(_ doc: ReportDocument) -> [FigureFile] {
        var used = Set<String>()
        var files: [FigureFile] = []
        for step in doc.steps {
            for item in step.items {
                let made: (name: String, svg: String, caption: String)
                switch item {
                case .figure(let name, .lines(let references, let yLabel, let logScale)):
                    var found: [Series] = []
                    var missing: [String] = []
                    for reference in references {
                        if let series = lookUp(reference, in: step, of: doc) {
                            found.append(Series(name: reference, points: series.points))
                        } else {
                            missing.append(reference)
                        }
                    }
                    var caption = found.map(\.name).joined(separator: ", ")
                    if !missing.isEmpty {
                        caption += (caption.isEmpty ? "" : "; ") + "not found: " + missing.joined(separator: ", ")
                    }
                    made = (name, SVGChart.lines(found, yLabel: yLabel, logScale: logScale), caption)
                case .figure(let name, .heatmap(let values, let rowLabels, let columnLabels, let title)):
                    made = (name, SVGChart.heatmap(values: values, rowLabels: rowLabels, columnLabels: columnLabels,
                                                   title: title), title)
                case .images(let name, let grid):
                    made = (name, SVGChart.imageGrid(grid), "")
                case .table, .text:
                    continue
                }
                let fileName = uniqueFileName(step: step.name, name: made.name, used: &used)
                files.append(FigureFile(step: step.name, name: made.name, fileName: fileName, svg: made.svg,
                                        caption: made.caption))
            }
        }
        return files
    }

    /// Finds a series by "series" in `step`, else by "step/series" across the document.
    static func lookUp(_ reference: String, in step: StepSection, of doc: ReportDocument) -> Series? {
        if let own = step.series.first(where: { $0.name == reference }) { return own }
        // A step name may itself hold "/", so try every split point.
        var index = reference.startIndex
        while let slash = reference[index...].firstIndex(of: "/") {
            let stepName = reference[..<slash], seriesName = reference[reference.index(after: slash)...]
            if let other = doc.steps.first(where: { $0.name == stepName }),
               let series = other.series.first(where: { $0.name == seriesName }) {
                return series
            }
            index = reference.index(after: slash)
        }
        return nil
    }

    /// `<step>-<name>` lowercased, every run of other characters as one "-", at most 80
    /// characters, "-2", "-3", … appended while taken.
    static func uniqueFileName(step: String, name: String, used: inout Set<String>) -> String {
        var base = ""
        for scalar in (step + "-" + name).lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                base.unicodeScalars.append(scalar)
            } else if !base.isEmpty, base.last != "-" {
                base += "-"
            }
        }
        base = String(base.prefix(80))
        while base.hasSuffix("-") { base.removeLast() }
        if base.isEmpty { base = "figure" }
        var candidate = base, counter = 1
        while used.contains(candidate) {
            counter += 1
            candidate = "\(base)-\(counter)"
        }
        used.insert(candidate)
        return candidate + ".svg"
    }
}
