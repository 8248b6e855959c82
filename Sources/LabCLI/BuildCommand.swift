import ArgumentParser
import Foundation
import Lab

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build", abstract: "Compile an experiment file without running it (cached by content).")

    @Argument(help: "The experiment file.")
    var file: String

    func run() throws {
        let binary = try ExperimentCompiler().binary(for: URL(fileURLWithPath: file))
        print(binary.path)
    }
}
