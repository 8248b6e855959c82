import Foundation

/// Writes a run's report folder, `reports/<experiment>/`, and the index `reports/README.md`.
///
/// Each file is written atomically (to a temporary file beside it, then renamed over the
/// old one), so a reader — a browser, `git diff`, a second `lab run` — sees the old file or
/// the new one, never half of one.
public enum ReportWriter {
    /// The number of metrics an index line shows.
    static let indexMetricCount = 4

    /// Writes `README.md`, `index.html`, `results.json` and `figures/*.svg` for `doc` into
    /// `folder`, creating it if needed, and removes the `.svg` figures that earlier runs left
    /// there and this run no longer makes. Other files in the folder are left alone.
    /// - Parameters:
    ///   - doc: The run document.
    ///   - folder: The experiment's report folder, `reports/<experiment>/`.
    /// - Throws: ``ReportsError/cannotWrite(path:reason:)`` when a folder or file cannot be
    ///   written; ``ReportsError/cannotRemoveStaleFigure(path:reason:)`` when an old figure
    ///   cannot be removed.
    public static func write(_ doc: ReportDocument, to folder: URL) throws {
        let figuresFolder = folder.appendingPathComponent("figures", isDirectory: true)
        try createFolder(figuresFolder)
        let figures = FigureFile.figureFiles(doc)
        for figure in figures {
            try writeAtomically(figure.svg, to: figuresFolder.appendingPathComponent(figure.fileName))
        }
        try writeAtomically(MarkdownRenderer.render(doc, figures: figures), to: folder.appendingPathComponent("README.md"))
        try writeAtomically(HTMLRenderer.render(doc), to: folder.appendingPathComponent("index.html"))
        try writeAtomically(JSONRenderer.results(doc), to: folder.appendingPathComponent("results.json"))
        try removeStaleFigures(in: figuresFolder, keeping: Set(figures.map(\.fileName)))
    }

    /// Writes `reports/README.md`: one table row per report folder (sorted by experiment
    /// name) with its run's status, commit, date and up to four metrics, and links to the
    /// folder's `README.md` and `index.html`.
    /// - Parameters:
    ///   - entries: One entry per report folder (see ``IndexEntry/entries(in:)``).
    ///   - reportsFolder: The `reports/` folder, created if needed.
    /// - Throws: ``ReportsError/cannotWrite(path:reason:)`` when it cannot be written.
    public static func writeIndex(_ entries: [IndexEntry], to reportsFolder: URL) throws {
        try createFolder(reportsFolder)
        try writeAtomically(indexMarkdown(entries), to: reportsFolder.appendingPathComponent("README.md"))
    }

    /// The text of `reports/README.md`.
    static func indexMarkdown(_ entries: [IndexEntry]) -> String {
        let out = "# Experiments\n\nThe published run of each experiment, from its folder's `results.json`. "
            + "Written by `lab run` and `lab report --publish`; do not edit.\n\n"
        guard !entries.isEmpty else { return out + "No experiment has run yet.\n" }
        let rows = entries.sorted { ($0.experiment, $0.runId) < ($1.experiment, $1.runId) }.map { entry -> [String] in
            let folder = pathSegment(entry.folder)
            let metrics = entry.metrics.prefix(indexMetricCount).map {
                GFM.cell($0.step + "/" + $0.name) + " " + Format.number($0.value)
            }.joined(separator: "<br>")
            return [
                GFM.cell(entry.experiment),
                GFM.cell(entry.status),
                entry.commit.map { GFM.code(Format.shortHash($0), inCell: true) } ?? "—",
                entry.date.map(Format.date) ?? "—",
                metrics,
                "[README](\(folder)/README.md) · [HTML](\(folder)/index.html)",
            ]
        }
        return out + GFM.table(header: ["Experiment", "Status", "Commit", "Date", "Metrics", "Report"], rows: rows)
    }

    /// A folder name percent-encoded as one relative path segment: only `[A-Za-z0-9-._~]`
    /// stay, so no name can make a link with a scheme, break out of `(…)`, or span folders.
    /// The names ``FileName`` makes are left as they are, so a link names its folder exactly.
    static func pathSegment(_ name: String) -> String {
        var out = ""
        for byte in name.utf8 {
            let c = Character(UnicodeScalar(byte))
            if c.isASCII, c.isLetter || c.isNumber || "-._~".contains(c) {
                out.append(c)
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out.isEmpty ? "_" : out
    }

    private static func createFolder(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw ReportsError.cannotWrite(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Foundation's `.atomic` option writes a temporary file in the same folder and renames
    /// it over `url`.
    private static func writeAtomically(_ text: String, to url: URL) throws {
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw ReportsError.cannotWrite(path: url.path, reason: error.localizedDescription)
        }
    }

    private static func removeStaleFigures(in folder: URL, keeping current: Set<String>) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where name.hasSuffix(".svg") && !current.contains(name) {
            let url = folder.appendingPathComponent(name)
            do {
                try FileManager.default.removeItem(at: url)
            } catch {
                throw ReportsError.cannotRemoveStaleFigure(path: url.path, reason: error.localizedDescription)
            }
        }
    }
}
