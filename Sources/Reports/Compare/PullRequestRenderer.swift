import Foundation

/// `lab pr-report` output: GitHub-flavoured Markdown for a pull-request comment.
///
/// The verdict comes first, so nothing below it can hide it; every name, value, message
/// and path the reports recorded passes through `GFM`.
public enum PullRequestRenderer {
    /// The report as Markdown.
    public static func markdown(_ report: PullRequestReport) -> String {
        var out = "# Experiments in this pull request\n\n"
        out += verdict(report)
        out += "Base \(GFM.code(String(report.baseCommit.prefix(10)))) (\(GFM.code(report.baseRevision))) → "
        out += "HEAD \(GFM.code(String(report.headCommit.prefix(10)))), from the reports committed at each "
        out += "(`reports/*/results.json`).\n\n"
        let unchanged = report.experiments.filter { $0.unchanged && $0.problems.isEmpty }
        if !unchanged.isEmpty {
            out += "Unchanged (the same published run, or the same step keys and metrics): "
                + unchanged.map { GFM.text($0.name) + ($0.check?.state == .olderLibrary ? " (report from an older library)" : "") }
                    .joined(separator: ", ") + ".\n\n"
        }
        for section in report.experiments where !unchanged.contains(section) { out += experiment(section, report: report) }
        out += report.passed ? "No regressions past the given thresholds.\n" : "**Not ready: see the problems above.**\n"
        return out
    }

    /// The verdict paragraph and, when it fails, one line per problem.
    static func verdict(_ report: PullRequestReport) -> String {
        if report.experiments.isEmpty {
            return "**Not ready: no committed report at the base or at HEAD, and no experiment file at HEAD**, so nothing "
                + "was checked. Run the experiments (lab run FILE), commit reports/, and run lab pr-report again.\n\n"
        }
        let failing = report.experiments.filter { !$0.problems.isEmpty }
        guard !failing.isEmpty else {
            let n = report.experiments.count
            return "**No regressions** in \(n) experiment\(n == 1 ? "" : "s") past the given thresholds.\n\n"
        }
        var out = "**Not ready: \(failing.count) of \(report.experiments.count) experiment\(report.experiments.count == 1 ? "" : "s") "
        out += "\(failing.count == 1 ? "has" : "have") problems.**\n\n"
        for section in failing {
            for problem in section.problems { out += "- \(GFM.text(section.name)): \(describe(problem, in: section))\n" }
        }
        return out + "\n"
    }

    /// One problem as a sentence (Markdown, escaped).
    static func describe(_ problem: PullRequestReport.Problem, in section: PullRequestReport.ExperimentSection) -> String {
        let run = section.head.map { "HEAD's published run \(GFM.code($0.id))" } ?? "HEAD's published run"
        let file = section.sourcePath.map(GFM.text) ?? "FILE"
        switch problem {
        case .noReportAtHead:
            return "HEAD has the experiment but no committed report of it. Run lab run \(file) and commit reports/."
        case .staleAtHead(let reasons):
            var text = "**changed, but its report was not re-run**: HEAD's report is not what HEAD's code computes"
            if !reasons.isEmpty { text += " (" + reasons.map(GFM.text).joined(separator: "; ") + ")" }
            text += ". "
            if section.check?.uncommittedReport == true {
                text += "The working tree has a newer report: commit reports/."
            } else {
                text += "Run lab run \(file) and commit reports/."
            }
            return text
        case .noExperimentAtHead:
            return "HEAD has a committed report but no experiment file declares it: remove reports/\(GFM.text(section.name))/, "
                + "or restore the experiment."
        case .headRunDidNotSucceed(let status):
            var text = "\(run) \(GFM.text(status))"
            if let step = section.head?.failedStep { text += " at step \(GFM.code(step))" }
            return text + "; a published run must have succeeded: fix it, run lab run \(file) and commit reports/."
        case .lostMetric(let name):
            return "HEAD's report has no metric \(GFM.code(name)), which a threshold gates (renamed or removed?). "
                + "Restore it, or change the threshold in the same pull request."
        case let .regressed(metric, change, limit):
            let moved = change.isFinite ? "moved by \(signed(change))" : "became \(Format.number(section.head?.metrics[metric] ?? change))"
            return "\(GFM.code(metric)) **regressed**: \(moved), past the limit \(signed(limit))."
        }
    }

    /// One experiment's section.
    static func experiment(_ section: PullRequestReport.ExperimentSection, report: PullRequestReport) -> String {
        var out = "## \(GFM.text(section.name))\n\n"
        func run(_ summary: PullRequestReport.RunSummary) -> String {
            var text = GFM.code(summary.id)
            if !summary.commit.isEmpty { text += " (at \(GFM.code(String(summary.commit.prefix(10))))" + (summary.dirty == true ? ", dirty)" : ")") }
            return text
        }
        switch (section.base, section.head) {
        case let (base?, head?):
            out += base.id == head.id ? "Published run: \(run(head)), the same at the base and at HEAD.\n\n"
                : "Published runs: base \(run(base)) → HEAD \(run(head)).\n\n"
        case (nil, let head?):
            out += "Published run at HEAD: \(run(head)). The base has no report of this experiment (a new experiment), "
                + "so there is nothing to compare against.\n\n"
        case (let base?, nil):
            out += "Published run at the base: \(run(base)); HEAD has no report"
                + (section.check == nil ? " and no experiment file: removed in this pull request.\n\n" : ".\n\n")
        case (nil, nil):
            out += "No committed report at the base or at HEAD.\n\n"
        }
        if let head = section.head, !head.deviations.isEmpty {
            out += "HEAD's report was published on purpose from a run that is not the experiment as declared: "
                + head.deviations.map(GFM.text).joined(separator: "; ") + ".\n\n"
        }
        if let check = section.check {
            switch check.state {
            case .current: out += "HEAD's report is current: its step keys match HEAD's code.\n\n"
            case .olderLibrary:
                out += "HEAD's report is from an older library: only Lab or libtorch changed since its run, "
                    + "so its numbers may differ from what today's library computes.\n\n"
            case .stale, .noReport, .noExperiment: break   // a problem, said below
            }
        }
        let problems = section.problems
        if !problems.isEmpty {
            out += problems.map { "**Problem:** \(describe($0, in: section))\n" }.joined(separator: "\n") + "\n"
        }
        if section.base?.id == section.head?.id { return out }   // one run: no step or metric moved
        if let head = section.head, section.base != nil, !head.steps.isEmpty {
            let changed = Dictionary(section.changedSteps.map { ($0.name, $0.parts) }, uniquingKeysWith: { a, _ in a })
            out += GFM.table(header: ["step", "changed since the base's run"], rows: head.steps.map { step in
                guard let parts = changed[step.name] else { return [GFM.cell(step.name), "no"] }
                return [GFM.cell(step.name), parts == ["added"] ? "new step" : GFM.cell("yes (" + parts.joined(separator: ", ") + ")")]
            }) + "\n"
        }
        let rows = section.metrics
        if !rows.isEmpty {
            out += GFM.table(header: ["metric", "base", "HEAD", "Δ", "verdict"], rows: rows.map { row in
                [GFM.cell(row.name), row.base.map(Format.number) ?? "—", row.head.map(Format.number) ?? "—",
                 row.change.map(signed) ?? "—", verdict(row)]
            }) + "\n"
        }
        return out
    }

    /// The verdict cell of a metric row.
    static func verdict(_ row: PullRequestReport.MetricRow) -> String {
        let limit = row.threshold.map { " (limit \(signed($0.delta)))" } ?? ""
        switch row.verdict {
        case .ungated: return ""
        case .ok: return "ok" + limit
        case .regressed: return "**regressed**" + limit
        case .lost: return "**missing at HEAD**" + limit
        case .new: return "new: no base value"
        case .notMeasured: return "not measured: HEAD's run did not succeed"
        }
    }

    /// A change with its sign: `+0.05`, `-0.353`.
    static func signed(_ v: Double) -> String {
        v.isFinite ? String(format: "%+.4g", v) : Format.number(v)
    }
}
