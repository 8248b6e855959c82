import Foundation
import Testing

/// Reports, comparisons and the pull-request summary through the real `lab` command.
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

    @Test func prReportFindsChangedStepsDeltasAndRegressions() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        try box.commitAll("base")
        #expect(try box.lab("run", "three.swift").status == 0)
        try box.shell("git", "branch", "base")
        try box.edit("three.swift", replacing: "ctx.metric(\"loss\", fit.loss)", with: "ctx.metric(\"loss\", fit.loss * 2)")
        try box.commitAll("double the loss")
        #expect(try box.lab("run", "three.swift").status == 0)
        let ok = try box.lab("pr-report", "--base", "base")
        #expect(ok.status == 0, "\(ok.output)")
        #expect(ok.output.contains("| report | yes (source) | yes |"), "\(ok.output)")
        #expect(ok.output.contains("| fit | no | no (cached) |"), "\(ok.output)")
        #expect(ok.output.contains("| report/loss | 1.05 | 2.1 | +1.05 |"), "\(ok.output)")
        let bad = try box.lab("pr-report", "--base", "base", "--threshold", "loss=+0.5")
        #expect(bad.status == 1, "a rise past +0.5 regresses: \(bad.output)")
        #expect(bad.output.contains("**regressed** (limit +0.5)"), "\(bad.output)")
        // A threshold declared in the experiment file applies without --threshold.
        try box.edit("three.swift", replacing: "    //: ## Evaluation", with: "    lab.regression(\"report/loss\", beyond: 0.5)\n    //: ## Evaluation")
        try box.commitAll("declare a threshold")
        #expect(try box.lab("run", "three.swift").status == 0)
        let declared = try box.lab("pr-report", "--base", "base")
        #expect(declared.status == 1 && declared.output.contains("**regressed** (limit +0.5)"), "\(declared.output)")
        let unknown = try box.lab("pr-report", "--base", "no-such-branch")
        #expect(unknown.status != 0 && unknown.output.contains("no-such-branch"), "\(unknown.output)")
    }
}
