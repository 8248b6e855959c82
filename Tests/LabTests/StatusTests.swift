import Foundation
import Testing

/// `lab status [--check] [--strict]`: committed reports against the keys recomputed from the
/// experiment files, in a real repository with a real run. No step runs.
@Suite(.serialized) struct StatusTests {
    static let file = "experiments/three.swift"

    /// A repository whose experiment has a fresh, committed report.
    func reported() throws -> Sandbox { try Sandbox.withCommittedReport(at: Self.file) }

    @Test func aFreshReportIsCurrentAndAProseEditKeepsItSo() throws {
        let box = try reported()
        let fresh = try box.lab("status", "--check")
        #expect(fresh.status == 0, "\(fresh.output)")
        #expect(line(fresh.output, "three") == ["three", try runId(box), "current"], "\(fresh.output)")
        try box.edit(Self.file, replacing: "Prose that tests edit.", with: "Prose, edited.\n//: Another line.")
        try box.edit(Self.file, replacing: "// a comment inside the step", with: "// another comment")
        let prose = try box.lab("status", "--check")
        #expect(prose.status == 0 && prose.output.contains("current"), "\(prose.output)")
        #expect(!FileManager.default.fileExists(atPath: box.root.appendingPathComponent(".lab/cache").path + "/none"),
                "status runs no step")
    }

    @Test func editingAStepMakesTheReportStaleAndNamesTheStep() throws {
        let box = try reported()
        let steps = try box.lab("ls", "--json").output
        try box.edit(Self.file, replacing: "w += ctx.config.learningRate * data.x.mean().item()",
                     with: "w += 2 * ctx.config.learningRate * data.x.mean().item()")
        let result = try box.lab("status", "--check")
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("three (experiments/three.swift): stale\n  - fit (source)\n  - report (upstream: fit)\n"), "\(result.output)")
        #expect(result.output.contains("re-run: lab run experiments/three.swift, then commit reports/"), "\(result.output)")
        #expect(try box.lab("status").status == 0, "without --check it only reports")
        #expect(try box.lab("ls", "--json").output == steps, "status recorded no run")
        // A config value: the steps that read it, with the config line.
        try box.shell("git", "checkout", "-q", "--", Self.file)
        try box.edit(Self.file, replacing: "var epochs = 3", with: "var epochs = 4")
        let config = try box.lab("status", "--check")
        #expect(config.status == 1 && config.output.contains("  - fit (config)\n") && config.output.contains("config epochs: 3 in the report, 4 in the experiment"),
                "\(config.output)")
    }

    @Test func aReportFromAnOlderLibraryPassesUnlessStrict() throws {
        let box = try reported()
        // The run's keys as an older Lab would have made them: every library part differs.
        let path = "reports/three/results.json"
        var text = try box.read(path)
        let library = try #require(text.firstMatch(of: /"library" : "([0-9a-f]{64})"/)?.1)
        text = text.replacingOccurrences(of: String(library), with: String(repeating: "0", count: 64))
        for key in text.matches(of: /"key" : "([0-9a-f]{64})"/).map({ String($0.1) }) {
            text = text.replacingOccurrences(of: key, with: String(key.reversed()))
        }
        try box.write(path, text)
        let plain = try box.lab("status", "--check")
        #expect(plain.status == 0, "\(plain.output)")
        #expect(plain.output.contains("older library") && plain.output.contains("library only"), "\(plain.output)")
        let strict = try box.lab("status", "--check", "--strict")
        #expect(strict.status == 1, "\(strict.output)")
        #expect(try box.lab("status", "--strict").status != 0, "--strict needs --check")
    }

    @Test func anExperimentWithoutAReportAndAReportWithoutAnExperimentFail() throws {
        let box = try reported()
        try box.write("experiments/four.swift", threeSteps.replacingOccurrences(of: "Experiment(\"three\"", with: "Experiment(\"four\""))
        let missing = try box.lab("status", "--check")
        #expect(missing.status == 1 && line(missing.output, "four") == ["four", "—", "no", "report"], "\(missing.output)")
        try FileManager.default.removeItem(at: box.root.appendingPathComponent("experiments/four.swift"))
        try FileManager.default.removeItem(at: box.root.appendingPathComponent(Self.file))
        let orphan = try box.lab("status", "--check")
        #expect(orphan.status == 1 && orphan.output.contains("its experiment file experiments/three.swift is not there"), "\(orphan.output)")
    }

    @Test func aReportOfSchemaOneIsStale() throws {
        let box = try reported()
        try box.write("reports/three/results.json", """
            {"run_id": "r1", "experiment": "three", "status": "succeeded", "commit": null, "dirty": null,
             "config": {}, "metrics": {}, "smoke": false, "seed": 0}
            """)
        let result = try box.lab("status", "--check", Self.file)
        #expect(result.status == 1 && result.output.contains("its results.json predates step keys (schema 1)"), "\(result.output)")
    }

    /// The words of the first table line that starts with `name`.
    func line(_ output: String, _ name: String) -> [String] {
        output.split(separator: "\n").first { $0.hasPrefix(name + " ") }.map { $0.split(separator: " ").map(String.init) } ?? []
    }

    func runId(_ box: Sandbox) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(try box.read("reports/three/results.json").utf8)) as? [String: Any]
        return object?["run_id"] as? String ?? ""
    }
}
