import Foundation

/// The arguments an experiment binary takes (`lab run FILE` passes them through).
package struct RunOptions: Sendable, Equatable {
    /// `--set key=value`, in the order given.
    package var assignments: [String] = []
    /// `--smoke`: tiny data.
    package var smoke = false
    /// `--explain`: per step, hit or miss and why.
    package var explain = false
    /// `--dry-run`: print, per step, hit or miss and why, then exit; nothing runs or is recorded.
    package var dryRun = false
    /// `--no-cache`: run every step.
    package var noCache = false
    /// The root seed.
    package var seed: UInt64 = 0
    /// `--device`: where the steps compute; by default the best available (``Runtime/bestDevice``).
    package var device: Device = .cpu
    /// `keys`: print every step's cache key as JSON and exit; nothing runs (`lab status`).
    package var keysOnly = false
    /// `export RUN STEP --format F --out DIR`: write a recorded run's trained model (`lab export`).
    package var export: ExportRequest?
    /// The project folder holding `.lab/`: `LAB_ROOT`, else the top of the git repository
    /// holding the current directory, else the current directory (see ``ProjectRoot``).
    package var root: String

    /// Defaults, in the project folder `root`.
    package init(root: String) { self.root = root }

    /// Parses `run [--set key=value]… [--smoke] [--explain] [--dry-run] [--no-cache] [--seed N]`, or
    /// `keys` with the same options (``keysOnly``), through ``RunArguments``, the parser `lab run` uses.
    /// - Throws: ``LabError/badArguments(_:)`` with ArgumentParser's message.
    package static func parse(_ arguments: [String], environment: [String: String]) throws -> RunOptions {
        var options = RunOptions(root: ProjectRoot.find(environment: environment))
        var args = arguments
        if args.first == "run" { args.removeFirst() } else if args.first == "keys" { args.removeFirst(); options.keysOnly = true }
        else if args.first == "export" {
            args.removeFirst()
            options.export = try ExportRequest.take(&args)
        }
        let parsed: RunArguments
        do {
            parsed = try RunArguments.parse(args)
        } catch {
            throw LabError.badArguments(RunArguments.message(for: error))
        }
        options.assignments = parsed.assignments
        options.smoke = parsed.smoke
        options.explain = parsed.explain
        options.dryRun = parsed.dryRun
        options.noCache = parsed.noCache
        options.seed = parsed.seed
        options.device = try device(parsed.device)
        return options
    }

    /// The device `--device` names, checked against the linked libtorch and this machine; the
    /// best available without it.
    /// - Throws: ``LabError/badArguments(_:)`` naming the value and what to do.
    static func device(_ text: String?) throws -> Device {
        guard let text else { return Runtime.bestDevice }
        guard let device = Device(parsing: text) else {
            throw LabError.badArguments("--device \(text): write cpu, cuda or cuda:N (N counts from 0)")
        }
        guard case .cuda(let index) = device else { return device }
        let count = Runtime.cudaDeviceCount
        if count == 0 {
            throw LabError.badArguments("--device \(text): the linked libtorch \(Runtime.libtorchVersion) \(Runtime.isCUDABuild ? "finds no CUDA device on this machine" : "was built without CUDA"); use --device cpu, or build Lab against a CUDA build of PyTorch 2.x (LIBTORCH=…/site-packages/torch) on a machine with a GPU")
        }
        if index >= count {
            throw LabError.badArguments("--device \(text): this machine has \(count) CUDA device\(count == 1 ? "" : "s") (cuda:0\(count > 1 ? "…cuda:\(count - 1)" : ""))")
        }
        return device
    }
}

/// What `BINARY export` writes: the trained model of step `step` of the recorded run `runId`,
/// as `format`, into `folder`.
package struct ExportRequest: Sendable, Equatable {
    package var runId: String
    package var step: String
    package var format: String
    package var folder: String

    package init(runId: String, step: String, format: String, folder: String) {
        self.runId = runId
        self.step = step
        self.format = format
        self.folder = folder
    }

    /// The arguments `lab export` passes before the run options.
    package var argv: [String] { ["export", runId, step, "--format", format, "--out", folder] }

    /// Takes `RUN STEP --format F --out DIR` from the front of `args`, leaving the run options.
    static func take(_ args: inout [String]) throws -> ExportRequest {
        guard args.count >= 6, args[2] == "--format", args[4] == "--out" else {
            throw LabError.badArguments("export takes RUN STEP --format FORMAT --out DIR, then the run's options")
        }
        let request = ExportRequest(runId: args[0], step: args[1], format: args[3], folder: args[5])
        args.removeFirst(6)
        return request
    }
}
