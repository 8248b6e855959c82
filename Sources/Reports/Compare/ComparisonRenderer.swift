import Foundation

/// `lab compare` output as Markdown, self-contained HTML or JSON.
public enum ComparisonRenderer {
    /// Markdown: the runs by group, the differing config, the metrics table (mean ± half-width and the delta per group) and the names of the series (overlaid only in HTML).
    public static func markdown(_ c: Comparison) -> String {
        var out = "# Comparison: \(GFM.text(c.experiment))\n\n"
        out += "Runs: " + c.groups.map { group in
            let seeds = group.seeds.map(String.init).joined(separator: ", ")
            let ids = zip(group.runIds, group.statuses).map { id, status in
                GFM.code(id) + (status == "succeeded" ? "" : " (**\(GFM.text(status))**)")
            }
            return "**\(group.label)** = \(ids.joined(separator: ", ")) (seed\(group.seeds.count > 1 ? "s" : "") \(seeds))"
        }.joined(separator: "; ") + "\n\n"
        for note in notes(c) { out += note.markdown + "\n\n" }
        out += "## Config that differs\n\n"
        if c.differingKeys.isEmpty {
            out += c.groups.count > 1 ? "(none)\n\n" : "All runs share one config; they differ only by seed.\n\n"
        } else {
            out += GFM.table(header: ["key"] + c.groups.map(\.label),
                             rows: c.differingKeys.map { key in ([key] + c.groups.map { $0.config[key] ?? "—" }).map(GFM.cell) }) + "\n"
        }
        out += "## Metrics\n\n"
        out += "Mean over the runs of each group, ± the 95% interval (Student's t) where a group has several seeds; "
        out += "Δ is the change against group \(c.groups.first?.label ?? "A").\n\n"
        let header = ["metric"] + c.groups.map(\.label) + c.groups.dropFirst().map { "Δ \($0.label)" }
        out += GFM.table(header: header.map(GFM.cell), rows: c.metrics.map { row in
            ([row.name] + row.estimates.map(format) + row.deltas.dropFirst().map { $0.map(signed) ?? "—" }).map(GFM.cell)
        }) + "\n"
        if !c.curves.isEmpty {
            out += "## Curves\n\nOverlaid in the HTML comparison (`lab compare --html`, or `seeds.html` beside the report after `lab run --seeds`): \(c.curves.keys.sorted().map { "`\($0)`" }.joined(separator: ", ")).\n"
        }
        return out
    }

    /// A self-contained HTML page: the same tables, and each series overlaid for every run as an SVG line chart.
    public static func html(_ c: Comparison) -> String {
        var body = "<h1>Comparison: \(HTML.escape(c.experiment))</h1>\n"
        body += "<p>" + c.groups.map { group in
            let ids = zip(group.runIds, group.statuses).map { id, status in
                HTML.escape(id) + (status == "succeeded" ? "" : " (<b>\(HTML.escape(status))</b>)")
            }
            return "<b>\(group.label)</b> = \(ids.joined(separator: ", ")) (seeds \(group.seeds.map(String.init).joined(separator: ", ")))"
        }.joined(separator: "; ") + "</p>\n"
        for note in notes(c) { body += "<p>\(note.html)</p>\n" }
        func table(_ header: [String], _ rows: [[String]]) -> String {
            "<div class=\"scroll\"><table><thead><tr>" + header.map { "<th>\(HTML.escape($0))</th>" }.joined()
                + "</tr></thead><tbody>" + rows.map { "<tr>" + $0.map { "<td>\(HTML.escape($0))</td>" }.joined() + "</tr>" }.joined()
                + "</tbody></table></div>\n"
        }
        body += "<h2>Config that differs</h2>\n"
        body += c.differingKeys.isEmpty ? "<p>None: the runs differ only by seed.</p>\n"
            : table(["key"] + c.groups.map(\.label), c.differingKeys.map { key in [key] + c.groups.map { $0.config[key] ?? "—" } })
        body += "<h2>Metrics</h2>\n<p>Mean ± 95% interval (Student's t) over each group's seeds; Δ against group \(HTML.escape(c.groups.first?.label ?? "A")).</p>\n"
        body += table(["metric"] + c.groups.map(\.label) + c.groups.dropFirst().map { "Δ \($0.label)" }, c.metrics.map { row in
            [row.name] + row.estimates.map(format) + row.deltas.dropFirst().map { $0.map(signed) ?? "—" }
        })
        if !c.curves.isEmpty {
            body += "<h2>Curves</h2>\n"
            for name in c.curves.keys.sorted() {
                body += "<figure>\(SVGChart.lines(c.curves[name]!, yLabel: name))<figcaption>\(HTML.escape(name))</figcaption></figure>\n"
            }
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Comparison: \(HTML.escape(c.experiment))</title>
        <style>body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:860px;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}
        table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}.scroll{overflow-x:auto}
        figure{margin:1rem 0}svg{max-width:100%;height:auto}</style></head>
        <body>
        \(body)</body></html>

        """
    }

    /// The comparison as pretty-printed JSON with sorted keys, ending in a newline.
    /// - Throws: `EncodingError.invalidValue` when a metric value is NaN or infinite (JSON has no such numbers).
    public static func json(_ c: Comparison) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var text = String(decoding: try encoder.encode(c), as: UTF8.self)
        text += "\n"
        return text
    }

    /// Warnings above the tables, as Markdown and HTML: runs that did not succeed, runs given twice.
    static func notes(_ c: Comparison) -> [(markdown: String, html: String)] {
        var notes: [(markdown: String, html: String)] = []
        let unfinished = c.unfinished
        if !unfinished.isEmpty {
            let md = unfinished.map { "\(GFM.code($0.id)) \(GFM.text($0.status))" }.joined(separator: ", ")
            let html = unfinished.map { "\(HTML.escape($0.id)) \(HTML.escape($0.status))" }.joined(separator: ", ")
            let rest = ": their metrics are missing or partial, and each mean is over the runs that have the metric."
            notes.append(("**Not every run succeeded:** \(md)\(rest)", "<b>Not every run succeeded:</b> \(html)\(HTML.escape(rest))"))
        }
        if !c.duplicateRunIds.isEmpty {
            let md = c.duplicateRunIds.map { GFM.code($0) }.joined(separator: ", ")
            let html = c.duplicateRunIds.map(HTML.escape).joined(separator: ", ")
            let rest = " \(c.duplicateRunIds.count == 1 ? "was" : "were") given more than once; each run is counted once."
            notes.append(("Note: run\(c.duplicateRunIds.count == 1 ? "" : "s") \(md)\(rest)", "Note: run\(c.duplicateRunIds.count == 1 ? "" : "s") \(html)\(HTML.escape(rest))"))
        }
        return notes
    }

    static func format(_ e: Comparison.Estimate?) -> String {
        guard let e else { return "—" }
        if let h = e.halfWidth { return "\(number(e.mean)) ± \(number(h)) (n=\(e.n))" }
        return "\(number(e.mean)) (n=\(e.n))"
    }

    static func signed(_ v: Double) -> String { (v > 0 ? "+" : v < 0 ? "−" : "±") + number(abs(v)) }

    static func number(_ v: Double) -> String {
        guard v.isFinite else { return String(v) }
        return String(format: "%.4g", v)
    }
}
