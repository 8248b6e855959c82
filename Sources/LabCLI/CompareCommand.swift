import ArgumentParser
import Foundation
import Lab

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Put runs side by side: differing config, metric deltas, seed groups as mean ± 95% interval.")

    @Argument(help: "Run ids (or unique prefixes).")
    var runs: [String]

    @Flag(help: "Markdown (the default).") var md = false
    @Flag(help: "One self-contained HTML page with overlaid curves.") var html = false
    @Flag(help: "JSON.") var json = false

    func validate() throws {
        if runs.count < 2 { throw ValidationError("give at least two runs to compare (lab ls lists them)") }
        if [md, html, json].filter({ $0 }).count > 1 { throw ValidationError("choose one of --md, --html, --json") }
    }

    func run() throws {
        let store = try openStore()
        let compared = try runs.map { try ComparedRun.load(store: store, id: $0) }
        try Comparison.validate(compared)
        let comparison = Comparison.build(compared)
        if json { print(try ComparisonRenderer.json(comparison), terminator: "") }
        else if html { print(ComparisonRenderer.html(comparison), terminator: "") }
        else { print(ComparisonRenderer.markdown(comparison), terminator: "") }
    }
}

extension ComparedRun {
    static func load(store: RunStore, id: String) throws -> ComparedRun {
        let run = try store.run(id: id)
        let series = try store.series(runId: run.id).mapValues { $0.map { SeriesPoint(x: Int($0.x), value: $0.value) } }
        return ComparedRun(
            id: run.id, experiment: run.experiment, commit: run.gitCommit, seed: run.rootSeed,
            config: Dictionary(uniqueKeysWithValues: try store.params(runId: run.id).map { ($0.key, $0.value) }),
            metrics: Dictionary(try store.summaries(runId: run.id).map { ("\($0.step)/\($0.name)", $0.value) }, uniquingKeysWith: { $1 }),
            series: series, status: run.status.rawValue)
    }
}
