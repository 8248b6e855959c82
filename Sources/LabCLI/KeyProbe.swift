import ArgumentParser
import Foundation
import Lab

/// Asks experiment binaries for their step keys (`BINARY keys`): the experiment as declared,
/// its own config, root seed 0, a full run. The binary computes the keys from its source
/// file and exits; no step runs and nothing is written but the compiled binary in `.lab/bin`.
struct KeyProbe {
    let compiler: ExperimentCompiler

    init() throws { compiler = try ExperimentCompiler() }

    /// Why an experiment's keys could not be computed.
    struct Failure: Error, CustomStringConvertible {
        let file: String
        let reason: String
        var description: String { "\(file): \(reason)" }
    }

    /// The keys of the experiment in `file`, which must be inside the project at `root`.
    func keys(for file: URL, root: URL) throws -> ComputedKeys {
        let binary: URL
        do {
            binary = try compiler.binary(for: file)
        } catch let error as ExitCode where error.rawValue != 0 {
            throw Failure(file: file.path, reason: "does not compile (swiftc's errors are above)")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["keys"]
        var environment = ProcessInfo.processInfo.environment
        environment["LAB_FINGERPRINT"] = compiler.fingerprint
        environment["LAB_ROOT"] = root.path
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output   // its errors go straight to ours
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let exit = ChildExit.wait(for: process)
        guard let exit, exit.succeeded else {
            throw Failure(file: file.path, reason: "its binary ended with \(exit?.description ?? "no status") computing keys (its error is above)")
        }
        do {
            return try ComputedKeys.decode(data)
        } catch {
            throw Failure(file: file.path, reason: "its binary printed no keys (\(error))")
        }
    }
}
