import Foundation
import Testing

/// An experiment whose data step (slow, reading only `size`) every point of a sweep over
/// `scale` and `offset` shares, and whose metric is known: score = mean(0..<size) · scale + offset.
let sweptExperiment = """
import Foundation
import Lab

struct Config: ExperimentConfig {
    var size = 64
    var scale = 1.0
    var offset = 0.0
}

struct Numbers: Codable { var x: Tensor }

let experiment = Experiment("swept", config: Config()) { lab in
    lab.regression("score/score", .higherIsBetter, tolerance: 0.1)
    let data = lab.data("numbers") { ctx in
        Thread.sleep(forTimeInterval: 1)
        return Numbers(x: Tensor.arange(0, Double(ctx.config.size), dtype: .float64))
    }
    lab.eval("score", data) { ctx, data in
        ctx.metric("score", data.x.mean().item() * ctx.config.scale + ctx.config.offset)
    }
}

Lab.main(experiment)
"""

@Suite(.serialized) struct SweepTests {
    static func sandbox() throws -> Sandbox {
        let box = try Sandbox()
        try box.write("swept.swift", sweptExperiment)
        try box.commitAll("swept")
        return box
    }

    /// The sweep's folder and the logs of its points.
    static func logs(_ box: Sandbox) throws -> (folder: String, logs: [String]) {
        let sweeps = box.root.appendingPathComponent(".lab/sweeps")
        let folder = try #require(try FileManager.default.contentsOfDirectory(atPath: sweeps.path).first)
        let files = try FileManager.default.contentsOfDirectory(atPath: sweeps.appendingPathComponent(folder).path).filter { $0.hasPrefix("point-") }.sorted()
        return (".lab/sweeps/" + folder, try files.map { try box.read(".lab/sweeps/\(folder)/\($0)") })
    }

    /// Checks a finished 4-point sweep: every point succeeded with its own score, the data step
    /// ran in exactly one point (the others took its entry, two at a time or not), and the
    /// report names the best point by the declared direction.
    static func checkFourPoints(_ box: Sandbox, _ result: Sandbox.Result) throws {
        let (folder, logs) = try Self.logs(box)
        #expect(result.status == 0, "\(result.output)\n\(logs.joined(separator: "\n---\n"))")
        #expect(logs.count == 4)
        let computed = logs.filter { $0.contains("✓ numbers") && !$0.contains("✓ numbers  cached") }
        #expect(computed.count == 1, "the shared data step runs once: \(logs)")
        let markdown = try box.read(folder + "/sweep.md")
        for (scale, offset) in [("1", "0"), ("1", "1"), ("2", "0"), ("2", "1")] {
            let score = 31.5 * Double(scale)! + Double(offset)!
            #expect(markdown.contains("| \(scale) | \(offset) |") && markdown.contains(String(format: "%.4g", score)), "\(markdown)")
        }
        #expect(markdown.contains("`score/score` (higher is better): 64 at `scale=2 offset=1`"), "\(markdown)")
        let html = try box.read(folder + "/sweep.html")
        #expect(html.components(separatedBy: "<svg").count - 1 == 2, "one chart per metric and swept field")
        let ls = try box.lab("ls")
        #expect(ls.output.components(separatedBy: "swept").count - 1 == 4, "one run per point: \(ls.output)")
    }

    @Test func aLocalSweepSharesItsDataStepAndNamesTheBestPoint() throws {
        let box = try Self.sandbox()
        let result = try box.lab("sweep", "swept.swift", "--grid", "scale=1,2", "--grid", "offset=0,1", "--jobs", "2")
        try Self.checkFourPoints(box, result)
        #expect(result.output.contains("run locally, 2 at a time"), "\(result.output)")
    }

    /// The same sweep as one array job on a real (one-machine) Slurm, started by scripts/slurm.
    @Test func aSlurmSweepRunsAsOneArrayJob() throws {
        let box = try Self.sandbox()
        let slurmFolder = box.root.appendingPathComponent("slurm").path
        let environment = ["LAB_SLURM_DIR": slurmFolder, "SLURM_CONF": slurmFolder + "/slurm.conf"]
        let script = Sandbox.packageRoot.appendingPathComponent("scripts/slurm").path
        let started = try box.run(script, ["start"], environment: environment)
        defer { _ = try? box.run(script, ["stop"], environment: environment) }
        try #require(started.status == 0, "\(started.output)")
        let result = try box.lab("sweep", "swept.swift", "--grid", "scale=1,2", "--grid", "offset=0,1", "--slurm", environment: environment)
        try Self.checkFourPoints(box, result)
        #expect(result.output.contains("as Slurm job"), "\(result.output)")
    }

    @Test func badGridsAreRefusedBeforeAnythingRuns() throws {
        let box = try Self.sandbox()
        let unknown = try box.lab("sweep", "swept.swift", "--grid", "sizes=1,2")
        #expect(unknown.status != 0 && unknown.output.contains("point 1 (sizes=1)") && unknown.output.contains("sizes"), "\(unknown.output)")
        let badValue = try box.lab("sweep", "swept.swift", "--grid", "scale=1,x")
        #expect(badValue.status != 0 && badValue.output.contains("point 2 (scale=x)"), "\(badValue.output)")
        let malformed = try box.lab("sweep", "swept.swift", "--grid", "scale")
        #expect(malformed.status != 0 && malformed.output.contains("write key=v1,v2"), "\(malformed.output)")
        let tooMany = try box.lab("sweep", "swept.swift", "--grid", "scale=1,2", "--random", "3")
        #expect(tooMany.status != 0 && tooMany.output.contains("more points than the grid's 2"), "\(tooMany.output)")
        let clash = try box.lab("sweep", "swept.swift", "--grid", "scale=1,2", "--set", "scale=3")
        #expect(clash.status != 0 && clash.output.contains("both swept (--grid) and set (--set)"), "\(clash.output)")
        #expect(!FileManager.default.fileExists(atPath: box.root.appendingPathComponent(".lab/sweeps").path), "nothing ran")
    }

    /// --random K takes K distinct points of the grid, the same ones for the same --seed.
    @Test func aRandomSweepDrawsDistinctPointsBySeed() throws {
        let box = try Self.sandbox()
        let result = try box.lab("sweep", "swept.swift", "--grid", "scale=1,2,3", "--grid", "offset=0,1,2", "--random", "2", "--seed", "7")
        #expect(result.status == 0, "\(result.output)")
        let points = result.output.split(separator: "\n").filter { $0.hasPrefix("  point ") }.map { $0.split(separator: " ")[2...3].joined(separator: " ") }.sorted()
        #expect(points.count == 2 && Set(points).count == 2, "\(result.output)")
    }
}
