import ArgumentParser
import Foundation
import Lab

/// `lab reproduce RUN`: makes a recorded run again from its commit, patch, config and seed,
/// in a temporary copy of the repository, and compares every metric.
struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Run a recorded run again from its commit, patch, config and seed, and compare every metric.",
        discussion: """
        RUN is a run id (or a unique prefix of one) from this project's store, or the path of a results.json \
        (its metrics are the claims checked; the store's record of its run supplies the patch and the machine, \
        and when the store lacks the run, the file's own commit, config and seed are used). \
        The recorded commit is checked out with libgit2 into a temporary repository that borrows this one's \
        objects (nothing is added to this repository: no branch, no worktree), the recorded patch is applied \
        when the run was dirty, and the experiment file is compiled with the current Lab and run with the recorded \
        config (--set for every field), seed, --smoke when the run was a smoke run, the recorded thread count, \
        and --no-cache. The new run is recorded in the copy's own store and writes its reports there.

        Comparison: when the original run's CPU, vector extensions, ATen kernel set, libtorch, thread count and \
        library fingerprint all equal this run's, the computation is the same and every metric must be equal bit \
        for bit. Otherwise (another machine, or Lab changed), a metric passes when \
        |new - old| <= max(tolerance * max(|new|, |old|), absolute-tolerance). The default 1e-4 is float32 \
        rounding (about 6e-8 per operation) that other kernels change and a smoke run's few hundred steps \
        compound; a long training run can drift further: raise it with --tolerance. A metric that one run \
        lacks always fails.

        Writes the reproduction report (README.md and index.html) to \
        .lab/reproductions/<original-run>-<new-run>/, or --out DIR. \
        Exit status: 0 reproduced; 1 not reproduced (a metric differs or is missing); 2 could not reproduce \
        (bad input, a git error, a run that failed or did not compile).
        """)

    @Argument(help: ArgumentHelp("A run id (or unique prefix), or the path of a results.json.", valueName: "run"))
    var recorded: String

    @Option(help: "Relative tolerance when the runs' machines or libraries differ (see the discussion).")
    var tolerance: Double = 1e-4

    @Option(name: .customLong("absolute-tolerance"), help: "The absolute floor of the tolerance, for metrics near zero.")
    var absoluteTolerance: Double = 1e-6

    @Option(help: "Write the report into this folder instead of .lab/reproductions/<original-run>-<new-run>/.")
    var out: String?

    @Option(help: "The experiment file, relative to the repository's top, when the record does not name it (a results.json without the store's record).")
    var file: String?

    @Flag(help: "Keep the temporary copy of the repository (and its store holding the new run); its path is printed. It reads this repository's objects.")
    var keep = false

    func validate() throws {
        for (name, value) in [("--tolerance", tolerance), ("--absolute-tolerance", absoluteTolerance)] where !(value.isFinite && value >= 0) {
            throw ValidationError("\(name) takes a non-negative number, got \(value)")
        }
    }

    func run() throws {
        let root = projectRoot()
        let original = try RecordedRun.load(recorded, root: root)
        guard original.status == "succeeded" else { throw ReproduceError.notSucceeded(runId: original.id, status: original.status) }
        guard let commit = original.commit else { throw ReproduceError.noCommit(runId: original.id) }
        let patch = try original.applicablePatch()
        let repository = ProjectRoot.repositoryTop(from: root.path) ?? root.path

        let temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("lab-reproduce-\(original.id)-\(UUID().uuidString.prefix(8))")
        let copy = temporary.appendingPathComponent(URL(fileURLWithPath: repository).lastPathComponent)
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        defer {
            if keep { print("kept the copy at \(copy.path) (its store, .lab/lab.sqlite, holds the new run)") }
            else { try? FileManager.default.removeItem(at: temporary) }
        }
        print("reproducing run \(original.id) (\(original.experiment)) at \(commit.prefix(10))\(original.dirty ? " with its patch" : "")")
        fflush(nil)
        try Git.checkout(commit: commit, from: repository, into: copy.path)
        if let patch, !patch.diff.isEmpty { try Git.apply(patch: patch.diff, to: copy.path) }

        var notes: [String] = []
        let relative = try experimentFile(original, repository: repository, copy: copy, notes: &notes)
        // The experiment file itself may have been untracked: it ran from the recorded source above.
        if let untracked = patch?.untracked.filter({ $0.path != relative }), !untracked.isEmpty {
            notes.append("the run had untracked files, which a run records by size and hash only, so the reproduction lacks them: "
                + untracked.map(\.path).joined(separator: ", "))
        }
        let assignments = try Self.assignments(original.config)

        // The copy is the project: its provenance is the recorded commit, and its .lab/ and
        // reports/ receive the new run (never this project's reports/).
        setenv("LAB_ROOT", copy.path, 1)
        let compiler = try ExperimentCompiler()
        let source = copy.appendingPathComponent(relative)
        let binary: URL
        do { binary = try compiler.binary(for: source) } catch is ExitCode { throw ReproduceError.compileFailed(file: relative) }
        var arguments = ["run"] + assignments.flatMap { ["--set", $0] } + ["--seed", String(original.seed), "--no-cache"]
        if original.smoke { arguments.append("--smoke") }
        var environment = ProcessInfo.processInfo.environment
        environment["LAB_ROOT"] = copy.path
        environment["LAB_FINGERPRINT"] = compiler.fingerprint
        if let threads = original.machine.threads { environment["LAB_NUM_THREADS"] = String(threads) }
        let (status, output) = try Self.execute(binary, arguments, environment: environment, in: copy)
        guard let newId = output.split(separator: "\n").first(where: { $0.hasPrefix("run ") })
            .map({ String($0.split(separator: " ")[1]) }) else {
            throw ReproduceError.runDidNotStart(status: status, output: output)
        }

        let store = try RunStore.reading(path: copy.appendingPathComponent(".lab/lab.sqlite").path)
        let new = try store.run(id: newId)
        let newMachine = RecordedRun.machine(environment: new.environment)
        var reproduced: [String: Double] = [:]
        for s in try store.summaries(runId: newId) { reproduced["\(s.step)/\(s.name)"] = s.value }
        var failure: String?
        if new.status != .succeeded {
            failure = "the reproduction run \(newId) \(new.status.rawValue)"
                + (new.failedStep.map { " at step '\($0)'" } ?? "") + (new.error.map { ": \($0)" } ?? "")
        } else if !RecordedRun.sameJSON(new.config, original.config) {
            failure = ReproduceError.configDiffers(recorded: original.config, reproduced: new.config).description
        } else if UInt64(bitPattern: new.rootSeed) != original.seed || new.smoke != original.smoke {
            failure = "the reproduction ran with seed \(UInt64(bitPattern: new.rootSeed))\(new.smoke ? " (smoke)" : ""), "
                + "not the recorded seed \(original.seed)\(original.smoke ? " (smoke)" : "")"
        }
        if new.gitCommit != commit {
            notes.append("the new run recorded commit \(new.gitCommit ?? "none"), not \(commit)")
        }
        if let patch, RecordedPatch(new.gitPatch ?? "").diff != patch.diff {
            notes.append("the copy's uncommitted changes differ from the recorded patch")
        }
        switch (original.machine.libraryFingerprint, newMachine.libraryFingerprint) {
        case let (a?, b?) where a == b: notes.append("the library (Lab's sources and libtorch) is the one the run used")
        case (_?, _?): notes.append("the library differs from the run's: Lab's sources or libtorch changed since")
        default: notes.append("the original run does not record its library fingerprint")
        }
        notes.append(keep ? "the new run is recorded in the kept copy's store, \(copy.path)/.lab/lab.sqlite"
                          : "the new run was recorded in the temporary copy's store, removed with it (--keep keeps it)")

        let reproduction = Reproduction(
            experiment: original.experiment, originalRunId: original.id, recordSource: original.recordSource,
            newRunId: newId, commit: commit, dirty: original.dirty, file: relative, seed: original.seed, smoke: original.smoke,
            config: RecordedRun.configEntries(original.config),
            originalMachine: original.machine, reproductionMachine: newMachine,
            comparison: .choose(original: original.machine, reproduction: newMachine, relative: tolerance, absolute: absoluteTolerance),
            originalMetrics: original.metrics, reproducedMetrics: reproduced, notes: notes, failure: failure)

        let folder = out.map { URL(fileURLWithPath: $0) }
            ?? root.appendingPathComponent(".lab/reproductions/\(original.id)-\(newId)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileIO.writeDurably(Data(ReproductionRenderer.markdown(reproduction).utf8), to: folder.appendingPathComponent("README.md"))
        try FileIO.writeDurably(Data(ReproductionRenderer.html(reproduction).utf8), to: folder.appendingPathComponent("index.html"))
        print("")
        for line in ReproductionRenderer.summary(reproduction) { print(line) }
        let shown = folder.path.hasPrefix(root.path + "/") ? String(folder.path.dropFirst(root.path.count + 1)) : folder.path
        print("reproduction report: \(shown)/README.md, index.html")
        fflush(nil)
        let exitStatus = reproduction.verdict.exitStatus
        if exitStatus != 0 { throw ExitCode(exitStatus) }
    }

    /// The experiment file's path relative to the repository's top, present in the copy.
    /// From the recorded source's absolute path: relative to this repository when it lies in
    /// it, else the longest tail of the path that names a file in the copy (the repository
    /// moved). Without a recorded source: `--file`, else the one `.swift` file in the copy
    /// that declares `Experiment("<name>"`.
    func experimentFile(_ run: RecordedRun, repository: String, copy: URL, notes: inout [String]) throws -> String {
        let fm = FileManager.default
        if let file { 
            guard fm.fileExists(atPath: copy.appendingPathComponent(file).path) else {
                throw ReproduceError.experimentFileNotFound(runId: run.id, detail: "--file \(file) is not in commit \(run.commit ?? "")")
            }
            return file
        }
        if let source = run.source {
            let top = URL(fileURLWithPath: repository).standardizedFileURL.path
            var candidates: [String] = []
            if source.path.hasPrefix(top + "/") { candidates.append(String(source.path.dropFirst(top.count + 1))) }
            let parts = source.path.split(separator: "/").map(String.init)
            candidates += parts.indices.map { parts[$0...].joined(separator: "/") }
            guard let relative = candidates.first(where: { fm.fileExists(atPath: copy.appendingPathComponent($0).path) })
                ?? candidates.first else {
                throw ReproduceError.experimentFileNotFound(runId: run.id, detail: "the recorded path '\(source.path)' is empty")
            }
            let url = copy.appendingPathComponent(relative)
            if let text = try? String(contentsOf: url, encoding: .utf8) {
                if text == source.text {
                    notes.append("the checked-out \(relative) is the source the run recorded")
                } else {
                    notes.append("the checked-out \(relative) differs from the source the run recorded: the reproduction runs the checked-out file")
                }
            } else {
                // An experiment file that was never committed: the run recorded it whole.
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(source.text.utf8).write(to: url)
                notes.append("\(relative) is not in the recorded commit (it was untracked): the reproduction runs the source the run recorded")
            }
            return relative
        }
        if let path = run.sourcePath {
            guard fm.fileExists(atPath: copy.appendingPathComponent(path).path) else {
                throw ReproduceError.experimentFileNotFound(runId: run.id, detail: "results.json names \(path), which commit \(run.commit ?? "") lacks")
            }
            return path
        }
        let marker = "Experiment(\"\(run.experiment)\""
        var found: [String] = []
        if let walker = fm.enumerator(at: copy, includingPropertiesForKeys: nil) {
            for case let url as URL in walker {
                let name = url.lastPathComponent
                if [".git", ".lab", ".build"].contains(name) { walker.skipDescendants(); continue }
                guard url.pathExtension == "swift", let text = try? String(contentsOf: url, encoding: .utf8), text.contains(marker) else { continue }
                found.append(String(url.standardizedFileURL.path.dropFirst(copy.standardizedFileURL.path.count + 1)))
            }
        }
        guard found.count == 1 else {
            let detail = found.isEmpty ? "no .swift file declares \(marker)…)"
                : "several files declare \(marker)…): \(found.sorted().joined(separator: ", "))"
            throw ReproduceError.experimentFileNotFound(runId: run.id, detail: detail)
        }
        notes.append("the record does not name its experiment file; \(found[0]) declares the experiment")
        return found[0]
    }

    /// The recorded config as `--set key=value` texts, one per field, each of which the
    /// experiment parses back to the recorded value (``ExperimentConfig/overriding(_:)``).
    /// - Throws: ``ReproduceError/configNotPassable(key:value:reason:)`` for a value `--set`
    ///   would change: nested objects, strings with surrounding spaces, array items with commas.
    static func assignments(_ config: String) throws -> [String] {
        guard let object = RecordedRun.members(config) else {
            throw ReproduceError.configNotPassable(key: "(config)", value: config, reason: "it is not a JSON object of values")
        }
        return try object.keys.sorted().map { key in
            "\(key)=\(try assignmentText(object[key]!, key: key, inArray: false))"
        }
    }

    /// One value as `--set` text that ``ExperimentConfig/overriding(_:)`` parses back to it.
    static func assignmentText(_ value: JSONValue, key: String, inArray: Bool) throws -> String {
        switch value {
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return "\(d)"   // the shortest text that reads back as the same Double
        case .string(let s):
            if s.trimmingCharacters(in: .whitespaces) != s {
                throw ReproduceError.configNotPassable(key: key, value: value.text, reason: "--set trims the spaces around a string")
            }
            if inArray, s.contains(",") || s.isEmpty {
                throw ReproduceError.configNotPassable(key: key, value: value.text, reason: "--set splits array items at commas")
            }
            return s
        case .array(let items):
            if inArray { throw ReproduceError.configNotPassable(key: key, value: value.text, reason: "--set takes flat arrays") }
            return "[" + (try items.map { try assignmentText($0, key: key, inArray: true) }).joined(separator: ",") + "]"
        case .null, .object:
            throw ReproduceError.configNotPassable(key: key, value: value.text, reason: "--set takes numbers, booleans, strings and flat arrays")
        }
    }
}

/// The experiment process ``ReproduceCommand/execute(_:_:environment:in:)`` waits for, to
/// which SIGINT and SIGTERM are forwarded (0 when none).
nonisolated(unsafe) private var reproducedChild: pid_t = 0

extension ReproduceCommand {
    /// Runs the experiment binary, passing its output through, and returns its status and output.
    static func execute(_ binary: URL, _ arguments: [String], environment: [String: String], in folder: URL) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = folder
        let pipe = Pipe()
        process.standardOutput = pipe
        fflush(nil)
        // Foundation starts the experiment in a process group of its own, so Ctrl-C reaches
        // only this process: it is forwarded, the experiment records the run as interrupted and
        // exits 130, and this process removes the copy. (A handler, unlike SIG_IGN, is not
        // inherited across exec: the experiment keeps its own.)
        let forward: @convention(c) (Int32) -> Void = { sig in if reproducedChild > 0 { kill(reproducedChild, sig) } }
        let interrupt = signal(SIGINT, forward), terminate = signal(SIGTERM, forward)
        defer { signal(SIGINT, interrupt); signal(SIGTERM, terminate); reproducedChild = 0 }
        try process.run()
        reproducedChild = process.processIdentifier
        var output = Data()
        while true {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            FileHandle.standardOutput.write(chunk)
            output.append(chunk)
        }
        let status = ChildExit.wait(for: process)?.status ?? 1
        if status == 130 { throw ExitCode(130) }
        return (status, String(decoding: output, as: UTF8.self))
    }
}
