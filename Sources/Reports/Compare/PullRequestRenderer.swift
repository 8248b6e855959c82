import Foundation

/// `lab pr-report` output: GitHub-flavoured Markdown for a pull-request comment.
///
/// The verdict comes first, so nothing below it can hide it; every name, value, message
/// and path the runs recorded passes through ``GFM``.
public enum PullRequestRenderer {
    /// The report as Markdown.
    public static func markdown(_ report: PullRequestReport) -> String {
        var out = "# Experiments in this pull request\n\n"
        out += verdict(report)
        out += "Base \(GFM.code(String(report.baseCommit.prefix(10)))) (\(GFM.code(report.baseRevision))) → "
        out += "HEAD \(GFM.code(String(report.headCommit.prefix(10)))).\n\n"
        for section in report.experiments { out += experiment(section, report: report) }
        out += report.passed ? "No regressions past the given thresholds.\n" : "**Not ready: see the problems above.**\n"
        return out
    }

    /// The verdict paragraph and, when it fails, one line per problem.
    static func verdict(_ report: PullRequestReport) -> String {
        if report.experiments.isEmpty {
            return "**Not ready: no experiment has a run of the base commit's code or of HEAD's**, so nothing was checked. "
                + "Run the experiments on HEAD's code (lab run FILE) and run lab pr-report again.\n\n"
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
        let run = section.head.map { "HEAD's run \(GFM.code($0.id))" } ?? "HEAD's run"
        let rerun = "run it again (lab run \(section.sourcePath.map(GFM.text) ?? "FILE"))"
        switch problem {
        case .noRunAtHead:
            var text = "no run of HEAD's code. "
            if let other = section.latestElsewhere {
                text += "Its latest run \(GFM.code(other.id)) ran other code (at \(GFM.code(String(other.commit.prefix(10))))"
                if !other.changedPaths.isEmpty {
                    text += "; files that differ, committed or not: \(other.changedPaths.map { GFM.code($0) }.joined(separator: ", "))"
                }
                text += "). "
            }
            return text + "Run lab run \(section.sourcePath.map(GFM.text) ?? "FILE") on HEAD's code; "
                + "committing its reports afterwards keeps the run valid (a commit that changes only reports/ has the same code)."
        case .headRunDidNotSucceed(let status):
            switch status {
            case "failed":
                var text = "\(run) **failed**"
                if let step = section.head?.failedStep { text += " at step \(GFM.code(step))" }
                if let error = section.head?.error { text += ": \(GFM.text(error))" }
                return text + ". Fix it and \(rerun)."
            case "running":
                return "\(run) is **still running**: wait for it to finish, then run lab pr-report again."
            case "crashed":
                return "\(run) **crashed** (its process ended without recording a result): \(rerun)."
            case "interrupted":
                return "\(run) was **interrupted**: \(rerun)."
            default:
                return "\(run) ended \(GFM.text(status)), not succeeded: \(rerun)."
            }
        case .lostMetric(let name):
            return "HEAD's run has no metric \(GFM.code(name)), which a threshold gates (renamed or removed?). "
                + "Restore it, or change the threshold in the same pull request."
        case let .regressed(metric, change, limit):
            let moved = change.isFinite ? "moved by \(signed(change))" : "became \(Format.number(section.head?.metrics[metric] ?? change))"
            return "\(GFM.code(metric)) **regressed**: \(moved), past the limit \(signed(limit))."
        }
    }

    /// One experiment's section.
    static func experiment(_ section: PullRequestReport.ExperimentSection, report: PullRequestReport) -> String {
        var out = "## \(GFM.text(section.name))\n\n"
        switch (section.base, section.head) {
        case let (base?, head?):
            out += "Runs: base \(GFM.code(base.id)) → HEAD \(GFM.code(head.id)) (\(GFM.text(head.status))).\n\n"
            if base.id == head.id { out += "HEAD's code is the base commit's code (outside reports/): one run stands for both.\n\n" }
        case (nil, let head?):
            out += "HEAD's run \(GFM.code(head.id)) (\(GFM.text(head.status))). No succeeded run of the base commit's code, "
                + "so there is nothing to compare against.\n\n"
        case (let base?, nil):
            out += "Base run \(GFM.code(base.id)); no run of HEAD's code.\n\n"
        case (nil, nil):
            break
        }
        if let head = section.head, head.commit != report.headCommit {
            out += "HEAD's run was recorded at \(GFM.code(String(head.commit.prefix(10)))), which has HEAD's code: "
                + "the commits differ only under reports/.\n\n"
        }
        if let base = section.base, base.id != section.head?.id, base.commit != report.baseCommit {
            out += "The base's run was recorded at \(GFM.code(String(base.commit.prefix(10)))), which has the base commit's code: "
                + "the commits differ only under reports/.\n\n"
        }
        let problems = section.problems
        if !problems.isEmpty {
            out += problems.map { "**Problem:** \(describe($0, in: section))\n" }.joined(separator: "\n") + "\n"
        }
        if let head = section.head, !head.steps.isEmpty {
            let before = Dictionary(section.base?.steps.map { ($0.name, $0) } ?? [], uniquingKeysWith: { a, _ in a })
            out += GFM.table(header: ["step", "changed since base", "re-run at HEAD"], rows: head.steps.map { step in
                let changed: String
                if section.base == nil { changed = "—" }
                else if let old = before[step.name] { changed = old.key == step.key ? "no" : "yes (\(changedParts(old, step)))" }
                else { changed = "new step" }
                return [GFM.cell(step.name), GFM.cell(changed), step.cacheHit ? "no (cached)" : "yes"]
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

    /// The parts of a step's cache key that changed (`source`, `config` …).
    static func changedParts(_ old: PullRequestReport.StepSummary, _ new: PullRequestReport.StepSummary) -> String {
        Set(old.keyParts.keys).union(new.keyParts.keys)
            .filter { old.keyParts[$0] != new.keyParts[$0] && $0 != "config.fields" }.sorted().joined(separator: ", ")
    }

    /// A change with its sign: `+0.05`, `-0.353`.
    static func signed(_ v: Double) -> String {
        v.isFinite ? String(format: "%+.4g", v) : Format.number(v)
    }
}
