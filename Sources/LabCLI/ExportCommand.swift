import ArgumentParser
import Foundation
import Lab

/// `lab export RUN [STEP]`: writes a recorded run's trained model out of Lab, as ONNX or
/// safetensors, with an `export.json` describing it.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a recorded run's trained model as ONNX, TorchScript or safetensors, for use without Lab.",
        discussion: """
        RUN is a run id (or unique prefix) in this project's store; STEP is one of its training steps \
        (lab.train), and may be left out when the run has only one. The experiment file is compiled with the \
        current Lab; its binary rebuilds the step's network with the step's factory, under the run's config \
        and seed, and loads the weights from the cache entry the run recorded for that step (so the entry \
        must still be in .lab/cache). The weights are checked against the network by name and shape.

        --format onnx writes model.onnx, or one file per tower of a CLIP model (<modality>.onnx, ending in \
        the L2-normalized embedding), opset 17 with a free batch dimension; int8 layers keep int8 weights \
        (DequantizeLinear). --format torchscript writes the same graphs as TorchScript (model.pt or \
        <modality>.pt, free batch and length), which Python's torch.jit.load runs. --format safetensors writes model.safetensors under PyTorch's state_dict names. \
        Every format writes export.json: the files with their inputs and outputs, CLIP's logit scale, and the run, \
        step, cache key, config, seed and commit they came from (also in each ONNX file's metadata). \
        A module without an ONNX form is named in the error. Exit status: 0 written, 2 otherwise.
        """)

    @Argument(help: ArgumentHelp("A run id, or a unique prefix of one.", valueName: "run"))
    var runId: String

    @Argument(help: ArgumentHelp("The training step whose model to write (default: the run's only one).", valueName: "step"))
    var step: String?

    @Option(help: "onnx, torchscript or safetensors.")
    var format: String = "onnx"

    @Option(help: "The folder to write (default: .lab/exports/<run>-<step>-<format>/).")
    var out: String?

    func validate() throws {
        guard ["onnx", "torchscript", "safetensors"].contains(format) else { throw ValidationError("--format \(format): use onnx, torchscript or safetensors") }
    }

    func run() throws {
        _ = try Self.export(runId: runId, step: step, format: format, out: out)
    }

    /// Exports step `step` (default: the only training step) of run `runId` as `format` into
    /// `out` (default: `.lab/exports/<run>-<step>-<format>/`) through the experiment's binary,
    /// and returns the folder.
    static func export(runId: String, step: String?, format: String, out: String?) throws -> URL {
        let root = projectRoot()
        let store = try openStore()
        let record = try store.run(id: runId)
        let steps = try store.steps(runId: record.id)
        let trainSteps = steps.filter { $0.kind == "train" }.map(\.name)
        let chosen: String
        if let step {
            chosen = step
        } else {
            guard trainSteps.count == 1 else {
                throw ExportCommandError(trainSteps.isEmpty ? "run \(record.id) has no training step"
                    : "run \(record.id) has \(trainSteps.count) training steps: name one (\(trainSteps.joined(separator: ", ")))")
            }
            chosen = trainSteps[0]
        }
        guard let source = try store.source(runId: record.id), FileManager.default.fileExists(atPath: source.path) else {
            throw ExportCommandError("run \(record.id)'s experiment file is not where it ran (\(try store.source(runId: record.id)?.path ?? "unrecorded")): run this command in the project where the run was made")
        }
        let folder = URL(fileURLWithPath: out ?? root.appendingPathComponent(".lab/exports/\(record.id)-\(chosen)-\(format)").path).standardizedFileURL
        let compiler = try ExperimentCompiler()
        let binary = try compiler.binary(for: URL(fileURLWithPath: source.path))
        let assignments = try ReproduceCommand.assignments(record.config)
        let request = ExportRequest(runId: record.id, step: chosen, format: format, folder: folder.path)
        var arguments = request.argv + assignments.flatMap { ["--set", $0] } + ["--seed", String(UInt64(bitPattern: record.rootSeed))]
        if record.smoke { arguments.append("--smoke") }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LAB_ROOT"] = root.path
        environment["LAB_FINGERPRINT"] = compiler.fingerprint
        process.environment = environment
        fflush(nil)
        try process.run()
        guard ChildExit.wait(for: process)?.succeeded == true else { throw ExitCode(2) }
        return folder
    }
}

/// A request `lab export` cannot carry out, said in one line (no usage text: the arguments parsed).
struct ExportCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
