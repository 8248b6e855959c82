import Foundation
import Testing

/// `lab reproduce` through the real `lab`, in temporary git repositories with real commits.
@Suite(.serialized) struct ReproduceTests {
    /// The branches, worktrees and refs of the sandbox's repository: what reproduce must leave as it was.
    func gitState(_ box: Sandbox) throws -> String {
        try box.shell("git", "worktree", "list", "--porcelain") + "\n" + box.shell("git", "branch", "--list", "--all")
            + "\n" + box.shell("git", "for-each-ref") + "\n" + box.shell("git", "status", "--porcelain")
    }

    /// What `lab show --json` says of a run (read with JSONDecoder, which reads doubles exactly;
    /// JSONSerialization on Linux is off by an ulp at times).
    struct Shown: Decodable {
        struct Run: Decodable { var id: String; var gitCommit: String? }
        var run: Run
        var params: [String: String]
        var metrics: [String: Double]
    }

    func shown(_ box: Sandbox, _ id: String) throws -> Shown {
        try JSONDecoder().decode(Shown.self, from: Data(try box.lab("show", id, "--json").output.utf8))
    }

    /// The stored metrics of a run, "step/name" → value.
    func metrics(_ box: Sandbox, _ id: String) throws -> [String: Double] { try shown(box, id).metrics }

    /// The reproduction report's Markdown, whose folder the output names.
    func report(_ box: Sandbox, _ output: String) throws -> String {
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("reproduction report: ") }, "\(output)")
        let path = line.dropFirst("reproduction report: ".count).split(separator: ",")[0]
        return try box.read(String(path))
    }

    /// A temporary copy of the repository whose name starts like reproduce's own.
    func leftoverCopies(of run: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [])
            .filter { $0.hasPrefix("lab-reproduce-\(run)") }
    }

    @Test func aShippedExperimentsSmokeRunIsReproducedBitIdentical() throws {
        let box = try Sandbox()
        let source = try String(contentsOf: Sandbox.packageRoot.appendingPathComponent("experiments/spirals.swift"), encoding: .utf8)
        try FileManager.default.createDirectory(at: box.root.appendingPathComponent("experiments"), withIntermediateDirectories: true)
        try box.write("experiments/spirals.swift", source)
        try box.commitAll("spirals")
        let run = try box.lab("run", "experiments/spirals.swift", "--smoke")
        #expect(run.status == 0, "\(run.output)")
        let id = try #require(run.runId, "\(run.output)")
        let recorded = try metrics(box, id)
        #expect(!recorded.isEmpty, "the smoke run records metrics")
        let before = try gitState(box)

        let reproduced = try box.lab("reproduce", id)
        #expect(reproduced.status == 0, "\(reproduced.output)")
        #expect(reproduced.output.contains("Reproduced: bit-identical."), "\(reproduced.output)")
        #expect(reproduced.output.contains("comparison: bit-identical"), "\(reproduced.output)")
        let md = try report(box, reproduced.output)
        #expect(md.contains("**Reproduced: bit-identical.**"), "\(md)")
        for (name, value) in recorded {
            #expect(md.contains("| \(name) | \(value) | \(value) | 0.0 | same |"), "metric \(name) = \(value):\n\(md)")
        }
        #expect(md.contains("experiments/spirals.swift is the source the run recorded"), "\(md)")
        #expect(FileManager.default.fileExists(atPath: box.root.appendingPathComponent("reports").path) == false,
                "a smoke run and its reproduction leave the project's reports/ alone")
        #expect(try gitState(box) == before, "no branch, worktree, ref or change is left in the repository")
        #expect(leftoverCopies(of: id).isEmpty, "the temporary copy is removed")
    }

    @Test func aDirtyRunIsReproducedWithItsPatchAfterTheTreeMovedOn() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        try box.commitAll("three")
        // Uncommitted: a code change that doubles the metric, and an untracked file.
        try box.edit("three.swift", replacing: "ctx.metric(\"loss\", fit.loss)", with: "ctx.metric(\"loss\", fit.loss * 2)")
        try box.write("notes.txt", "untracked\n")
        let run = try box.lab("run", "three.swift", "--set", "learningRate=0.25", "--seed", "7")
        #expect(run.status == 0 && run.output.contains("dirty"), "\(run.output)")
        let id = try #require(run.runId)
        let loss = try #require(try metrics(box, id)["report/loss"])
        #expect(abs(loss - 5.25) < 1e-12, "doubled by the uncommitted edit, at the given learning rate: \(loss)")
        // The tree moves on: the edit is reverted and something else is committed.
        try box.shell("git", "checkout", "--", "three.swift")
        try box.write("other.txt", "later\n")
        try box.commitAll("later")
        let before = try gitState(box)

        let reproduced = try box.lab("reproduce", id)
        #expect(reproduced.status == 0, "\(reproduced.output)")
        let md = try report(box, reproduced.output)
        #expect(md.contains("| report/loss | \(loss) | \(loss) | 0.0 | same |"), "the patch and the config were applied: \(md)")
        #expect(md.contains("| learningRate | 0.25 |") && md.contains("- seed: 7"), "\(md)")
        #expect(md.contains("uncommitted changes: yes: the recorded patch was applied"), "\(md)")
        #expect(md.contains("the reproduction lacks them: notes.txt"), "the untracked file is named: \(md)")
        #expect(try gitState(box) == before)
    }

    @Test func anExperimentFileNeverCommittedRunsFromItsRecordedSource() throws {
        let box = try Sandbox()
        try box.write("README.txt", "a project\n")
        try box.commitAll("start")
        try box.write("three.swift", threeSteps)   // untracked: the run records its text whole
        try box.write("data.csv", "1,2\n")
        let run = try box.lab("run", "three.swift", "--smoke")
        let id = try #require(run.runId, "\(run.output)")
        let reproduced = try box.lab("reproduce", id)
        #expect(reproduced.status == 0 && reproduced.output.contains("Reproduced: bit-identical."), "\(reproduced.output)")
        let md = try report(box, reproduced.output)
        #expect(md.contains("three.swift is not in the recorded commit (it was untracked): the reproduction runs the source the run recorded"), "\(md)")
        #expect(md.contains("the reproduction lacks them: data.csv\n"), "only the data file is lacking: \(md)")
    }

    @Test func aPublishedResultsFileIsCheckedAndAnAlteredMetricIsNotReproduced() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        try box.commitAll("three")
        let run = try box.lab("run", "three.swift")   // a full run of the declared config: published to reports/
        #expect(run.status == 0, "\(run.output)")
        let published = try box.read("reports/three/results.json")
        try box.commitAll("the report")

        let same = try box.lab("reproduce", "reports/three/results.json")
        #expect(same.status == 0 && same.output.contains("Reproduced: bit-identical."), "\(same.output)")
        #expect(try report(box, same.output).contains("with the run store's record of the run"))

        // One ulp more than the run's 1.05: only bit-identity catches it.
        let altered = published.replacingOccurrences(of: "\"report/loss\" : 1.05", with: "\"report/loss\" : 1.0500000000000003")
        #expect(altered != published, "the edit must change the metric: \(published)")
        try FileManager.default.createDirectory(at: box.root.appendingPathComponent("published"), withIntermediateDirectories: true)
        try box.write("published/altered.json", altered)
        let differs = try box.lab("reproduce", "published/altered.json")
        #expect(differs.status == 1, "\(differs.output)")
        #expect(differs.output.contains("Not reproduced.") && differs.output.contains("report/loss  1.0500000000000003 → 1.05  (differs)"),
                "\(differs.output)")
        #expect(try report(box, differs.output).contains("- `report/loss`: 1.0500000000000003 recorded, 1.05 reproduced"))

        // A run this store never saw: the file's own commit, config, seed, source and machine.
        let id = try #require(run.runId)
        try box.write("published/foreign.json", published.replacingOccurrences(of: id, with: "19990101-000000-0000"))
        let foreign = try box.lab("reproduce", "published/foreign.json")
        #expect(foreign.status == 0, "\(foreign.output)")
        let md = try report(box, foreign.output)
        #expect(md.contains("| report/loss | 1.05 | 1.05 | 0.0 | same |") && md.contains("experiment file: three.swift"), "\(md)")
        #expect(md.contains("Comparison: **bit-identical**"),
                "a results.json names the machine, thread count and library, so it claims bit-identity here: \(md)")
        // Without the thread count (a file written before it was recorded), it cannot.
        let noThreads = published.replacingOccurrences(of: id, with: "19990101-000000-0001")
            .replacing(#/\n *"intra_op_threads" : "[0-9]+",?/#, with: "")
        #expect(noThreads.contains("19990101-000000-0001") && !noThreads.contains("intra_op_threads"), "\(noThreads)")
        try box.write("published/no-threads.json", noThreads)
        let older = try box.lab("reproduce", "published/no-threads.json")
        let olderReport = try report(box, older.output)
        #expect(older.status == 0 && olderReport.contains("Comparison: **within tolerance**"), "\(older.output)")
    }

    @Test func badInputIsAClearErrorWithStatus2() throws {
        let box = try Sandbox()
        let noStore = try box.lab("reproduce", "20990101")
        #expect(noStore.status == 2, "\(noStore.output)")
        #expect(noStore.output.contains("no run '20990101'"), "\(noStore.output)")

        func results(_ fields: [String: Any]) throws -> String {
            var object: [String: Any] = ["run_id": "20990101-000000-0000", "experiment": "three", "status": "succeeded",
                                         "commit": String(repeating: "a", count: 40), "dirty": false, "config": [:] as [String: Any],
                                         "metrics": ["report/loss": 1.0], "smoke": true, "seed": 0]
            for (k, v) in fields { object[k] = v }
            let path = box.root.appendingPathComponent("results-\(UUID().uuidString.prefix(6)).json")
            try JSONSerialization.data(withJSONObject: object).write(to: path)
            return path.path
        }
        let dirty = try box.lab("reproduce", try results(["dirty": true]))
        #expect(dirty.status == 2 && dirty.output.contains("had uncommitted changes, and results.json records no patch"), "\(dirty.output)")
        let noCommit = try box.lab("reproduce", try results(["commit": NSNull()]))
        #expect(noCommit.status == 2 && noCommit.output.contains("recorded no commit"), "\(noCommit.output)")
        let missing = try box.lab("reproduce", try results([:]))
        #expect(missing.status == 2 && missing.output.contains("find commit aaaaaaaaaa"), "\(missing.output)")
        let notFile = try box.lab("reproduce", "nowhere/results.json")
        #expect(notFile.status == 2 && notFile.output.contains("no such file"), "\(notFile.output)")
        let tolerance = try box.lab("reproduce", "x", "--tolerance=-1")
        #expect(tolerance.status == 2 && tolerance.output.contains("--tolerance takes a non-negative number"), "\(tolerance.output)")
    }
}
