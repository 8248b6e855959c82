import ArgumentParser
import Foundation
import Lab

struct PRReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pr-report",
        abstract: "Summarize a pull request: changed steps and metric deltas between the base commit's runs and HEAD's.",
        discussion: """
        For each experiment, compares the latest run recorded at the base commit with the latest run at HEAD \
        (smoke runs are ignored). Thresholds come from the experiment (lab.regression(NAME, beyond: DELTA)) \
        and from --threshold, which overrides them. --threshold NAME=DELTA flags a regression when a metric moves past DELTA in \
        its sign's direction: accuracy=-0.01 (a drop of more than 0.01), loss=+0.05 (a rise of more than 0.05). \
        NAME is "step/metric" or just "metric". Exit status: 0, or 1 when anything regressed.
        """)

    @Option(help: "The base revision (branch, tag or commit).")
    var base: String

    @Option(help: "Write the Markdown here instead of standard output.")
    var out: String?

    @Option(name: .customLong("threshold"), help: "NAME=DELTA (repeatable); see the discussion.")
    var thresholds: [String] = []

    func run() throws {
        let root = projectRoot()
        let baseCommit = try Git.resolve(base, at: root.path)
        guard let headCommit = try Git.inspect(path: root.path)?.commit else {
            throw ValidationError("no HEAD commit in \(root.path)")
        }
        var limits: [(name: String, delta: Double)] = []
        for t in thresholds {
            let parts = t.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let d = Double(parts[1]), d != 0 else {
                throw ValidationError("--threshold takes NAME=DELTA with a signed non-zero number, e.g. accuracy=-0.01; got '\(t)'")
            }
            limits.append((parts[0], d))
        }
        let store = try openStore()
        let runs = try store.runs().filter { !$0.smoke }
        let experiments = Array(Set(runs.map(\.experiment))).sorted()
        var markdown = "# Experiments in this pull request\n\nBase `\(baseCommit.prefix(10))` (\(base)) → HEAD `\(headCommit.prefix(10))`.\n\n"
        var regressed = false
        for name in experiments {
            let baseRun = runs.first { $0.experiment == name && $0.gitCommit == baseCommit && $0.status == .succeeded }
            let headRun = runs.first { $0.experiment == name && $0.gitCommit == headCommit }
            markdown += "## \(name)\n\n"
            guard let headRun else {
                markdown += "No run recorded at HEAD: run `lab run` on this experiment and commit its report.\n\n"
                continue
            }
            guard let baseRun else {
                markdown += "No successful run recorded at the base commit, so there is nothing to compare against. "
                markdown += "HEAD's run `\(headRun.id)` \(headRun.status.rawValue).\n\n"
                continue
            }
            // Thresholds declared in the experiment (recorded with HEAD's run); --threshold overrides them.
            var limits = limits
            if let env = try? JSONSerialization.jsonObject(with: Data(headRun.environment.utf8)) as? [String: Any],
               let declared = env["regression_thresholds"] as? [String: Double] {
                for (name, delta) in declared.sorted(by: { $0.key < $1.key }) where !limits.contains(where: { $0.name == name }) {
                    limits.append((name, delta))
                }
            }
            let baseSteps = Dictionary(uniqueKeysWithValues: try store.steps(runId: baseRun.id).map { ($0.name, $0) })
            let headSteps = try store.steps(runId: headRun.id).sorted { $0.sourceLine < $1.sourceLine }
            markdown += "Runs: base `\(baseRun.id)` → HEAD `\(headRun.id)` (\(headRun.status.rawValue)).\n\n"
            markdown += "| step | changed since base | re-run at HEAD |\n|---|---|---|\n"
            for step in headSteps {
                let old = baseSteps[step.name]
                let changed = old == nil ? "new step" : old!.key == step.key ? "no" : "yes (\(changedParts(old!, step)))"
                markdown += "| \(step.name) | \(changed) | \(step.cacheHit ? "no (cached)" : "yes") |\n"
            }
            let before = Dictionary(try store.summaries(runId: baseRun.id).map { ("\($0.step)/\($0.name)", $0.value) }, uniquingKeysWith: { $1 })
            let after = Dictionary(try store.summaries(runId: headRun.id).map { ("\($0.step)/\($0.name)", $0.value) }, uniquingKeysWith: { $1 })
            markdown += "\n| metric | base | HEAD | Δ | verdict |\n|---|---:|---:|---:|---|\n"
            for key in Set(before.keys).union(after.keys).sorted() {
                let b = before[key], a = after[key]
                var verdict = ""
                var delta = "—"
                if let b, let a {
                    let d = a - b
                    delta = String(format: "%+.4g", d)
                    let metricName = String(key.split(separator: "/").last ?? "")
                    if let limit = limits.first(where: { $0.name == key || $0.name == metricName }) {
                        let bad = limit.delta < 0 ? d < limit.delta : d > limit.delta
                        verdict = bad ? "**regressed** (limit \(String(format: "%+g", limit.delta)))" : "ok"
                        regressed = regressed || bad
                    }
                }
                markdown += "| \(key) | \(b.map { String(format: "%.4g", $0) } ?? "—") | \(a.map { String(format: "%.4g", $0) } ?? "—") | \(delta) | \(verdict) |\n"
            }
            markdown += "\n"
        }
        markdown += regressed ? "**Regressions found.**\n" : "No regressions past the given thresholds.\n"
        if let out { try markdown.write(toFile: out, atomically: true, encoding: .utf8) } else { print(markdown, terminator: "") }
        if regressed { throw ExitCode(1) }
    }

    func changedParts(_ old: StepRecord, _ new: StepRecord) -> String {
        let a = (try? JSONSerialization.jsonObject(with: Data(old.keyParts.utf8))) as? [String: String] ?? [:]
        let b = (try? JSONSerialization.jsonObject(with: Data(new.keyParts.utf8))) as? [String: String] ?? [:]
        let parts = Set(a.keys).union(b.keys).filter { a[$0] != b[$0] && $0 != "config.fields" }.sorted()
        return parts.joined(separator: ", ")
    }
}
