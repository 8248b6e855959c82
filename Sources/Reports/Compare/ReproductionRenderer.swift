import Foundation

/// `lab reproduce` output: the reproduction report as GitHub-flavoured Markdown and as one
/// self-contained HTML page, and the summary lines printed in the terminal.
///
/// The verdict comes first; every name, value, path and message passes through `GFM` or
/// ``HTML/escape(_:)``. Values are written in full (Swift's shortest round-trip form), since
/// a bit-identical claim is about the last digit.
public enum ReproductionRenderer {
    /// The report as Markdown (`README.md`).
    public static func markdown(_ r: Reproduction) -> String {
        var out = "# Reproduction of run \(GFM.code(r.originalRunId)) (\(GFM.text(r.experiment)))\n\n"
        out += "**\(GFM.text(headline(r)))** \(GFM.text(explanation(r)))\n\n"
        for failed in r.failedMetrics {
            out += "- \(GFM.code(failed.name)): \(GFM.text(describe(failed)))\n"
        }
        if !r.failedMetrics.isEmpty { out += "\n" }
        out += "## Runs\n\n"
        out += GFM.table(header: ["", "original", "reproduction"], rows: machineRows(r).map { $0.map(GFM.cell) }) + "\n"
        out += "Comparison: **\(GFM.text(comparisonName(r.comparison)))**: \(GFM.text(comparisonText(r.comparison)))\n\n"
        out += "## Recorded run\n\n"
        for (label, value) in runFacts(r) { out += "- \(GFM.text(label)): \(GFM.text(value))\n" }
        out += "\n"
        if !r.config.isEmpty {
            out += GFM.table(header: ["config", "value"], rows: r.config.map { [GFM.cell($0.key), GFM.cell($0.value)] }) + "\n"
        }
        out += "## Metrics\n\n"
        if r.metrics.isEmpty {
            out += "Neither run recorded a metric.\n\n"
        } else {
            out += GFM.table(header: ["metric", "original", "reproduced", "difference", "verdict"], rows: r.metrics.map { row in
                [GFM.cell(row.name), value(row.original), value(row.reproduced), row.difference.map(value) ?? "—",
                 row.passed ? "same" : "**\(GFM.text(rowVerdict(row)))**"]
            }) + "\n"
        }
        if !r.notes.isEmpty {
            out += "## Notes\n\n" + r.notes.map { "- \(GFM.text($0))\n" }.joined() + "\n"
        }
        return out
    }

    /// The report as one self-contained HTML page (`index.html`): inline CSS, no script.
    public static func html(_ r: Reproduction) -> String {
        func table(_ header: [String], _ rows: [[String]]) -> String {
            "<div class=\"scroll\"><table><thead><tr>" + header.map { "<th>\(HTML.escape($0))</th>" }.joined()
                + "</tr></thead><tbody>" + rows.map { "<tr>" + $0.map { "<td>\(HTML.escape($0))</td>" }.joined() + "</tr>" }.joined()
                + "</tbody></table></div>\n"
        }
        let title = "Reproduction of run \(r.originalRunId) (\(r.experiment))"
        var body = "<h1>\(HTML.escape(title))</h1>\n"
        body += "<p class=\"verdict \(r.verdict == .reproduced ? "ok" : "bad")\"><b>\(HTML.escape(headline(r)))</b> \(HTML.escape(explanation(r)))</p>\n"
        if !r.failedMetrics.isEmpty {
            body += "<ul>" + r.failedMetrics.map { "<li><code>\(HTML.escape($0.name))</code>: \(HTML.escape(describe($0)))</li>" }.joined() + "</ul>\n"
        }
        body += "<h2>Runs</h2>\n" + table(["", "original", "reproduction"], machineRows(r))
        body += "<p>Comparison: <b>\(HTML.escape(comparisonName(r.comparison)))</b>: \(HTML.escape(comparisonText(r.comparison)))</p>\n"
        body += "<h2>Recorded run</h2>\n<ul>" + runFacts(r).map { "<li>\(HTML.escape($0.0)): \(HTML.escape($0.1))</li>" }.joined() + "</ul>\n"
        if !r.config.isEmpty { body += table(["config", "value"], r.config.map { [$0.key, $0.value] }) }
        body += "<h2>Metrics</h2>\n"
        body += r.metrics.isEmpty ? "<p>Neither run recorded a metric.</p>\n"
            : table(["metric", "original", "reproduced", "difference", "verdict"], r.metrics.map { row in
                [row.name, plain(row.original), plain(row.reproduced), row.difference.map { plain($0) } ?? "—",
                 row.passed ? "same" : rowVerdict(row)]
            })
        if !r.notes.isEmpty {
            body += "<h2>Notes</h2>\n<ul>" + r.notes.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>\n"
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <title>\(HTML.escape(title))</title>
        <style>body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}
        table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}.scroll{overflow-x:auto}
        .verdict{padding:.5rem .8rem;border-radius:4px}.ok{background:#e6f4ea}.bad{background:#fce8e6}</style></head>
        <body>
        \(body)</body></html>

        """
    }

    /// The lines `lab reproduce` prints after the run: the verdict, the comparison and each
    /// metric that did not pass. Plain text.
    public static func summary(_ r: Reproduction) -> [String] {
        var lines = ["\(headline(r)) \(explanation(r))"]
        lines.append("comparison: \(comparisonName(r.comparison)): \(comparisonText(r.comparison))")
        lines.append("CPU: original \(r.originalMachine.cpu ?? "not recorded"); here \(r.reproductionMachine.cpu ?? "not recorded")")
        for row in r.metrics {
            let mark = row.passed ? "same" : rowVerdict(row)
            lines.append("  \(row.name)  \(plain(row.original)) → \(plain(row.reproduced))  (\(mark))")
        }
        for note in r.notes { lines.append("note: \(note)") }
        return lines
    }

    // MARK: - Sentences

    /// "Reproduced: bit-identical.", "Not reproduced.", "Could not reproduce."
    static func headline(_ r: Reproduction) -> String {
        switch r.verdict {
        case .reproduced: return r.comparison == .bitIdentical ? "Reproduced: bit-identical." : "Reproduced within tolerance."
        case .notReproduced: return "Not reproduced."
        case .couldNotReproduce: return "Could not reproduce."
        }
    }

    static func explanation(_ r: Reproduction) -> String {
        let new = r.newRunId.map { "run \($0)" } ?? "the new run"
        let n = r.metrics.count
        switch r.verdict {
        case .reproduced where n == 0:
            return "Neither run recorded a metric, so there was nothing to compare; \(new) succeeded."
        case .reproduced:
            let each = r.comparison == .bitIdentical ? "is equal bit for bit" : "is within the tolerance"
            return "\(n == 1 ? "The metric" : "Each of the \(n) metrics") of run \(r.originalRunId) \(each) in \(new)."
        case .notReproduced:
            let failed = r.failedMetrics.count
            return "\(failed) of \(n) metric\(n == 1 ? "" : "s") of run \(r.originalRunId) \(failed == 1 ? "is" : "are") not matched in \(new):"
        case .couldNotReproduce:
            return r.failure ?? ""
        }
    }

    static func describe(_ row: Reproduction.MetricRow) -> String {
        switch (row.original, row.reproduced) {
        case (nil, _?): return "only the reproduction has it"
        case (_?, nil): return "the reproduction lacks it (renamed or removed at this commit?)"
        case let (a?, b?): return "\(plain(a)) recorded, \(plain(b)) reproduced (difference \(plain(b - a)))"
        case (nil, nil): return "missing"
        }
    }

    static func rowVerdict(_ row: Reproduction.MetricRow) -> String {
        switch (row.original, row.reproduced) {
        case (nil, _): return "extra"
        case (_, nil): return "missing"
        default: return "differs"
        }
    }

    static func comparisonName(_ c: Reproduction.Comparison) -> String {
        switch c {
        case .bitIdentical: return "bit-identical"
        case .withinTolerance: return "within tolerance"
        }
    }

    static func comparisonText(_ c: Reproduction.Comparison) -> String {
        switch c {
        case .bitIdentical:
            return "the same CPU, vector extensions, ATen kernel set, libtorch, thread count and library computed both runs, "
                + "so any difference at all fails."
        case let .withinTolerance(relative, absolute, reasons):
            return "\(reasons.joined(separator: "; ")). A metric passes when it differs by at most \(plain(relative)) of its "
                + "magnitude, or by \(plain(absolute)) near zero."
        }
    }

    static func machineRows(_ r: Reproduction) -> [[String]] {
        let a = r.originalMachine, b = r.reproductionMachine
        func text(_ v: String?) -> String { v ?? "not recorded" }
        return [
            ["run", r.originalRunId, r.newRunId ?? "none"],
            ["CPU", text(a.cpu), text(b.cpu)],
            ["vector extensions", text(a.vectorExtensions), text(b.vectorExtensions)],
            ["ATen kernel set", text(a.atenCapability), text(b.atenCapability)],
            ["libtorch", text(a.libtorch), text(b.libtorch)],
            ["threads", text(a.threads.map(String.init)), text(b.threads.map(String.init))],
            ["library fingerprint", text(a.libraryFingerprint), text(b.libraryFingerprint)],
        ]
    }

    static func runFacts(_ r: Reproduction) -> [(String, String)] {
        [("read from", r.recordSource),
         ("commit", r.commit),
         ("uncommitted changes", r.dirty ? "yes: the recorded patch was applied to the copy" : "none"),
         ("experiment file", r.file),
         ("seed", String(r.seed)),
         ("smoke", r.smoke ? "yes" : "no")]
    }

    // MARK: - Numbers

    /// A value in full, as Markdown cell text.
    static func value(_ v: Double?) -> String { GFM.cell(plain(v)) }

    /// A value in full (shortest text that reads back as the same Double); "—" when absent.
    static func plain(_ v: Double?) -> String {
        guard let v else { return "—" }
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return "\(v)"
    }
}
