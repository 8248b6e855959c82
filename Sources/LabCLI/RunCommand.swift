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

    func validate() throws {
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
        // The experiment's repository, wherever `lab` runs from: its .lab/ and reports/ (D17).
        setenv("LAB_ROOT", ProjectRoot.find(experimentFile: file), 1)
        let compiler = try ExperimentCompiler()
        let binary = try compiler.binary(for: URL(fileURLWithPath: file))
        setenv("LAB_FINGERPRINT", compiler.fingerprint, 1)
        setenv("LAB_ROOT", projectRoot().path, 1)
        if seeds > 1 {
            try runSeeds(binary: binary)
            return
        }
        let arguments = ["run"] + options.argv
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
            process.waitUntilExit()
            if process.terminationStatus != 0 { failures += 1 }
            if process.terminationStatus == 130 { throw ExitCode(130) }
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
