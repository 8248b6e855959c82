import ArgumentParser
import Foundation
import Lab
import Reports

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run an experiment at every point of a grid of config values, locally or as a Slurm array job, and compare the points.",
        discussion: """
        Every point is its own run with its values set (as lab run --set would), recorded in the \
        run store. Points share every cached step they have in common: a data step the sweep does \
        not change is computed once, even when points run at the same time (the second waits for \
        the first's entry). The sweep ends with one report, .lab/sweeps/<sweep>/sweep.md and \
        sweep.html: the points with their metrics, each metric against each swept value, and the \
        best point of each metric whose direction is declared (lab.regression) or given \
        (--maximize, --minimize).

        With --slurm, one array job (sbatch --array) runs the points on the cluster named by \
        SLURM_CONF or the default configuration, against this project's .lab/ (which the \
        cluster's nodes must see, as on a shared filesystem); lab sweep waits for it.
        """)

    @Argument(help: "The experiment file, e.g. experiments/clip-fashion.swift.")
    var file: String

    @Option(name: .customLong("grid"), help: ArgumentHelp("A config field and its values (repeatable; the points are the product of the grids).", valueName: "key=v1,v2,…"))
    var grids: [String] = []

    @Option(help: "Run K points drawn at random from the grid (without replacement; the draw follows --seed).")
    var random: Int?

    @Option(help: "Points to run at a time (locally; with --slurm, the array's limit). Each local point gets cores ÷ jobs threads.")
    var jobs: Int?

    @Flag(help: "Submit the points as one Slurm array job and wait for it.")
    var slurm = false

    @Option(help: "The Slurm partition (with --slurm).")
    var partition: String?

    @Option(help: "The Slurm time limit of each point, e.g. 30:00 (with --slurm).")
    var time: String?

    @Option(name: .customLong("cpus-per-task"), help: "CPUs of each point's Slurm task; its libtorch threads (with --slurm).")
    var cpusPerTask: Int = 1

    @Option(help: ArgumentHelp("The metric whose highest value is the best point, e.g. evaluate/accuracy.", valueName: "step/metric"))
    var maximize: [String] = []

    @Option(help: ArgumentHelp("The metric whose lowest value is the best point, e.g. train/loss.", valueName: "step/metric"))
    var minimize: [String] = []

    @OptionGroup var options: RunArguments

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs takes a positive count, got \(jobs)") }
        if cpusPerTask < 1 { throw ValidationError("--cpus-per-task takes a positive count, got \(cpusPerTask)") }
        if !slurm && (partition != nil || time != nil) { throw ValidationError("--partition and --time are Slurm's: give them with --slurm") }
        if options.dryRun { throw ValidationError("--dry-run shows one run's lookups: give it to lab run with the point's --set values") }
        let plan = try SweepPlan.make(grids: grids, random: random, seed: options.seed)
        let set = options.assignments.compactMap { $0.split(separator: "=").first.map(String.init) }
        if let clash = plan.axes.first(where: { set.contains($0.key) }) {
            throw ValidationError("\(clash.key) is both swept (--grid) and set (--set): give it in one of them")
        }
        try ExperimentFile.validate(URL(fileURLWithPath: file))
    }

    func run() throws {
        let binary = try compileExperiment(file)
        let root = projectRoot()
        let plan = try SweepPlan.make(grids: grids, random: random, seed: options.seed)

        // Every point's config must parse before any runs: the binary checks it (`keys`).
        for i in plan.points.indices {
            var point = options
            point.assignments += plan.assignments(i)
            let check = try Self.capture(binary, ["keys"] + point.argv)
            if check.status != 0 {
                throw ValidationError("point \(i + 1) (\(plan.assignments(i).joined(separator: " "))): "
                                      + check.output.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "error: ", with: ""))
            }
        }

        let sweepId = makeRunId()
        let folder = root.appendingPathComponent(".lab/sweeps").appendingPathComponent(sweepId)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var runIds: [String] = []
        while runIds.count < plan.points.count {
            let id = makeRunId()
            if !runIds.contains(id) { runIds.append(id) }
        }
        let arguments = plan.points.indices.map { i -> [String] in
            var point = options
            point.assignments += plan.assignments(i)
            return ["run"] + point.argv
        }
        let shown = folder.path.replacingOccurrences(of: root.path + "/", with: "")
        print("sweep \(sweepId)  \(plan.points.count) points of \(plan.axes.map(\.key).joined(separator: " × "))  (logs in \(shown)/)")
        let runner: String
        if slurm {
            let submission = SlurmSubmission(binary: binary, folder: folder, arguments: arguments, runIds: runIds, root: root,
                                              limit: jobs, cpusPerTask: cpusPerTask, partition: partition, time: time)
            let job = try submission.run()
            runner = "as Slurm job \(job), an array of \(plan.points.count)" + (jobs.map { ", \($0) at a time" } ?? "")
        } else {
            let parallel = jobs ?? 1
            try runLocally(binary: binary, folder: folder, arguments: arguments, runIds: runIds, plan: plan, jobs: parallel)
            runner = "locally, \(parallel) at a time"
        }

        let report = try collect(plan: plan, runIds: runIds, sweepId: sweepId, runner: runner)
        try FileIO.writeDurably(Data(SweepRenderer.markdown(report).utf8), to: folder.appendingPathComponent("sweep.md"))
        try FileIO.writeDurably(Data(SweepRenderer.html(report).utf8), to: folder.appendingPathComponent("sweep.html"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileIO.writeDurably(try encoder.encode(report), to: folder.appendingPathComponent("sweep.json"))
        print("")
        print(SweepRenderer.markdown(report), terminator: "")
        print("sweep report: \(shown)/sweep.md, sweep.html")
        let failed = report.points.filter { $0.status != "succeeded" }.count
        if failed > 0 {
            print("\(failed) of \(report.points.count) points did not succeed: see their logs in \(shown)/")
            throw ExitCode(1)
        }
    }

    /// Runs the points `jobs` at a time on this machine, each writing to `point-<i>.log`.
    func runLocally(binary: URL, folder: URL, arguments: [[String]], runIds: [String], plan: SweepPlan, jobs: Int) throws {
        var environment = ProcessInfo.processInfo.environment
        if environment["LAB_NUM_THREADS"] == nil && environment["OMP_NUM_THREADS"] == nil {
            environment["LAB_NUM_THREADS"] = String(max(1, ProcessInfo.processInfo.activeProcessorCount / jobs))
        }
        var next = 0
        var running: [(index: Int, process: Process)] = []
        var interrupted = false
        signal(SIGINT) { _ in SweepCommand.interrupted = 1 }
        while next < arguments.count || !running.isEmpty {
            if SweepCommand.interrupted != 0 && !interrupted {
                interrupted = true
                for r in running { kill(r.process.processIdentifier, SIGINT) }
            }
            while !interrupted && running.count < jobs && next < arguments.count {
                let process = Process()
                process.executableURL = binary
                process.arguments = arguments[next]
                var env = environment
                env[Ranks.Key.runId] = runIds[next]
                process.environment = env
                let log = folder.appendingPathComponent("point-\(next + 1).log")
                FileManager.default.createFile(atPath: log.path, contents: nil)
                let handle = try FileHandle(forWritingTo: log)
                process.standardOutput = handle
                process.standardError = handle
                try process.run()
                running.append((next, process))
                next += 1
            }
            let ended = running.compactMap { r in ChildExit.poll(r.process).map { (r.index, $0) } }
            for (index, exit) in ended {
                let status = exit.succeeded ? "succeeded" : "failed (\(exit))"
                print("  point \(index + 1)/\(arguments.count)  \(plan.assignments(index).joined(separator: " "))  run \(runIds[index])  \(status)")
            }
            running.removeAll { r in ended.contains { $0.0 == r.index } }
            if interrupted && next < arguments.count { next = arguments.count }
            usleep(50_000)
        }
        if interrupted { throw ExitCode(130) }
    }

    nonisolated(unsafe) static var interrupted: Int32 = 0

    /// The points' runs as the store recorded them, and the metrics' directions.
    func collect(plan: SweepPlan, runIds: [String], sweepId: String, runner: String) throws -> SweepReport {
        let store = try openStore()
        var points: [SweepReport.Point] = []
        var experiment = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        var declared: [String: Double] = [:]
        for (i, id) in runIds.enumerated() {
            let assignments = Dictionary(uniqueKeysWithValues: zip(plan.axes.map(\.key), plan.points[i]))
            guard let run = try? store.run(id: id) else {
                points.append(.init(assignments: assignments, runId: id, status: "not run", metrics: [:]))
                continue
            }
            experiment = run.experiment
            if declared.isEmpty, let data = run.environment.data(using: .utf8),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let thresholds = object["regression_thresholds"] as? [String: Double] {
                declared = thresholds
            }
            var metrics: [String: Double] = [:]
            for m in try store.summaries(runId: id) { metrics["\(m.step)/\(m.name)"] = m.value }
            points.append(.init(assignments: assignments, runId: id, status: run.status.rawValue, metrics: metrics))
        }
        let names = Set(points.flatMap(\.metrics.keys))
        func resolve(_ metric: String) -> [String] {
            metric.contains("/") ? [metric] : names.filter { $0.hasSuffix("/" + metric) }.sorted()
        }
        var directions: [String: Bool] = [:]
        if maximize.isEmpty && minimize.isEmpty {
            for (metric, delta) in declared { for name in resolve(metric) { directions[name] = delta < 0 } }
        } else {
            for metric in maximize { for name in resolve(metric) { directions[name] = true } }
            for metric in minimize { for name in resolve(metric) { directions[name] = false } }
        }
        return SweepReport(experiment: experiment, sweepId: sweepId, runner: runner,
                           axes: plan.axes.map { .init(key: $0.key, values: $0.values) }, points: points, directions: directions)
    }

    /// Runs `executable arguments` and returns its exit status and merged output.
    static func capture(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        return (ChildExit.wait(for: process)?.status ?? 1, String(decoding: data, as: UTF8.self))
    }
}
