import Foundation

/// Renders a run as one self-contained HTML5 page: `reports/<experiment>/index.html`.
///
/// The page has its style inline, no script, and loads nothing: charts and image grids are
/// inline SVG. Prose goes through Ink and `HTMLSanitizer` (see `Prose`); every other
/// user string goes through ``HTML/escape(_:)``. A Content-Security-Policy in the page
/// forbids script and every remote load even if something got past them. Step sources sit
/// in collapsed `<details>`, expanded when printed.
public enum HTMLRenderer {
    /// The page's Content-Security-Policy: nothing may load (no script, frame, font, fetch
    /// or remote image) except images from `data:` URLs and the report's own folder; style
    /// only inline (the page's own `<style>` and the charts' `style` attributes; prose
    /// cannot add any); no `<base>`, no form submission.
    static let contentSecurityPolicy =
        "default-src 'none'; img-src data: 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

    /// Renders `doc` as an HTML page.
    /// - Parameter doc: The run document.
    /// - Returns: The page, ending in a newline.
    public static func render(_ doc: ReportDocument) -> String {
        var figures = FigureQueue(FigureFile.figureFiles(doc))
        var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="\(contentSecurityPolicy)">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTML.escape(doc.title)) · \(HTML.escape(doc.run.id))</title>
        <style>
        \(style)</style>
        </head>
        <body>
        <main>
        <header>
        <h1>\(HTML.escape(doc.title))</h1>
        \(badge(doc.run.status))
        </header>

        """
        if !doc.run.deviations.isEmpty {
            out += "<aside class=\"deviations\">\n<p><strong>Not the experiment as declared.</strong> "
                + "This report is of a run that differs from it:</p>\n<ul>\n"
            for deviation in doc.run.deviations { out += "<li>" + HTML.escape(deviation) + "</li>\n" }
            out += "</ul>\n</aside>\n"
        }
        out += proseSection(doc.preamble)
        out += provenance(doc.run)
        if !doc.config.isEmpty {
            out += "<section class=\"config\">\n<h2>Config</h2>\n"
            out += table(header: ["Key", "Value"], rows: doc.config.map { ["<code>" + HTML.escape($0.key) + "</code>",
                                                                          "<code>" + HTML.escape($0.value) + "</code>"] })
            out += "</section>\n"
        }
        for (index, step) in doc.steps.enumerated() {
            out += section(step, index: index, figures: &figures)
        }
        out += proseSection(doc.epilogue)
        if !doc.metrics.isEmpty {
            out += "<section class=\"metrics\">\n<h2>Metrics</h2>\n"
            out += table(header: ["Step", "Metric", "Value"], rows: doc.metrics.map {
                [HTML.escape($0.step), HTML.escape($0.name), HTML.escape(Format.number($0.value))]
            }, numericColumn: 2)
            out += "</section>\n"
        }
        out += "<footer>Run <code>\(HTML.escape(doc.run.id))</code> · \(HTML.escape(doc.run.experiment))</footer>\n"
        out += "</main>\n</body>\n</html>\n"
        return out
    }

    private static func proseSection(_ markdown: String) -> String {
        let html = Prose.html(markdown)
        return html.isEmpty ? "" : "<section class=\"prose\">\n" + html + "\n</section>\n"
    }

    private static func badge(_ status: String) -> String {
        let known = ["succeeded", "failed", "interrupted", "crashed", "running", "cached", "not run"]
        let kind = known.contains(status) ? status.replacingOccurrences(of: " ", with: "-") : "other"
        return "<span class=\"badge badge-\(kind)\">\(HTML.escape(status))</span>"
    }

    private static func provenance(_ run: RunInfo) -> String {
        var rows: [(String, String)] = []
        rows.append(("Run", "<code>" + HTML.escape(run.id) + "</code>"))
        var status = badge(run.status)
        if let step = run.failedStep { status += " in step <code>" + HTML.escape(step) + "</code>" }
        if let location = run.errorLocation { status += " at <code>" + HTML.escape(location) + "</code>" }
        rows.append(("Status", status))
        if let commit = run.commit {
            var text = "<code title=\"\(HTML.escape(commit))\">" + HTML.escape(Format.shortHash(commit)) + "</code>"
            if let branch = run.branch { text += " on <code>" + HTML.escape(branch) + "</code>" }
            if run.dirty == true { text += " <span class=\"dirty\">(uncommitted changes)</span>" }
            rows.append(("Commit", text))
        } else if run.dirty != nil {
            rows.append(("Commit", "none: a git repository with no commits yet"))
        } else {
            rows.append(("Commit", "not in a git repository"))
        }
        rows.append(("Seed", "\(run.seed)"))
        rows.append(("Smoke", run.smoke ? "yes (reduced data and steps)" : "no"))
        var started = HTML.escape(Format.date(run.startedAt))
        if let duration = Format.duration(run) { started += ", took " + HTML.escape(duration) }
        rows.append(("Started", started))
        for (key, value) in Format.environment(run.environment) {
            rows.append((HTML.escape(key), HTML.escape(value)))
        }
        var out = "<section class=\"provenance\">\n<h2>Run</h2>\n<dl>\n"
        for (key, value) in rows { out += "<dt>\(key)</dt><dd>\(value)</dd>\n" }
        out += "</dl>\n"
        if let error = run.error {
            out += "<pre class=\"error\"><code>" + HTML.escape(error) + "</code></pre>\n"
        }
        return out + "</section>\n"
    }

    private static func section(_ step: StepSection, index: Int, figures: inout FigureQueue) -> String {
        var out = "<section class=\"step\" id=\"step-\(index + 1)\">\n"
        out += Prose.html(step.prose).isEmpty ? "" : "<div class=\"prose\">\n" + Prose.html(step.prose) + "\n</div>\n"
        out += "<h3>Step <code>\(HTML.escape(step.name))</code> <span class=\"kind\">(\(HTML.escape(step.kind)))</span></h3>\n"
        let statusClass = step.status == "failed" ? "failed" : (step.cacheHit ? "cached" : "ran")
        out += "<p class=\"step-status \(statusClass)\">\(HTML.escape(Format.stepStatus(step)))</p>\n"
        out += "<details class=\"source\">\n<summary>Source (line \(step.sourceLine))</summary>\n"
        out += "<pre><code class=\"language-swift\">\(HTML.escape(step.source))</code></pre>\n</details>\n"
        if !step.metrics.isEmpty {
            out += table(header: ["Metric", "Value"], rows: step.metrics.map {
                [HTML.escape($0.name), HTML.escape(Format.number($0.value))]
            }, numericColumn: 1)
        }
        for item in step.items {
            switch item {
            case .figure(let name, _), .images(let name, _):
                guard let figure = figures.take(step: step.name, name: name) else { continue }
                out += "<figure>\n<div class=\"chart\">\(figure.svg)</div>\n<figcaption><strong>\(HTML.escape(name))</strong>"
                if !figure.caption.isEmpty, figure.caption != name { out += " — " + HTML.escape(figure.caption) }
                out += "</figcaption>\n</figure>\n"
            case .table(let name, let t):
                if !name.isEmpty { out += "<h4>\(HTML.escape(name))</h4>\n" }
                out += table(header: t.columns.map(HTML.escape), rows: t.rows.map { $0.map(HTML.escape) })
            case .text(let name, let text):
                if !name.isEmpty { out += "<h4>\(HTML.escape(name))</h4>\n" }
                out += "<pre class=\"sample\">\(HTML.escape(text))</pre>\n"
            }
        }
        return out + "</section>\n"
    }

    /// A table in a horizontally scrolling box; cells are already-escaped HTML. Rows are
    /// padded to the widest row.
    private static func table(header: [String], rows: [[String]], numericColumn: Int? = nil) -> String {
        let width = max(1, header.count, rows.map(\.count).max() ?? 0)
        func cells(_ row: [String], tag: String) -> String {
            (row + Array(repeating: "", count: width - row.count)).enumerated().map { column, cell in
                let attribute = column == numericColumn && tag == "td" ? " class=\"num\"" : ""
                return "<\(tag)\(attribute)>\(cell)</\(tag)>"
            }.joined()
        }
        var out = "<div class=\"scroll\"><table>\n<thead><tr>\(cells(header, tag: "th"))</tr></thead>\n<tbody>\n"
        for row in rows { out += "<tr>\(cells(row, tag: "td"))</tr>\n" }
        return out + "</tbody>\n</table></div>\n"
    }
}
