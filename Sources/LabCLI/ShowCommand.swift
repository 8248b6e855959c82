import ArgumentParser
import Foundation
import Lab

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one run: provenance, config, steps, metrics.")

    @Argument(help: "A run id, or a unique prefix of one.")
    var id: String

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func run() throws {
        let store = try openStore()
        let record = try store.run(id: id)
        let steps = try store.steps(runId: record.id)
        let summaries = try store.summaries(runId: record.id)
        let params = try store.params(runId: record.id)
        if json {
            struct Detail: Encodable {
                let run: RunRecord
                let params: [String: String]
                let steps: [StepRecord]
                let metrics: [String: Double]
            }
            try printJSON(Detail(run: record, params: Dictionary(uniqueKeysWithValues: params.map { ($0.key, $0.value) }),
                                 steps: steps, metrics: Dictionary(uniqueKeysWithValues: summaries.map { ("\($0.step)/\($0.name)", $0.value) })))
            return
        }
        print("run         \(record.id)")
        print("experiment  \(record.experiment)")
        print("status      \(record.status.rawValue)\(record.failedStep.map { " at step '\($0)'" } ?? "")")
        if let error = record.error { print("error       \(error)\(record.errorLocation.map { " (\($0))" } ?? "")") }
        print("started     \(ISO8601DateFormatter().string(from: record.startedAt))")
        if let end = record.endedAt { print(String(format: "duration    %.2f s", end.timeIntervalSince(record.startedAt))) }
        if let commit = record.gitCommit {
            print("commit      \(commit)\(record.gitDirty == true ? " (dirty: uncommitted changes recorded)" : "")")
            print("branch      \(record.gitBranch ?? "(detached HEAD)")\(record.gitRemote.map { "  remote \($0)" } ?? "")")
        } else if record.gitDirty != nil {
            print("commit      none (a git repository with no commits yet)\(record.gitBranch.map { "  branch \($0)" } ?? "")")
        } else {
            print("commit      none (not run inside a git repository)")
        }
        print("seed        \(record.rootSeed)\(record.smoke ? "  (smoke)" : "")")
        print("environment \(record.environment)")
        print("\nconfig")
        print(table(["KEY", "VALUE"], params.map { [$0.key, $0.value] }))
        print("\nsteps")
        print(table(["STEP", "KIND", "CACHE", "STATUS", "SECONDS", "KEY"], steps.map {
            [$0.name, $0.kind, $0.cacheHit ? "hit" : "miss", $0.status, String(format: "%.2f", $0.seconds), String($0.key.prefix(12))]
        }))
        if !summaries.isEmpty {
            print("\nmetrics")
            print(table(["STEP", "METRIC", "VALUE"], summaries.map { [$0.step, $0.name, String(format: "%.6g", $0.value)] }))
        }
    }
}
