import ArgumentParser
import Foundation
import Lab

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Compile an experiment file (cached by content) and run it.")

    @Argument(help: "The experiment file, e.g. experiments/clip-fashion.swift.")
    var file: String

    @OptionGroup var options: RunArguments

    @Option(help: "Run N times with root seeds seed, seed+1, …, then compare the runs (mean ± 95% interval); the comparison is also written to seeds.md and seeds.html beside the first run's report (reports/<experiment>/ when that run is published).")
    var seeds: Int = 1

    @Option(help: "Data-parallel ranks to start on this machine: each runs the experiment, training steps on their shard of every batch with gradients averaged over all ranks (c10d/Gloo); rank 0 records the run.")
    var nproc: Int = 1

    @Option(help: "Machines taking part, each running lab run with the same --nproc and --master and its own --node-rank.")
    var nnodes: Int = 1

    @Option(name: .customLong("node-rank"), help: "This machine's place among --nnodes, 0 to nnodes-1; machine 0 holds rank 0 and records the run.")
    var nodeRank: Int = 0

    @Option(help: ArgumentHelp("Rank 0's rendezvous address (machine 0's host and a free port); default on one machine: 127.0.0.1 and a free port.", valueName: "host:port"))
    var master: String?

    @Option(name: .customLong("rank-timeout"), help: "Seconds a rank waits for the others in a collective (rank 0 running a data step alone, say) before failing.")
    var rankTimeout: Double = 1800

    func validate() throws {
        if nproc < 1 { throw ValidationError("--nproc takes a positive count of ranks, got \(nproc)") }
        if nnodes < 1 { throw ValidationError("--nnodes takes a positive count of machines, got \(nnodes)") }
        if !(0..<nnodes).contains(nodeRank) { throw ValidationError("--node-rank \(nodeRank) is not a machine of --nnodes \(nnodes): give 0 to \(nnodes - 1)") }
        if nnodes > 1 && master == nil { throw ValidationError("--nnodes \(nnodes) needs --master HOST:PORT, the address of machine 0 (the same on every machine)") }
        if let master, master.lastIndex(of: ":").flatMap({ Int(master[master.index(after: $0)...]) }).map({ (1...65535).contains($0) }) != true {
            throw ValidationError("--master takes host:port, got '\(master)'")
        }
        if rankTimeout <= 0 { throw ValidationError("--rank-timeout takes a positive number of seconds, got \(rankTimeout)") }
        if nproc * nnodes > 1 && options.dryRun { throw ValidationError("--dry-run shows one process's lookups; give it without --nproc or --nnodes") }
        if nproc * nnodes > 1 && seeds > 1 { throw ValidationError("--seeds runs one process per seed; give it without --nproc or --nnodes") }
        if seeds < 1 { throw ValidationError("--seeds takes a positive count, got \(seeds)") }
        if options.dryRun && seeds > 1 { throw ValidationError("--dry-run shows one run's lookups; give it without --seeds") }
        // The runs take seeds seed … seed+seeds-1: all must fit in a UInt64, checked before the first run.
        if UInt64(seeds - 1) > UInt64.max - options.seed {
            throw ValidationError("--seed \(options.seed) with --seeds \(seeds) needs seeds up to \(options.seed) + \(seeds - 1), past the largest seed "
                                  + "\(UInt64.max); give --seed \(UInt64.max - UInt64(seeds - 1)) or less")
        }
        try ExperimentFile.validate(URL(fileURLWithPath: file))
    }

    func run() throws {
        let binary = try compileExperiment(file)
        if seeds > 1 {
            try runSeeds(binary: binary)
            return
        }
        let arguments = ["run"] + options.argv
        if nproc * nnodes > 1 {
            let launcher = RankLauncher(binary: binary, arguments: arguments, nproc: nproc, nnodes: nnodes, nodeRank: nodeRank,
                                        master: master, timeout: rankTimeout, root: projectRoot())
            let status = try launcher.run()
            if status != 0 { throw ExitCode(status) }
            return
        }
        fflush(nil)
        // Replace this process: signals (Ctrl-C) and the exit status are the experiment's own.
        let argv: [UnsafeMutablePointer<CChar>?] = ([binary.path] + arguments).map { strdup($0) } + [nil]
        execv(binary.path, argv)
        throw ValidationError("cannot start \(binary.path): \(String(cString: strerror(errno)))")
    }

    /// Runs the experiment once per seed, in sequence, then prints their comparison.
    func runSeeds(binary: URL) throws {
        var ids: [String] = []
        var failures = 0
        for offset in 0..<seeds {
            let process = Process()
            process.executableURL = binary
            var seeded = options
            seeded.seed = options.seed + UInt64(offset)
            process.arguments = ["run"] + seeded.argv
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            var output = ""
            while true {
                let chunk = pipe.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                FileHandle.standardOutput.write(chunk)
                output += String(decoding: chunk, as: UTF8.self)
            }
            let status = ChildExit.wait(for: process)?.status ?? 1
            if status != 0 { failures += 1 }
            if status == 130 { throw ExitCode(130) }
            if let line = output.split(separator: "\n").first(where: { $0.hasPrefix("run ") }) {
                ids.append(String(line.split(separator: " ")[1]))
            }
        }
        if ids.count > 1 {
            let store = try openStore()
            let comparison = Comparison.build(try ids.map { try ComparedRun.load(store: store, id: $0) })
            print("")
            print(ComparisonRenderer.markdown(comparison), terminator: "")
            // Beside the experiment's report when the first seed's run is published (the experiment as
            // declared, seed 0); else beside that run's local report.
            let first = try store.run(id: ids[0])
            let published = Reporting.deviations(of: first).isEmpty
            let folder = published
                ? projectRoot().appendingPathComponent("reports").appendingPathComponent(Reporting.safeName(comparison.experiment))
                : projectRoot().appendingPathComponent(".lab/reports").appendingPathComponent(Reporting.safeName(first.id))
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try FileIO.writeDurably(Data(ComparisonRenderer.markdown(comparison).utf8), to: folder.appendingPathComponent("seeds.md"))
            try FileIO.writeDurably(Data(ComparisonRenderer.html(comparison).utf8), to: folder.appendingPathComponent("seeds.html"))
            let shown = folder.path.replacingOccurrences(of: projectRoot().path + "/", with: "")
            print("comparison of the seeds: \(shown)/seeds.md, seeds.html")
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
