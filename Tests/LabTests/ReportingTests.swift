import Foundation
import Testing

/// Reports and comparisons through the real `lab` command (the pull-request summary: PRReportTests).
@Suite(.serialized) struct ReportingTests {
    @Test func aRunWritesItsReportAndTheIndex() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        try box.commitAll()
        #expect(try box.lab("run", "three.swift").status == 0)
        let folder = box.root.appendingPathComponent("reports/three")
        for file in ["README.md", "index.html", "results.json"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path), "\(file)")
        }
        let readme = try box.read("reports/three/README.md")
        #expect(readme.contains("Prose that tests edit."), "prose from the file")
        #expect(readme.contains("ctx.metric(\"loss\", fit.loss)"), "the step's own code")
        let results = try JSONSerialization.jsonObject(with: Data(try box.read("reports/three/results.json").utf8)) as! [String: Any]
        #expect((results["metrics"] as? [String: Double])?["report/loss"] == 1.05)
        #expect(try box.read("reports/README.md").contains("three"))
        // A smoke run leaves the committed report alone.
        let before = try box.read("reports/three/results.json")
        #expect(try box.lab("run", "three.swift", "--smoke", "--set", "epochs=1").status == 0)
        #expect(try box.read("reports/three/results.json") == before)
        // Re-rendering an old run.
        let ids = try JSONSerialization.jsonObject(with: Data(try box.lab("ls", "--json").output.utf8)) as! [[String: Any]]
        let report = try box.lab("report", ids.last!["id"] as! String)
        #expect(report.status == 0 && report.output.contains("reports/three"), "\(report.output)")
    }

    @Test func seedsRunsAreComparedAsAGroup() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps.replacingOccurrences(of: "ctx.metric(\"loss\", fit.loss)",
                                                                     with: "ctx.metric(\"loss\", fit.loss + Double(ctx.seed % 7) / 100)"))
        let result = try box.lab("run", "three.swift", "--seeds", "3")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("# Comparison: three"), "\(result.output)")
        #expect(result.output.contains("(n=3)"), "three seeds, one group: \(result.output)")
        #expect(result.output.contains("they differ only by seed"), "\(result.output)")
    }

    @Test func compareShowsOnlyDifferingConfigAndSignedDeltas() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        let a = try box.lab("run", "three.swift")
        let b = try box.lab("run", "three.swift", "--set", "learningRate=0.2")
        let md = try box.lab("compare", a.runId!, b.runId!).output
        #expect(md.contains("| learningRate | 0.1 | 0.2 |"), "\(md)")
        #expect(!md.contains("| size |"), "keys that agree are not shown: \(md)")
        #expect(md.contains("| report/loss | 1.05 (n=1) | 2.1 (n=1) | +1.05 |"), "\(md)")
        let html = try box.lab("compare", a.runId!, b.runId!, "--html").output
        #expect(html.contains("<svg") && html.hasPrefix("<!DOCTYPE html>"))
        let json = try box.lab("compare", a.runId!, b.runId!, "--json").output
        #expect((try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["differingKeys"] as? [String] == ["learningRate"])
    }

    /// D5: the index line for an experiment describes the run whose report is in its folder,
    /// here an older run re-rendered after a newer one (after concurrent runs, the one that
    /// finished last rather than the one that started last).
    @Test func indexLineDescribesTheRunInTheReportFolder() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        try box.commitAll()
        let first = try box.lab("run", "three.swift")
        let second = try box.lab("run", "three.swift", "--set", "learningRate=0.2")
        #expect(first.status == 0 && second.status == 0, "\(first.output)\n\(second.output)")
        #expect(try box.lab("report", second.runId!, "--publish").status == 0)
        #expect(try box.read("reports/README.md").contains("report/loss 2.1"))
        #expect(try box.lab("report", first.runId!).status == 0)
        let results = try JSONSerialization.jsonObject(with: Data(try box.read("reports/three/results.json").utf8)) as? [String: Any]
        #expect(results?["run_id"] as? String == first.runId)
        let index = try box.read("reports/README.md")
        #expect(index.contains("report/loss 1.05") && !index.contains("report/loss 2.1"), "\(index)")
    }

    /// D24, D25: every experiment name gets its own folder inside `reports/`, and the index
    /// links to exactly the folders that exist.
    @Test func everyExperimentNameGetsItsOwnLinkedFolder() throws {
        let box = try Sandbox()
        try box.write("names.swift", namesExperiment)
        try box.commitAll()
        let names = ["../../etc/x", "/abs/path", "a/b", "a-b", "tab\tname", "\\~", "", ".", "..", "...", ".git", "a b", "names"]
        for name in names {
            let result = try box.lab("run", "names.swift", environment: ["EXPNAME": name])
            #expect(result.status == 0 && !result.output.contains("could not be written"), "\(name): \(result.output)")
        }
        let reports = box.root.appendingPathComponent("reports")
        let folders = try FileManager.default.contentsOfDirectory(atPath: reports.path).filter { $0 != "README.md" }.sorted()
        #expect(folders.count == names.count, "\(folders)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.root.path).sorted() == [".git", ".lab", "names.swift", "reports"])
        var experiments: [String] = []
        for folder in folders {
            let data = try Data(contentsOf: reports.appendingPathComponent(folder).appendingPathComponent("results.json"))
            experiments.append((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["experiment"] as? String ?? "?")
        }
        #expect(experiments.sorted() == names.sorted())
        let index = try box.read("reports/README.md")
        let links = try NSRegularExpression(pattern: #"\[README\]\(([^)]*)/README\.md\)"#)
            .matches(in: index, range: NSRange(index.startIndex..., in: index))
            .map { String(index[Range($0.range(at: 1), in: index)!]) }
        #expect(links.sorted() == folders, "\(index)")
    }

    /// D21: a 100 kB experiment, step or artifact name works: the report and the artifact
    /// are written under shortened names, and progress lines are not padded to the name.
    @Test func longNamesWorkAndDoNotPadProgressLines() throws {
        let box = try Sandbox()
        try box.write("names.swift", namesExperiment)
        try box.commitAll()
        let long = String(repeating: "long name ", count: 10_000)
        let result = try box.lab("run", "names.swift", environment: ["EXPNAME": long, "STEPNAME": long, "ARTNAME": long])
        #expect(result.status == 0, "\(result.output.prefix(2000))")
        #expect(!result.output.contains("Error Domain") && !result.output.contains("could not be written"), "\(result.output.prefix(2000))")
        let folders = try FileManager.default.contentsOfDirectory(atPath: box.root.appendingPathComponent("reports").path)
        #expect(folders.contains { $0.hasPrefix("long-name-long-name") && $0.contains("~") }, "\(folders)")
        let stepLines = result.output.split(separator: "\n").filter { $0.hasPrefix("  ✓ ") }
        #expect(stepLines.count == 2 && stepLines.allSatisfy { $0.count < 120 }, "\(stepLines.map { $0.prefix(200) })")
    }
}

/// One step whose experiment, step and artifact names come from EXPNAME, STEPNAME and
/// ARTNAME, so one compiled file serves every name; a second step with a short name.
let namesExperiment = """
import Foundation
import Lab

struct Config: ExperimentConfig { var x = 1 }

let experiment = Experiment(ProcessInfo.processInfo.environment["EXPNAME"] ?? "names", config: Config()) { lab in
    lab.step(ProcessInfo.processInfo.environment["STEPNAME"] ?? "s") { ctx -> Int in
        ctx.metric("m", Double(ctx.config.x))
        if let name = ProcessInfo.processInfo.environment["ARTNAME"] { try ctx.artifact(name, data: Data("a".utf8)) }
        return 1
    }
    lab.step("t") { ctx -> Int in 2 }
}

Lab.main(experiment)
"""
