import Foundation

/// Renders a run as GitHub-flavoured Markdown: `reports/<experiment>/README.md`, which
/// GitHub shows when the folder is opened.
///
/// Prose (preamble, step prose, epilogue) is Markdown by intent and goes in as written.
/// Every other string came from a user too — names, config values, table cells, captions,
/// error messages — and goes through `GFM` so it shows as text: no markup, no raw HTML,
/// no links, and tables keep their column count. The only link targets are the figure
/// file names this module generates.
public enum MarkdownRenderer {
    /// Renders `doc` as Markdown.
    /// - Parameters:
    ///   - doc: The run document.
    ///   - figures: The document's figures, from ``FigureFile/figureFiles(_:)``; each chart
    ///     and image grid links to the first unused file with the same step and name.
    /// - Returns: The Markdown text, ending in a newline.
    public static func render(_ doc: ReportDocument, figures: [FigureFile]) -> String {
        var out = "# " + GFM.text(doc.title) + "\n\n"
        out += deviations(doc.run)
        out += prose(doc.preamble)
        out += provenance(doc.run)
        out += config(doc.config)
        var figureQueue = FigureQueue(figures)
        for step in doc.steps {
            out += section(step, figures: &figureQueue)
        }
        out += prose(doc.epilogue)
        if !doc.metrics.isEmpty {
            out += "## Metrics\n\n"
            out += GFM.table(header: ["Step", "Metric", "Value"], rows: doc.metrics.map {
                [GFM.cell($0.step), GFM.cell($0.name), Format.number($0.value)]
            }) + "\n"
        }
        while out.hasSuffix("\n\n") { out.removeLast() }
        return out
    }

    private static func prose(_ markdown: String) -> String {
        let trimmed = markdown.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? "" : trimmed + "\n\n"
    }

    /// The notice at the top of a report whose run is not the experiment as declared.
    private static func deviations(_ run: RunInfo) -> String {
        guard !run.deviations.isEmpty else { return "" }
        var out = "> **Not the experiment as declared.** This report is of a run that differs from it:\n"
        for deviation in run.deviations { out += "> - " + GFM.text(deviation) + "\n" }
        return out + "\n"
    }

    private static func provenance(_ run: RunInfo) -> String {
        var out = "## Run\n\n"
        out += "- **Run:** " + GFM.code(run.id) + "\n"
        out += "- **Status:** " + GFM.text(run.status)
        if let step = run.failedStep { out += " in step " + GFM.code(step) }
        if let location = run.errorLocation { out += " at " + GFM.code(location) }
        out += "\n"
        if let commit = run.commit {
            out += "- **Commit:** " + GFM.code(Format.shortHash(commit))
            if let branch = run.branch { out += " on " + GFM.code(branch) }
            if run.dirty == true { out += " (uncommitted changes)" }
            out += "\n"
        } else if run.dirty != nil {
            out += "- **Commit:** none: a git repository with no commits yet\n"
        } else {
            out += "- **Commit:** not in a git repository\n"
        }
        out += "- **Seed:** \(run.seed)\n"
        out += "- **Smoke:** " + (run.smoke ? "yes (reduced data and steps)" : "no") + "\n"
        out += "- **Started:** " + Format.date(run.startedAt)
        if let duration = Format.duration(run) { out += ", took " + duration }
        out += "\n"
        let environment = Format.environment(run.environment)
        if !environment.isEmpty {
            out += "- **Environment:** " + environment.map { GFM.text($0.key) + " " + GFM.code($0.value) }
                .joined(separator: ", ") + "\n"
        }
        out += "\n"
        if let error = run.error {
            out += "Error:\n\n" + GFM.fenced(error, info: "text") + "\n"
        }
        return out
    }

    private static func config(_ entries: [ConfigEntry]) -> String {
        guard !entries.isEmpty else { return "" }
        return "## Config\n\n" + GFM.table(header: ["Key", "Value"], rows: entries.map {
            [GFM.cell($0.key), GFM.code($0.value, inCell: true)]
        }) + "\n"
    }

    private static func section(_ step: StepSection, figures: inout FigureQueue) -> String {
        var out = prose(step.prose)
        out += "### Step " + GFM.code(step.name) + " (" + GFM.text(step.kind) + ")\n\n"
        out += "_" + Format.stepStatus(step) + "_\n\n"
        out += "<details><summary>Source (line \(step.sourceLine))</summary>\n\n"
        out += GFM.fenced(step.source, info: "swift")
        out += "\n</details>\n\n"
        if !step.metrics.isEmpty {
            out += GFM.table(header: ["Metric", "Value"], rows: step.metrics.map {
                [GFM.cell($0.name), Format.number($0.value)]
            }) + "\n"
        }
        for item in step.items {
            switch item {
            case .figure(let name, _), .images(let name, _):
                guard let figure = figures.take(step: step.name, name: name) else {
                    out += "_Figure " + GFM.text(name) + " was not rendered._\n\n"
                    continue
                }
                out += "![" + GFM.text(name) + "](figures/" + figure.fileName + ")\n"
                if !figure.caption.isEmpty, figure.caption != name { out += "\n" + GFM.text(figure.caption) + "\n" }
                out += "\n"
            case .table(let name, let table):
                out += GFM.label(name)
                out += GFM.table(header: table.columns.map(GFM.cell), rows: table.rows.map { $0.map(GFM.cell) }) + "\n"
            case .text(let name, let text):
                out += GFM.label(name) + GFM.fenced(text, info: "text") + "\n"
            }
        }
        return out
    }
}
