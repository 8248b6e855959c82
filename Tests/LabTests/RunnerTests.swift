import Foundation
import Testing

/// The cache's promises, through the real `lab` command on real experiment files.
@Suite(.serialized) struct RunnerTests {
    func fresh() throws -> Sandbox {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        try box.commitAll()
        let first = try box.lab("run", "three.swift")
        #expect(first.status == 0, "first run: \(first.output)")
        #expect(first.ran == ["data", "fit", "report"], "\(first.output)")
        return box
    }

    /// The id of the sandbox's first (oldest) run.
    func firstRun(_ box: Sandbox) throws -> String {
        let runs = try JSONSerialization.jsonObject(with: Data(try box.lab("ls", "--json").output.utf8)) as? [[String: Any]] ?? []
        return runs.last?["id"] as? String ?? "?"
    }

    /// The honest --explain: a hit never "changed", and a miss is explained against the
    /// closest cached entry of the step, not against whichever run was last.
    @Test func explainComparesAgainstTheClosestEntryAndAHitNeverChanged() throws {
        let box = try fresh()
        let first = try firstRun(box)
        #expect(try box.lab("run", "three.swift", "--set", "learningRate=0.2").status == 0)
        let epochs = try box.lab("run", "three.swift", "--set", "epochs=4", "--explain")
        #expect(epochs.output.contains("data    hit   (entry from run \(first))"), "\(epochs.output)")
        #expect(epochs.output.contains("fit     miss  changed against the cached entry of run \(first): config (epochs)\n"),
                "the default-config entry is closer than the latest run's: \(epochs.output)")
        // After a full run, a smoke run's hits say which run made them, and nothing "changed".
        #expect(try box.lab("run", "three.swift", "--smoke").status == 0)
        let smoke = try box.lab("run", "three.swift", "--smoke", "--explain")
        #expect(smoke.output.contains("data    hit   (entry from run ") && !smoke.output.contains("hit   changed"), "\(smoke.output)")
    }

    /// Early cut-off: a step whose input was recomputed but came out byte-identical is not
    /// recomputed; an input that changed re-runs it.
    @Test func aStepWhoseInputsCameOutByteIdenticalIsNotRecomputed() throws {
        let box = try fresh()
        try box.edit("three.swift", replacing: "Tensor.arange(0, Double(ctx.config.size), dtype: .float32)",
                     with: "Tensor.arange(0.0, Double(ctx.config.size), dtype: .float32)")
        let same = try box.lab("run", "three.swift")
        #expect(same.ran == ["data"] && same.cached == ["fit", "report"], "\(same.output)")
        #expect(same.output.contains("fit     inputs byte-identical to those of entry "), "\(same.output)")
        #expect(same.output.contains("report/loss  1.05"), "the cut-off entries' metrics: \(same.output)")
        let changed = try box.lab("run", "three.swift", "--set", "size=4")
        #expect(changed.ran == ["data", "fit", "report"] && changed.output.contains("report/loss  0.45"), "\(changed.output)")
        #expect(try box.lab("run", "three.swift", "--no-cache").ran == ["data", "fit", "report"], "--no-cache cuts nothing off")
    }

    @Test func aDryRunRunsAndRecordsNothing() throws {
        let box = try fresh()
        let before = try box.lab("ls", "--json").output
        let dry = try box.lab("run", "three.swift", "--dry-run", "--set", "size=4")
        #expect(dry.status == 0 && dry.ran.isEmpty && dry.cached.isEmpty, "\(dry.output)")
        #expect(dry.output.contains("data    miss  changed against the cached entry of run \(try firstRun(box)): config (size)"), "\(dry.output)")
        #expect(dry.output.contains("dry run: no step ran; nothing was recorded"), "\(dry.output)")
        #expect(try box.lab("ls", "--json").output == before, "no run recorded")
        #expect(try box.lab("run", "three.swift", "--dry-run", "--seeds", "2").status != 0, "one run's lookups only")
    }

    @Test func unchangedRunIsAFullCacheHit() throws {
        let box = try fresh()
        let again = try box.lab("run", "three.swift")
        #expect(again.status == 0)
        #expect(again.cached == ["data", "fit", "report"] && again.ran.isEmpty, "\(again.output)")
        #expect(again.output.contains("report/loss  1.05"), "metrics are restored from the cache: \(again.output)")
    }

    @Test func editingProseCommentsAndLayoutRerunsNothing() throws {
        let box = try fresh()
        try box.edit("three.swift", replacing: "Prose that tests edit.", with: "Prose, edited.\n//: Another line.")
        try box.edit("three.swift", replacing: "// a comment inside the step", with: "// another comment\n\n")
        try box.edit("three.swift", replacing: "var w = 0.0", with: "var w   =   0.0")
        let again = try box.lab("run", "three.swift")
        #expect(again.ran.isEmpty && again.cached.count == 3, "\(again.output)")
    }

    @Test func editingOnlyTheEvalStepRerunsOnlyIt() throws {
        let box = try fresh()
        try box.edit("three.swift", replacing: "ctx.metric(\"loss\", fit.loss)", with: "ctx.metric(\"loss\", fit.loss * 2)")
        let again = try box.lab("run", "three.swift", "--explain")
        #expect(again.ran == ["report"] && again.cached == ["data", "fit"], "\(again.output)")
        #expect(again.output.contains("report  miss  changed against the cached entry of run \(try firstRun(box)): source (this step's own code)"), "\(again.output)")
    }

    @Test func changingAConfigFieldRerunsItsReadersAndWhatFollows() throws {
        let box = try fresh()
        let lr = try box.lab("run", "three.swift", "--set", "learningRate=0.2", "--explain")
        #expect(lr.ran == ["fit", "report"] && lr.cached == ["data"], "\(lr.output)")
        #expect(lr.output.contains("fit     miss  changed against the cached entry of run \(try firstRun(box)): config (learningRate)"), "\(lr.output)")
        #expect(lr.output.contains("report  miss  changed against the cached entry of run \(try firstRun(box)): upstream (fit)"), "\(lr.output)")
        let size = try box.lab("run", "three.swift", "--set", "size=4")
        #expect(size.ran == ["data", "fit", "report"], "\(size.output)")
        // Back to the defaults: everything was cached before.
        let back = try box.lab("run", "three.swift")
        #expect(back.ran.isEmpty, "\(back.output)")
    }

    @Test func aLibraryChangeRerunsEverything() throws {
        let box = try fresh()
        let binary = try FileManager.default.contentsOfDirectory(atPath: box.root.appendingPathComponent(".lab/bin").path)
            .first { $0.hasPrefix("three-") }!
        let path = box.root.appendingPathComponent(".lab/bin/\(binary)").path
        let same = try box.run(path, ["run"], environment: ["LAB_FINGERPRINT": try fingerprintOfLastRun(box)])
        #expect(same.ran.isEmpty, "same fingerprint: all cached. \(same.output)")
        let changed = try box.run(path, ["run", "--explain"], environment: ["LAB_FINGERPRINT": "another library"])
        #expect(changed.ran == ["data", "fit", "report"], "\(changed.output)")
        #expect(changed.output.contains(": library (Lab or libtorch changed)"), "\(changed.output)")
    }

    func fingerprintOfLastRun(_ box: Sandbox) throws -> String {
        let json = try box.lab("ls", "--json").output
        let runs = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [[String: Any]]
        let show = try box.lab("show", runs[0]["id"] as! String, "--json").output
        let detail = try JSONSerialization.jsonObject(with: Data(show.utf8)) as! [String: Any]
        let env = (detail["run"] as! [String: Any])["environment"] as! String
        let info = try JSONSerialization.jsonObject(with: Data(env.utf8)) as! [String: Any]
        return info["library_fingerprint"] as! String
    }

    @Test func aSweepGathersItsStepsInOrderAndCachesEachOne() throws {
        let box = try Sandbox()
        try box.write("sweep.swift", """
        import Lab

        struct Config: ExperimentConfig { var base = 10.0 }
        struct Fit: Codable { var rate: Double; var loss: Double }

        let experiment = Experiment("sweep", config: Config()) { lab in
            let data = lab.data("data") { ctx in Tensor([1.0, 2.0, 3.0]) }
            var fits: [Step<Fit>] = []
            for rate in [1.0, 2.0, 4.0] {
                fits.append(lab.step("fit-\\(Int(rate))", data) { ctx, x in
                    Fit(rate: rate, loss: ctx.config.base + rate * x.sum().item())
                })
            }
            lab.eval("table", fits) { ctx, fits in
                ctx.metric("order", fits.map(\\.rate).reduce(0) { 10 * $0 + $1 })
                ctx.metric("total", fits.map(\\.loss).reduce(0, +))
            }
        }

        Lab.main(experiment)
        """)
        try box.commitAll()
        let first = try box.lab("run", "sweep.swift")
        #expect(first.status == 0, "\(first.output)")
        #expect(first.ran == ["data", "fit-1", "fit-2", "fit-4", "table"], "\(first.output)")
        #expect(first.output.contains("table/order  124"), "inputs arrive in the order given: \(first.output)")
        #expect(first.output.contains("table/total  72"), "10+6 + 10+12 + 10+24: \(first.output)")
        try box.edit("sweep.swift", replacing: "reduce(0, +))", with: "reduce(0, +) / 3)")
        let edited = try box.lab("run", "sweep.swift")
        #expect(edited.ran == ["table"] && edited.cached == ["data", "fit-1", "fit-2", "fit-4"], "\(edited.output)")
        #expect(edited.output.contains("table/total  24"), "\(edited.output)")
    }

    @Test func aConfigFieldReadInAHelperRerunsTheStepsThatMayCallIt() throws {
        let box = try Sandbox()
        try box.write("helper.swift", """
        import Lab

        struct Config: ExperimentConfig { var factor = 2.0; var size = 3 }

        /// Reads the config where the step's own source does not show it.
        func scaled(_ ctx: Context<Config>, _ x: Double) -> Double { x * ctx.config.factor }

        let experiment = Experiment("helper", config: Config()) { lab in
            let data = lab.data("data") { ctx in Double(ctx.config.size) }
            lab.eval("scale", data) { ctx, x in ctx.metric("value", scaled(ctx, x)) }
        }

        Lab.main(experiment)
        """)
        try box.commitAll()
        let first = try box.lab("run", "helper.swift")
        #expect(first.status == 0 && first.output.contains("scale/value  6"), "\(first.output)")
        let changed = try box.lab("run", "helper.swift", "--set", "factor=5", "--explain")
        #expect(changed.ran.contains("scale"), "\(changed.output)")
        #expect(changed.output.contains("scale/value  15"), "not a stale hit: \(changed.output)")
        #expect(changed.output.contains(": config (factor)"), "\(changed.output)")
    }

    @Test func noCacheRunsEverything() throws {
        let box = try fresh()
        let again = try box.lab("run", "three.swift", "--no-cache")
        #expect(again.ran == ["data", "fit", "report"], "\(again.output)")
    }

    @Test func corruptEntryIsEvictedAndRecomputed() throws {
        let box = try fresh()
        let objects = box.root.appendingPathComponent(".lab/cache/objects")
        let files = FileManager.default.enumerator(at: objects, includingPropertiesForKeys: nil)!.compactMap { $0 as? URL }
        let tensors = try #require(files.first { $0.lastPathComponent == "tensors.safetensors" })
        let data = try Data(contentsOf: tensors)
        try data.dropLast(8).write(to: tensors)
        let again = try box.lab("run", "three.swift")
        #expect(again.status == 0)
        #expect(again.output.contains("cache entry corrupt (tensors.safetensors: \(data.count - 8) bytes, manifest says \(data.count))"), "\(again.output)")
        #expect(again.ran.contains("data"), "\(again.output)")
        let third = try box.lab("run", "three.swift")
        #expect(third.ran.isEmpty, "the recomputed entry is used afterwards: \(third.output)")
    }

    @Test func badConfigOverridesFailBeforeAnythingRuns() throws {
        let box = try fresh()
        let unknown = try box.lab("run", "three.swift", "--set", "learningrate=0.2")
        #expect(unknown.status == 2)
        #expect(unknown.output.contains("unknown config key 'learningrate'. Did you mean 'learningRate'? Valid keys: size (Int), learningRate (Double), epochs (Int)"), "\(unknown.output)")
        let wrongType = try box.lab("run", "three.swift", "--set", "epochs=three")
        #expect(wrongType.status == 2)
        #expect(wrongType.output.contains("config key 'epochs' takes a value of type Int; 'three' is not one"), "\(wrongType.output)")
        let runs = try box.lab("ls", "--json").output
        #expect((try JSONSerialization.jsonObject(with: Data(runs.utf8)) as! [Any]).count == 1, "no run recorded for bad arguments")
    }

    @Test func compileErrorsComeThroughWithFileAndLine() throws {
        let box = try Sandbox()
        try box.write("broken.swift", threeSteps.replacingOccurrences(of: "w += ctx.config.learningRate", with: "w += ctx.config.learningRat"))
        let result = try box.lab("run", "broken.swift")
        #expect(result.status != 0)
        #expect(result.output.contains("broken.swift:25:29: error: value of type 'Config' has no member 'learningRat'"), "\(result.output)")
        // The excerpt is the offending line itself, not one numbered by the compiled file.
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        let at = lines.firstIndex { $0.contains("broken.swift:25:29: error") }
        #expect(at.map { lines[$0 + 1].contains("w += ctx.config.learningRat") } == true, "\(result.output)")
        #expect(!lines.contains { $0.range(of: #"^\s*[0-9]+ \|"#, options: .regularExpression) != nil },
                "no excerpt gutter numbered by the compiled file: \(result.output)")
    }

    @Test func aFailingStepFailsTheRunAndTheNextRunResumesThere() throws {
        let box = try fresh()
        try box.edit("three.swift", replacing: "ctx.metric(\"loss\", fit.loss)",
                     with: "ctx.metric(\"loss\", fit.loss)\n        _ = Tensor.ones([2, 3]).matmul(Tensor.ones([4, 5]))")
        let failed = try box.lab("run", "three.swift")
        #expect(failed.status == 1)
        #expect(failed.output.contains("✗ report  failed at three.swift:31: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
                "\(failed.output)")
        let ls = try box.lab("ls").output
        #expect(ls.contains("failed"), "\(ls)")
        let show = try box.lab("show", failed.runId!).output
        #expect(show.contains("status      failed at step 'report'"), "\(show)")
        try box.edit("three.swift", replacing: "_ = Tensor.ones([2, 3]).matmul(Tensor.ones([4, 5]))",
                     with: "_ = Tensor.ones([2, 3]).matmul(Tensor.ones([3, 5]))")
        let resumed = try box.lab("run", "three.swift")
        #expect(resumed.status == 0 && resumed.cached == ["data", "fit"] && resumed.ran == ["report"], "\(resumed.output)")
    }

    @Test func aNonFiniteLossFailsTheStepNamingTheIteration() throws {
        let box = try Sandbox()
        try box.write("nan.swift", threeSteps.replacingOccurrences(of: "ctx.log(\"w\", w, step: epoch)",
                                                                   with: "if epoch == 2 { w = .nan }\n            try ctx.check(\"loss\", w, iteration: epoch)"))
        let result = try box.lab("run", "nan.swift")
        #expect(result.status == 1)
        #expect(result.output.contains("step 'fit': loss became nan at iteration 2"), "\(result.output)")
    }

    @Test func provenanceMatchesGit() throws {
        let box = try fresh()
        let head = try box.shell("git", "rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let runs = try JSONSerialization.jsonObject(with: Data(try box.lab("ls", "--json").output.utf8)) as! [[String: Any]]
        #expect(runs[0]["commit"] as? String == head)
        #expect(runs[0]["dirty"] as? Bool == false, "the .lab folder does not make the tree dirty")
        // A run right after a run of a clean commit is clean: the first run wrote reports/,
        // which is Lab's own output, not an edit.
        #expect(FileManager.default.fileExists(atPath: box.root.appendingPathComponent("reports/README.md").path))
        let again = try box.lab("run", "three.swift")
        let againRun = (try JSONSerialization.jsonObject(with: Data(try box.lab("show", again.runId!, "--json").output.utf8)) as! [String: Any])["run"] as! [String: Any]
        #expect(againRun["gitDirty"] as? Bool == false, "\(againRun["gitPatch"] ?? "")")
        try box.edit("three.swift", replacing: "Prose that tests edit.", with: "Uncommitted prose.")
        let dirty = try box.lab("run", "three.swift")
        let show = try JSONSerialization.jsonObject(with: Data(try box.lab("show", dirty.runId!, "--json").output.utf8)) as! [String: Any]
        let run = show["run"] as! [String: Any]
        #expect(run["gitDirty"] as? Bool == true)
        #expect((run["gitPatch"] as? String ?? "").contains("+//: Uncommitted prose."))
    }

    @Test func outsideAGitRepositoryItRunsAndSaysSo() throws {
        let box = try Sandbox(git: false)
        try box.write("three.swift", threeSteps)
        let result = try box.lab("run", "three.swift")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("note: not inside a git repository: no commit recorded"), "\(result.output)")
    }
}
