import Foundation

/// `lab sweep`'s comparison report as Markdown or self-contained HTML.
public enum SweepRenderer {
    /// Markdown: what ran, the best point per metric, the table of points (the charts are in the HTML only).
    public static func markdown(_ s: SweepReport) -> String {
        var out = "# Sweep of \(GFM.text(s.experiment)): \(s.points.count) point\(s.points.count == 1 ? "" : "s")\n\n"
        out += GFM.text(intro(s)) + "\n\n"
        out += "## Best\n\n"
        let best = s.best
        if best.isEmpty {
            out += GFM.text(noBest(s)) + "\n\n"
        } else {
            for b in best {
                let p = s.points[b.point]
                out += "- \(GFM.code(b.metric)) (\(b.higherIsBetter ? "higher" : "lower") is better): \(number(b.value)) at "
                    + "\(GFM.code(s.label(p))), run \(GFM.code(p.runId))\n"
            }
            out += "\n"
        }
        out += "## Points\n\n"
        let (header, rows) = table(s)
        out += GFM.table(header: header.map(GFM.cell), rows: rows.map { $0.map(GFM.cell) }) + "\n"
        if !s.axes.isEmpty && !s.metricNames.isEmpty {
            out += "Each metric against each swept value is charted in `sweep.html`.\n"
        }
        return out
    }

    /// A self-contained HTML page: the same, and an SVG chart of each metric against each swept value.
    public static func html(_ s: SweepReport) -> String {
        var body = "<h1>Sweep of \(HTML.escape(s.experiment)): \(s.points.count) point\(s.points.count == 1 ? "" : "s")</h1>\n"
        body += "<p>\(HTML.escape(intro(s)))</p>\n<h2>Best</h2>\n"
        let best = s.best
        if best.isEmpty {
            body += "<p>\(HTML.escape(noBest(s)))</p>\n"
        } else {
            body += "<ul>" + best.map { b in
                let p = s.points[b.point]
                return "<li><code>\(HTML.escape(b.metric))</code> (\(b.higherIsBetter ? "higher" : "lower") is better): \(number(b.value)) at "
                    + "<code>\(HTML.escape(s.label(p)))</code>, run <code>\(HTML.escape(p.runId))</code></li>"
            }.joined() + "</ul>\n"
        }
        body += "<h2>Points</h2>\n"
        let (header, rows) = table(s)
        body += "<div class=\"scroll\"><table><thead><tr>" + header.map { "<th>\(HTML.escape($0))</th>" }.joined()
            + "</tr></thead><tbody>" + rows.map { "<tr>" + $0.map { "<td>\(HTML.escape($0))</td>" }.joined() + "</tr>" }.joined()
            + "</tbody></table></div>\n"
        let charts = self.charts(s)
        if !charts.isEmpty {
            body += "<h2>Each metric against each swept value</h2>\n"
            body += "<p>The x axis is the position of the value in the sweep (values in the axis label); "
                + "one line for each combination of the other swept values.</p>\n"
            for chart in charts { body += "<figure>\(chart.svg)<figcaption>\(HTML.escape(chart.caption))</figcaption></figure>\n" }
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Sweep of \(HTML.escape(s.experiment))</title>
        <style>body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}
        table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left;white-space:nowrap}.scroll{overflow-x:auto}
        figure{margin:1rem 0}svg{max-width:100%;height:auto}</style></head>
        <body>
        \(body)</body></html>

        """
    }

    static func intro(_ s: SweepReport) -> String {
        let failed = s.points.filter { $0.status != "succeeded" }.count
        return "Sweep \(s.sweepId), run \(s.runner). Each point is its own run of the experiment with its values set; "
            + "steps whose keys the points share were computed once and taken from the cache by the others."
            + (failed > 0 ? " \(failed) point\(failed == 1 ? "" : "s") did not succeed: \(failed == 1 ? "its" : "their") metrics are missing or partial." : "")
    }

    static func noBest(_ s: SweepReport) -> String {
        "No best point: no metric's direction is known. Declare one in the experiment (lab.regression(\"step/metric\", .higherIsBetter, tolerance: …)) or pass --maximize or --minimize with a metric."
    }

    static func table(_ s: SweepReport) -> ([String], [[String]]) {
        let metrics = s.metricNames
        let header = ["point"] + s.axes.map(\.key) + ["run", "status"] + metrics
        let rows = s.points.enumerated().map { i, p in
            ["\(i + 1)"] + s.axes.map { p.assignments[$0.key] ?? "—" } + [p.runId, p.status] + metrics.map { p.metrics[$0].map(number) ?? "—" }
        }
        return (header, rows)
    }

    /// One chart per (metric, axis): x is the value's position on the axis, one line per
    /// combination of the other axes' values.
    static func charts(_ s: SweepReport) -> [(caption: String, svg: String)] {
        var out: [(caption: String, svg: String)] = []
        for metric in s.metricNames {
            for axis in s.axes where axis.values.count > 1 {
                let others = s.axes.filter { $0.key != axis.key }
                var lines: [String: [SeriesPoint]] = [:]
                var order: [String] = []
                for p in s.points {
                    guard let value = p.metrics[metric], let x = axis.values.firstIndex(of: p.assignments[axis.key] ?? "") else { continue }
                    let name = others.isEmpty ? metric : others.map { "\($0.key)=\(p.assignments[$0.key] ?? "?")" }.joined(separator: " ")
                    if lines[name] == nil { order.append(name) }
                    lines[name, default: []].append(SeriesPoint(x: x, value: value))
                }
                guard !lines.isEmpty else { continue }
                let series = order.map { Series(name: $0, points: lines[$0]!.sorted { $0.x < $1.x }) }
                let xLabel = axis.key + " (" + axis.values.enumerated().map { "\($0.offset): \($0.element)" }.joined(separator: ", ") + ")"
                out.append(("\(metric) against \(axis.key)", SVGChart.lines(series, xLabel: xLabel, yLabel: metric)))
            }
        }
        return out
    }

    static func number(_ v: Double) -> String {
        guard v.isFinite else { return String(v) }
        return String(format: "%.4g", v)
    }
}
