import ArgumentParser
import Foundation
import Lab

/// Checks on an experiment file before it is compiled, and the source `swiftc` compiles.
enum ExperimentFile {
    /// Throws when `file` is not an experiment's Swift source: a folder, a file without the
    /// `.swift` extension, or a file that is not text (a binary renamed `.swift`). A missing
    /// or unreadable file is left to ``ExperimentCompiler/binary(for:)``, which names it.
    static func validate(_ file: URL) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isFolder) else { return }
        if isFolder.boolValue {
            throw ValidationError("'\(file.path)' is a folder; experiment files are .swift source files, e.g. experiments/NAME.swift")
        }
        guard file.pathExtension == "swift" else {
            throw ValidationError("'\(file.lastPathComponent)' is not a .swift file; experiment files are .swift source files, e.g. experiments/NAME.swift")
        }
        guard let data = try? Data(contentsOf: file) else { return }
        if data.contains(0) || String(data: data, encoding: .utf8) == nil {
            throw ValidationError("'\(file.lastPathComponent)' is not text (it holds binary data); experiment files are .swift source files")
        }
    }

    /// The text `swiftc` compiles for `file`: one line that arms ``MainGuard`` (so a file that
    /// never calls `Lab.main(experiment)` exits non-zero with a message instead of 0) and
    /// embeds the file's text (base64), which the run keys and records; then the file itself
    /// under `#sourceLocation`, so `#filePath`, `#line` and compiler errors name the file and
    /// its own line numbers.
    static func mainSource(for file: URL, text: String) -> String {
        let literal = "\"" + file.path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
        let embedded = Data(text.utf8).base64EncodedString()
        return "import Lab; Lab.MainGuard.expectMain(file: \(literal), source: \"\(embedded)\")\n"
            + "#sourceLocation(file: \(literal), line: 1)\n" + text + "\n"
    }
}
