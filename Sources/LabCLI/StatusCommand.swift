import ArgumentParser
import Foundation
import Lab

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Say, for each experiment, whether its committed report is still what its code computes.",
        discussion: """
        Recomputes every step's cache key from the experiment file as it is (its own config, root seed 0, a full \
        run, today's library) and compares them with the keys in reports/<experiment>/results.json. No step runs. \
        The experiments are the files given, else experiments/*.swift and every file a committed results.json names.

        States: current (every key matches); older library (only Lab or libtorch changed since the run, which \
        changes every key); stale (a step's code, config or structure changed, or the report is of another config \
        or seed: the changed steps are named with the parts of their keys that changed); no report; no experiment file.

        Exit status with --check: 0 when no report is stale or missing; 1 otherwise (--strict: a report from an \
        older library too); 2 when an experiment does not compile or an option is wrong.
        """)

    @Argument(help: "Experiment files (default: experiments/*.swift and those the committed reports name).")
    var files: [String] = []

    @Flag(help: "Exit 1 when a report is stale or missing (for CI).")
    var check = false

    @Flag(help: "With --check, count a report from an older library as stale too.")
    var strict = false

    func validate() throws {
        if strict && !check { throw ValidationError("--strict only changes --check: give both") }
        for file in files { try ExperimentFile.validate(URL(fileURLWithPath: file)) }
    }

    func run() throws {
        let root = projectRoot()
        let audit = try ReportAudit.run(root: root, files: files)
        print(Self.text(audit))
        if !audit.failures.isEmpty { throw ExitCode(2) }
        if check, audit.statuses.contains(where: { $0.fails(strict: strict) }) { throw ExitCode(1) }
    }

    /// The table, then one line per reason for each experiment that is not current.
    static func text(_ audit: ReportAudit) -> String {
        var out = table(["experiment", "report", "state"], audit.statuses.map {
            [$0.experiment, $0.runId ?? "—", $0.state.rawValue]
        })
        for status in audit.statuses where status.state != .current {
            let file = status.source.map { " (\($0))" } ?? ""
            out += "\n\n\(status.experiment)\(file): \(status.state.rawValue)"
            for reason in status.reasons { out += "\n  - \(reason)" }
            switch status.state {
            case .stale, .noReport: out += "\n  re-run: lab run \(status.source ?? "FILE"), then commit reports/"
            case .olderLibrary: out += "\n  the numbers may differ with today's library: lab run \(status.source ?? "FILE") to refresh"
            default: break
            }
        }
        for failure in audit.failures { out += "\n\nerror: \(failure)" }
        return out
    }
}
