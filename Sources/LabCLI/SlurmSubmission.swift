import ArgumentParser
import Foundation
import Lab

/// A sweep's points as one Slurm array job: `sweep.sh` holds one `case` per task, each running
/// the compiled experiment with its point's arguments and run id against this project's
/// `.lab/`; `sbatch --array=0-(n−1)` submits it, and `squeue` is polled until every task has ended.
struct SlurmSubmission {
    let binary: URL
    let folder: URL
    let arguments: [[String]]
    let runIds: [String]
    let root: URL
    /// At most this many tasks at a time (`--array=…%limit`); nil: as many as the cluster runs.
    let limit: Int?
    let cpusPerTask: Int
    let partition: String?
    let time: String?

    /// Writes the script, submits it, and waits until none of its tasks is queued or running,
    /// printing the job's state whenever it changes (so a job the cluster cannot schedule is
    /// seen, with Slurm's reason, rather than waited on in silence). Ctrl-C cancels the job.
    /// Returns the job id.
    /// - Throws: `ValidationError` when sbatch is missing or refuses the job (its message),
    ///   or when the controller cannot be reached for `controllerPatience` seconds.
    func run(pollInterval: TimeInterval = 2, controllerPatience: TimeInterval = 300) throws -> String {
        guard let sbatch = Self.which("sbatch"), let squeue = Self.which("squeue") else {
            throw ValidationError("--slurm needs sbatch and squeue on PATH (Slurm's client); scripts/slurm start runs a one-machine cluster to try it")
        }
        let script = folder.appendingPathComponent("sweep.sh")
        try FileIO.writeDurably(Data(self.script().utf8), to: script)
        chmod(script.path, 0o755)
        var args = ["--parsable", "--job-name", "lab-sweep", "--array", "0-\(arguments.count - 1)" + (limit.map { "%\($0)" } ?? ""),
                    "--cpus-per-task", String(cpusPerTask), "--output", folder.appendingPathComponent("point-%a.log").path,
                    "--chdir", root.path]
        if let partition { args += ["--partition", partition] }
        if let time { args += ["--time", time] }
        args.append(script.path)
        print("  submitting \(arguments.count) tasks: sbatch \(args.joined(separator: " "))")
        fflush(nil)
        let result = try SweepCommand.capture(URL(fileURLWithPath: sbatch), args)
        let lines = result.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        // --parsable prints "jobid[;cluster]".
        guard result.status == 0, let job = lines.first(where: { !$0.isEmpty && $0.allSatisfy { $0.isNumber || $0 == ";" } })?.split(separator: ";").first.map(String.init) else {
            throw ValidationError("sbatch did not accept the sweep: \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        print("  Slurm job \(job) submitted; waiting for its tasks (Ctrl-C cancels the job)")
        fflush(nil)
        SweepCommand.interrupted = 0
        signal(SIGINT) { _ in SweepCommand.interrupted = 1 }
        var last = ""
        var unreachableSince: Date?
        while true {
            if SweepCommand.interrupted != 0 {
                if let scancel = Self.which("scancel") { _ = try? SweepCommand.capture(URL(fileURLWithPath: scancel), [job]) }
                print("  interrupted: Slurm job \(job) cancelled")
                throw ExitCode(130)
            }
            // One line per task or pending range: "state reason".
            let queue = try SweepCommand.capture(URL(fileURLWithPath: squeue), ["-h", "-r", "-j", job, "-o", "%T %r"])
            if queue.status != 0 && !queue.output.contains("Invalid job id") {
                let since = unreachableSince ?? Date()
                unreachableSince = since
                if Date().timeIntervalSince(since) > controllerPatience {
                    throw ValidationError("squeue has failed for \(Int(controllerPatience)) s, so Slurm job \(job) cannot be followed: \(queue.output.trimmingCharacters(in: .whitespacesAndNewlines)). Its tasks may still run; `squeue -j \(job)` shows them, and `lab sweep` again collects what they recorded")
                }
            } else {
                unreachableSince = nil
                let states = queue.status == 0 ? queue.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } : []
                if states.isEmpty { break }
                let summary = Dictionary(grouping: states, by: { $0 }).sorted { $0.key < $1.key }
                    .map { "\($0.value.count) \($0.key.lowercased().replacingOccurrences(of: " none", with: "").replacingOccurrences(of: " (null)", with: ""))" }
                    .joined(separator: ", ")
                if summary != last {
                    print("  Slurm job \(job): \(summary)")
                    fflush(nil)
                    last = summary
                }
            }
            usleep(useconds_t(pollInterval * 1_000_000))
        }
        print("  Slurm job \(job) ended")
        return job
    }

    /// The array job's script: the environment `lab` sets for an experiment, then the task's point.
    func script() -> String {
        func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let environment = ProcessInfo.processInfo.environment
        var out = """
        #!/usr/bin/env bash
        # Written by lab sweep: one task per point of the sweep.
        set -euo pipefail
        export LAB_ROOT=\(quote(root.path))
        export LAB_FINGERPRINT=\(quote(environment["LAB_FINGERPRINT"] ?? ""))
        export LAB_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}

        """
        if let models = environment["LAB_MODELS"] { out += "export LAB_MODELS=\(quote(models))\n" }
        out += "case \"$SLURM_ARRAY_TASK_ID\" in\n"
        for (i, args) in arguments.enumerated() {
            out += "  \(i)) export \(Ranks.Key.runId)=\(runIds[i]); exec \(quote(binary.path)) \(args.map(quote).joined(separator: " ")) ;;\n"
        }
        out += "  *) echo \"lab sweep: no point for task $SLURM_ARRAY_TASK_ID\" >&2; exit 2 ;;\nesac\n"
        return out
    }

    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
