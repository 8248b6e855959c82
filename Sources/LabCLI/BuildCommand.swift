import ArgumentParser
import Foundation
import Lab

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build", abstract: "Compile an experiment file without running it (cached by content).")

    @Argument(help: "The experiment file.")
    var file: String

    func validate() throws {
        try ExperimentFile.validate(URL(fileURLWithPath: file))
    }

    func run() throws {
        setenv("LAB_ROOT", ProjectRoot.find(experimentFile: file), 1)   // .lab/bin of the experiment's repository
        let binary = try ExperimentCompiler().binary(for: URL(fileURLWithPath: file))
        print(binary.path)
    }
}
