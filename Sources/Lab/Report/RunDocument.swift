import Foundation
import Reports

/// Builds the document of a recorded run from the run store alone: the run record, its
/// steps, metrics and series, each step's report items, and the experiment file as it
/// was run (for the prose and each step's code). So `lab report RUN` renders any past run,
/// whatever the file looks like now.
package enum RunDocument {
    /// The report of run `runId` from the store: prose and code of its recorded source, steps, metrics, series and items. Throws the store's errors.
    package static func build(store: RunStore, runId: String) throws -> ReportDocument {
        let run = try store.run(id: runId)
        let stepRecords = try store.steps(runId: run.id).sorted { $0.sourceLine < $1.sourceLine }
        let summaries = try store.summaries(runId: run.id)
        let series = try store.series(runId: run.id)
        let outputs = try store.stepOutputs(runId: run.id)
        let source = try store.source(runId: run.id).map { SourceFile(path: $0.path, text: $0.text) }

        let ranges = stepRecords.map { source?.statementRange(startingAt: $0.sourceLine) ?? $0.sourceLine...$0.sourceLine }
        let prose = source?.prose ?? []
        func proseBetween(_ after: Int, _ before: Int) -> String {
            prose.filter { $0.line > after && $0.line < before }.map(\.markdown).joined(separator: "\n\n")
        }

        // The introduction is the prose before the `Experiment(` declaration; the prose between
        // it and the first step belongs to the first step (when no declaration line is found,
        // all prose before the first step is the introduction).
        let firstStep = ranges.first?.lowerBound ?? Int.max
        let declaration = source?.lines.firstIndex { $0.contains("Experiment(") }.map { $0 + 1 }
        let introEnd = min(declaration ?? firstStep, firstStep)

        var sections: [StepSection] = []
        var previousEnd = introEnd
        for (i, step) in stepRecords.enumerated() {
            let range = ranges[i]
            let stepSeries = series.filter { $0.key.hasPrefix(step.name + "/") }.sorted { $0.key < $1.key }.map { key, points in
                Series(name: String(key.dropFirst(step.name.count + 1)), points: points.map { SeriesPoint(x: Int($0.x), value: $0.value) })
            }
            let items = outputs[step.name].flatMap { try? NonFinite.decoder().decode([ReportItem].self, from: Data($0.utf8)) } ?? []
            sections.append(StepSection(
                name: step.name, kind: step.kind, prose: proseBetween(previousEnd, range.lowerBound),
                source: source?.text(range) ?? "", sourceLine: step.sourceLine, cacheHit: step.cacheHit,
                status: step.status, seconds: step.seconds,
                metrics: summaries.filter { $0.step == step.name }.map { MetricEntry(step: $0.step, name: $0.name, value: $0.value) },
                series: stepSeries, items: items, key: step.key,
                keyParts: (try? JSONDecoder().decode([String: String].self, from: Data(step.keyParts.utf8))) ?? [:]))
            previousEnd = range.upperBound
        }
        let preamble = prose.filter { $0.line < introEnd }.map(\.markdown).joined(separator: "\n\n")
        let epilogue = ranges.isEmpty ? "" : proseBetween(previousEnd, Int.max)

        // In the order recorded (declaration order since the config's fields are written so), each value as written.
        let config = (JSONFields.topLevel(of: run.config) ?? []).map { ConfigEntry(key: $0.key, value: $0.value) }
        let environmentObject = (try? JSONSerialization.jsonObject(with: Data(run.environment.utf8))) as? [String: Any] ?? [:]
        let environment = environmentObject.mapValues { value -> String in
            if let s = value as? String { return s }
            return ConfigParsing.json(value)
        }
        let info = RunInfo(
            id: run.id, experiment: run.experiment, status: run.status.rawValue, startedAt: run.startedAt,
            endedAt: run.endedAt, commit: run.gitCommit, branch: run.gitBranch, remote: run.gitRemote, dirty: run.gitDirty,
            seed: run.rootSeed, smoke: run.smoke, failedStep: run.failedStep, error: run.error,
            errorLocation: run.errorLocation, environment: environment, deviations: Reporting.deviations(of: run),
            sourcePath: source?.path)
        return ReportDocument(
            title: run.experiment, preamble: preamble, run: info, config: config, steps: sections, epilogue: epilogue,
            metrics: summaries.map { MetricEntry(step: $0.step, name: $0.name, value: $0.value) })
    }
}
