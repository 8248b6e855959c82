import ArgumentParser
import Foundation
import Lab

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Compile an experiment file (cached by content) and run it.")

    @Argument(help: "The experiment file, e.g. experiments/clip-fashion.swift.")
    var file: String

    @Option(name: .customLong("set"), help: "Override a config field: --set key=value (repeatable).")
    var assignments: [String] = []

    @Flag(help: "Tiny data: check the whole experiment in seconds.")
    var smoke = false

    @Flag(help: "Print, for every step, hit or miss and which part of its cache key changed.")
    var explain = false

    @Flag(name: .customLong("no-cache"), help: "Run every step, ignoring cached outputs.")
    var noCache = false

    @Option(help: "The root seed (each step's seed derives from it and the step's name).")
    var seed: UInt64 = 0

    func run() throws {
        let compiler = try ExperimentCompiler()
        let binary = try compiler.binary(for: URL(fileURLWithPath: file))
        var arguments = ["run"]
        for a in assignments { arguments += ["--set", a] }
        if smoke { arguments.append("--smoke") }
        if explain { arguments.append("--explain") }
        if noCache { arguments.append("--no-cache") }
        arguments += ["--seed", String(seed)]
        setenv("LAB_FINGERPRINT", compiler.fingerprint, 1)
        setenv("LAB_ROOT", projectRoot().path, 1)
        fflush(nil)
        // Replace this process: signals (Ctrl-C) and the exit status are the experiment's own.
        let argv: [UnsafeMutablePointer<CChar>?] = ([binary.path] + arguments).map { strdup($0) } + [nil]
        execv(binary.path, argv)
        throw ValidationError("cannot start \(binary.path): \(String(cString: strerror(errno)))")
    }
}
