import ArgumentParser
import Foundation
import Lab

@main
struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Run literate experiments on libtorch; cache every step; record every run.",
        subcommands: [RunCommand.self, BuildCommand.self, ListCommand.self, ShowCommand.self, CompareCommand.self,
                      ReportCommand.self, StatusCommand.self, PRReportCommand.self, ReproduceCommand.self, CacheCommand.self,
                      ExportCommand.self, ServeCommand.self, SweepCommand.self, BundleCommand.self]
    )

    /// Parses and runs a command as ArgumentParser does, except that `lab pr-report` and
    /// `lab reproduce` keep exit status 1 for a failed gate (a regression, a metric not
    /// reproduced) and exit 2 for every error (usage, git, store), so CI can tell "regressed"
    /// from "could not check".
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            if [PRReportCommand.configuration.commandName, ReproduceCommand.configuration.commandName,
                ExportCommand.configuration.commandName, ServeCommand.configuration.commandName].contains(arguments.first),
               !(error is ExitCode),
               exitCode(for: error) != .success {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                exit(withError: ExitCode(PRReportCommand.errorStatus))
            }
            exit(withError: error)
        }
    }
}

/// The project folder: where `.lab/` lives (LAB_ROOT, else the enclosing git repository's top, else the current directory).
func projectRoot() -> URL {
    URL(fileURLWithPath: ProjectRoot.find())
}

/// Compiles an experiment file (cached by content) and sets what its binary reads from the
/// environment: `LAB_ROOT`, the experiment's repository wherever `lab` runs from (its .lab/
/// and reports/, D17), and `LAB_FINGERPRINT`, the library's. Returns the binary.
func compileExperiment(_ file: String) throws -> URL {
    setenv("LAB_ROOT", ProjectRoot.find(experimentFile: file), 1)
    let compiler = try ExperimentCompiler()
    let binary = try compiler.binary(for: URL(fileURLWithPath: file))
    setenv("LAB_FINGERPRINT", compiler.fingerprint, 1)
    setenv("LAB_ROOT", projectRoot().path, 1)
    return binary
}

func openStore() throws -> RunStore {
    let path = projectRoot().appendingPathComponent(".lab/lab.sqlite").path
    guard FileManager.default.fileExists(atPath: path) else {
        throw ValidationError("no run store at \(path): run an experiment first (lab run experiments/NAME.swift)")
    }
    return try RunStore.reading(path: path)   // readable on a full disk too
}

func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Left-aligned text table.
func table(_ header: [String], _ rows: [[String]]) -> String {
    let widths = header.indices.map { i in max(header[i].count, rows.map { $0[i].count }.max() ?? 0) }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n")
}
