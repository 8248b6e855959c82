import Foundation
import Testing

/// A command-line tool that a test checks the reports with (cmark-gfm, tidy, chromium).
/// When it is not installed the test fails and says how to install it: CI installs them.
struct ExternalTool {
    let path: String

    /// Finds `name` on PATH, or records a failure that says which Debian package to install.
    static func find(_ name: String, package: String? = nil) -> ExternalTool? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for folder in paths {
            let candidate = folder + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return ExternalTool(path: candidate) }
        }
        Issue.record("\(name) is not installed: install it with `apt-get install \(package ?? name)` (CI installs it).")
        return nil
    }

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    /// Runs the tool with `arguments`, feeding `input` on standard input.
    func run(_ arguments: [String], input: String = "") throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin; process.standardOutput = stdout; process.standardError = stderr
        try process.run()
        // Read both pipes while the tool runs so neither fills up and blocks it.
        let group = DispatchGroup()
        nonisolated(unsafe) var out = Data(), err = Data()
        DispatchQueue.global().async(group: group) { out = stdout.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { err = stderr.fileHandleForReading.readDataToEndOfFile() }
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        group.wait()
        return Result(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                      stderr: String(decoding: err, as: UTF8.self))
    }
}
