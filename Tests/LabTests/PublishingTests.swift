import Foundation
import Testing

/// Which runs write `reports/`, the committed record: only a succeeded full run of the
/// experiment as declared; everything else goes to `.lab/reports/<run>/` until published on
/// purpose. And the index is rebuilt from the committed `results.json` files alone.
@Suite(.serialized) struct PublishingTests {
    @Test func aFreshCloneKeepsEveryRowOfTheIndex() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        try box.write("four.swift", threeSteps.replacingOccurrences(of: "Experiment(\"three\"", with: "Experiment(\"four\""))
        try box.commitAll("two experiments")
        #expect(try box.lab("run", "three.swift").status == 0)
        #expect(try box.lab("run", "four.swift").status == 0)
        try box.commitAll("their reports")
        let committed = try box.read("reports/README.md")
        #expect(committed.contains("| four |") && committed.contains("| three |"), "\(committed)")

        let clone = try Sandbox(git: false)
        try clone.shell("git", "clone", "-q", box.root.path, "project")
        let project = clone.root.appendingPathComponent("project")
        let run = try clone.run(Sandbox.lab, ["run", "three.swift"], in: project)
        #expect(run.status == 0, "\(run.output)")
        let index = try String(contentsOf: project.appendingPathComponent("reports/README.md"), encoding: .utf8)
        #expect(index.contains("| four |") && index.contains("| three |"), "no row is lost: \(index)")
        let four = committed.split(separator: "\n").first { $0.hasPrefix("| four |") }
        #expect(index.split(separator: "\n").first { $0.hasPrefix("| four |") } == four, "the other row is the committed one")
    }

    @Test func aRunRightAfterARunIsClean() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        try box.commitAll()
        #expect(try box.lab("run", "three.swift").status == 0)
        try box.commitAll("report")
        let again = try box.lab("run", "three.swift")
        #expect(again.status == 0 && !again.output.contains("dirty"), "\(again.output)")
        let third = try box.lab("run", "three.swift")   // reports/ rewritten by the second run, not committed
        #expect(third.status == 0 && !third.output.contains("dirty"), "\(third.output)")
        let results = try JSONSerialization.jsonObject(with: Data(try box.read("reports/three/results.json").utf8)) as? [String: Any]
        #expect(results?["dirty"] as? Bool == false && results?["run_id"] as? String == third.runId)
    }

    @Test func aSetRunLeavesReportsAloneUntilPublished() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        try box.commitAll()
        #expect(try box.lab("run", "three.swift").status == 0)
        try box.commitAll("report")
        let explored = try box.lab("run", "three.swift", "--set", "learningRate=0.2")
        #expect(explored.status == 0, "\(explored.output)")
        let id = try #require(explored.runId)
        #expect(try box.shell("git", "status", "--porcelain") == "", "reports/ untouched")
        #expect(explored.output.contains("report: .lab/reports/\(id)/README.md, index.html (not published to reports/: "
                                         + "config learningRate = 0.2, the experiment's own is 0.1; lab report \(id) --publish publishes it)"),
                "\(explored.output)")
        #expect(try box.read(".lab/reports/\(id)/README.md").contains("> **Not the experiment as declared.**"))
        // Other seeds and failed runs do not publish either; a smoke run neither.
        #expect(try box.lab("run", "three.swift", "--seed", "3").output.contains("root seed 3, not 0"))
        #expect(try box.lab("run", "three.swift", "--smoke").output.contains("a smoke run"))
        #expect(try box.shell("git", "status", "--porcelain") == "")
        // Published on purpose: it says so at its top, and in results.json.
        let published = try box.lab("report", id, "--publish")
        #expect(published.status == 0 && published.output.contains("published, with a notice at its top"), "\(published.output)")
        let readme = try box.read("reports/three/README.md")
        #expect(readme.hasPrefix("# three\n\n> **Not the experiment as declared.** This report is of a run that differs from it:\n"
                                 + "> - config learningRate = 0.2, the experiment's own is 0.1\n"), "\(readme)")
        #expect(try box.read("reports/three/results.json").contains("\"config learningRate = 0.2, the experiment's own is 0.1\""))
        #expect(try box.read("reports/README.md").contains("report/loss 2.1"), "the index follows the published folder")
        // A --set that gives the experiment's own value changes nothing: it publishes.
        let same = try box.lab("run", "three.swift", "--set", "learningRate=0.1")
        #expect(same.output.contains("report: reports/three/README.md"), "\(same.output)")
    }
}
