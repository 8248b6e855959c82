import ArgumentParser
import Foundation
import Lab

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List runs, newest first.")

    @Argument(help: "Only runs of this experiment.")
    var experiment: String?

    @Option(help: "At most this many runs.")
    var limit: Int = 50

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let store = try openStore()
        let runs = try store.runs(experiment: experiment, limit: limit)
        if json { try printJSON(runs.map(RunSummary.init)); return }
        if runs.isEmpty { print("no runs\(experiment.map { " of \($0)" } ?? "")"); return }
        let formatter = ISO8601DateFormatter()
        print(table(["RUN", "EXPERIMENT", "STATUS", "STARTED", "SECONDS", "COMMIT", "METRICS"], try runs.map { run in
            let metrics = try store.summaries(runId: run.id).prefix(3)
                .map { "\($0.name)=\(String(format: "%.4g", $0.value))" }.joined(separator: " ")
            let seconds = run.endedAt.map { String(format: "%.1f", $0.timeIntervalSince(run.startedAt)) } ?? "-"
            let commit = run.gitCommit.map { String($0.prefix(8)) + (run.gitDirty == true ? "+" : "") } ?? "-"
            return [run.id, run.experiment, run.status.rawValue, formatter.string(from: run.startedAt), seconds, commit, metrics]
        }))
    }
}

/// The fields of a run that `lab ls --json` prints.
struct RunSummary: Encodable {
    let id: String, experiment: String, status: String, startedAt: Date, endedAt: Date?
    let commit: String?, dirty: Bool?, failedStep: String?, error: String?
    init(_ r: RunRecord) {
        id = r.id; experiment = r.experiment; status = r.status.rawValue; startedAt = r.startedAt; endedAt = r.endedAt
        commit = r.gitCommit; dirty = r.gitDirty; failedStep = r.failedStep; error = r.error
    }
}
