import Foundation
import Testing

/// The examples in `Lab`'s doc comments are real: each complete one (it ends with
/// `Lab.main(…)`) is written to a project and run with `lab run`; the others are excerpts
/// (they elide with `…`) and say so.
@Suite(.serialized) struct DocExampleTests {
    /// The ```swift blocks of the `///` comments under Sources/Lab: (file, line, code).
    static func examples() throws -> [(file: String, line: Int, code: String)] {
        let folder = Sandbox.packageRoot.appendingPathComponent("Sources/Lab")
        let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }.sorted { $0.path < $1.path }
        var found: [(String, Int, String)] = []
        for file in files {
            let lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
            var block: [String]?
            var start = 0
            for (index, line) in lines.enumerated() {
                let text = line.trimmingCharacters(in: .whitespaces)
                guard text.hasPrefix("///") else { block = nil; continue }
                var body = String(text.dropFirst(3))
                if body.hasPrefix(" ") { body.removeFirst() }
                if block == nil, body == "```swift" { block = []; start = index + 1; continue }
                if block != nil, body == "```" {
                    found.append((file.lastPathComponent, start, block!.joined(separator: "\n")))
                    block = nil
                    continue
                }
                block?.append(body)
            }
        }
        return found
    }

    @Test func everyCompleteExampleRunsAndTheRestAreMarkedExcerpts() throws {
        let examples = try Self.examples()
        let complete = examples.filter { $0.code.contains("Lab.main(") }
        #expect(!complete.isEmpty, "the Experiment example is complete")
        for example in examples where !example.code.contains("Lab.main(") {
            #expect(example.code.contains("…"), "\(example.file):\(example.line): neither a complete example nor marked as an excerpt with …")
        }
        for example in complete {
            let box = try Sandbox()
            try box.write("example.swift", example.code)
            try box.commitAll()
            let run = try box.lab("run", "example.swift")
            #expect(run.status == 0, "\(example.file):\(example.line): \(run.output)")
            #expect(!run.ran.isEmpty, "\(example.file):\(example.line): \(run.output)")
        }
    }
}
