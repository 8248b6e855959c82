import Foundation
import Testing

/// A checkpointed training step with randomness in every epoch (a new `randperm` order and
/// dropout), an LR schedule, a value carried across epochs and a loss curve: after a kill at
/// any epoch boundary, the resumed run must end bit for bit as an uninterrupted one.
let resumableTraining = """
import Foundation
import Lab

struct Config: ExperimentConfig {
    var epochs = 5
}

// Set by the tests, not in the config (so the step's key stays the same): a pause after
// every epoch, and a long sleep after one epoch, where a kill lands.
let environment = ProcessInfo.processInfo.environment
let pause = Double(environment["RESUME_TEST_PAUSE"] ?? "") ?? 0
let stopAfter = Int(environment["RESUME_TEST_STOP_AFTER"] ?? "") ?? -1

struct Points: Codable { var x: Tensor; var y: Tensor }
struct Summary: Codable { var loss: Double; var draws: Double }

func weightSum(_ m: Module) -> Double {
    var s = 0.0
    for (_, v) in m.stateDict().sorted(by: { $0.key < $1.key }) { s += v.to(.float64).abs().sum().item() }
    return s
}

let experiment = Experiment("resume", config: Config()) { lab in
    let data = lab.data("points") { ctx in
        let x = Tensor.randn([256, 8])
        return Points(x: x, y: (x.sum(dim: 1) .> 0.0).to(.int64))
    }
    let fit = lab.train("fit", data, model: { _ in
        Sequential(Linear(8, 32), ReLU(), Dropout(0.2), Linear(32, 2))
    }) { ctx, model, data in
        let optimizer = AdamW(model.trainableParameters(), learningRate: 1e-2)
        let scheduler = LRScheduler(optimizer, schedule: CosineWithWarmup(warmupSteps: 3, totalSteps: ctx.config.epochs * 4))
        model.train()
        var loss = 0.0, draws = 0.0
        for epoch in try ctx.epochs(ctx.config.epochs, checkpointing: model, optimizer, scheduler: scheduler, state: &loss, &draws) {
            let order = Ops.call("aten::randperm", [.int(256)]).tensor(0)
            draws += order[0..<1].to(.float64).sum().item()
            for b in 0..<4 {
                let index = order[(b * 64)..<((b + 1) * 64)]
                let l = F.crossEntropy(model(data.x.indexSelect(dim: 0, index: index)), data.y.indexSelect(dim: 0, index: index))
                optimizer.zeroGrad(); l.backward(); optimizer.step(); scheduler.step()
                loss = l.item()
            }
            ctx.log("loss", loss, step: epoch)
            try ctx.finished(epoch: epoch, state: loss, draws)
            print("epoch \\(epoch) done")
            fflush(stdout)
            Thread.sleep(forTimeInterval: epoch == stopAfter ? 120 : pause)
        }
        return Summary(loss: loss, draws: draws)
    }
    lab.eval("final", fit) { ctx, fit in
        ctx.metric("loss", fit.result.loss)
        ctx.metric("draws", fit.result.draws)
        ctx.metric("wsum", weightSum(fit.model))
    }
}

Lab.main(experiment)
"""

@Suite(.serialized) struct ResumeTests {
    /// Starts `lab run resume.swift`, waits until `epoch` is done, SIGKILLs it; returns its output.
    func kill(_ box: Sandbox, afterEpoch epoch: Int) throws -> String {
        let marker = "epoch \(epoch) done"
        let (process, pipe) = try box.start(Sandbox.lab, ["run", "resume.swift"], environment: ["RESUME_TEST_STOP_AFTER": "\(epoch)"])
        var output = ""
        let handle = pipe.fileHandleForReading
        let deadline = Date().addingTimeInterval(240)
        while !output.contains(marker) && Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            output += String(decoding: chunk, as: UTF8.self)
        }
        #expect(output.contains(marker), "never saw '\(marker)': \(output)")
        Foundation.kill(process.processIdentifier, SIGKILL)
        output += String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        _ = Sandbox.wait(process)
        return output
    }

    /// The metrics of a run, exactly (JSON numbers round-trip doubles).
    func metrics(_ box: Sandbox, _ run: String?) throws -> [String: Double] {
        let json = try box.lab("show", run ?? "", "--json").output
        let detail = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        return (detail["metrics"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }

    /// The logged series of a run in the store: "step/name x value" lines.
    func series(_ box: Sandbox, _ run: String?) throws -> String {
        try box.shell("sqlite3", ".lab/lab.sqlite", """
            select s.step, s.name, p.x, printf('%.15e', p.value) from metric_series s join metric_points p on p.series_id = s.id
            where s.run_id = '\(run ?? "")' order by s.step, s.name, p.x
            """)
    }

    /// The files of the committed cache entry of step `step` (name → bytes), manifest excluded.
    func entry(_ box: Sandbox, step: String) throws -> [String: Data] {
        let objects = box.root.appendingPathComponent(".lab/cache/objects")
        let fm = FileManager.default
        for shard in try fm.contentsOfDirectory(atPath: objects.path) {
            for key in try fm.contentsOfDirectory(atPath: objects.appendingPathComponent(shard).path) {
                let folder = objects.appendingPathComponent(shard).appendingPathComponent(key)
                let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as! [String: Any]
                guard manifest["step"] as? String == step else { continue }
                var files: [String: Data] = [:]
                for name in try fm.contentsOfDirectory(atPath: folder.path) where name != "manifest.json" {
                    files[name] = try Data(contentsOf: folder.appendingPathComponent(name))
                }
                return files
            }
        }
        return [:]
    }

    func clearCaches(_ box: Sandbox) throws {
        for folder in [".lab/cache", ".lab/checkpoints"] {
            try? FileManager.default.removeItem(at: box.root.appendingPathComponent(folder))
        }
    }

    @Test func aKillAfterAnyEpochResumesToTheUninterruptedResult() throws {
        let box = try Sandbox()
        try box.write("resume.swift", resumableTraining)
        try box.commitAll()
        let reference = try box.lab("run", "resume.swift")
        #expect(reference.status == 0, "\(reference.output)")
        let referenceMetrics = try metrics(box, reference.runId)
        let referenceSeries = try series(box, reference.runId)
        let referenceEntry = try entry(box, step: "fit")
        #expect(referenceMetrics.count == 3 && referenceSeries.split(separator: "\n").count == 5, "\(referenceSeries)")
        #expect(referenceEntry["recording.json"] != nil && referenceEntry["tensors.safetensors"] != nil)

        for k in 0..<5 {
            try clearCaches(box)
            _ = try kill(box, afterEpoch: k)
            let resumed = try box.lab("run", "resume.swift")
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(resumed.output.contains("[fit] resuming after epoch \(k + 1) from its checkpoint"), "kill after epoch \(k): \(resumed.output)")
            #expect(try metrics(box, resumed.runId) == referenceMetrics, "kill after epoch \(k): \(resumed.output)")
            #expect(try series(box, resumed.runId) == referenceSeries, "kill after epoch \(k): the whole loss curve")
            #expect(try entry(box, step: "fit") == referenceEntry, "kill after epoch \(k): the cached output, byte for byte")
        }
    }

    @Test func aSecondRunWaitsForTheFirstInsteadOfAdoptingItsCheckpoint() throws {
        let box = try Sandbox()
        try box.write("resume.swift", resumableTraining)
        try box.commitAll()
        let reference = try box.lab("run", "resume.swift", "--no-cache")
        #expect(reference.status == 0, "\(reference.output)")
        let referenceMetrics = try metrics(box, reference.runId)
        try clearCaches(box)

        let first = try box.start(Sandbox.lab, ["run", "resume.swift"], environment: ["RESUME_TEST_PAUSE": "1"])
        var early = ""
        while !early.contains("epoch 1 done") {
            let chunk = first.1.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            early += String(decoding: chunk, as: UTF8.self)
        }
        let second = try box.lab("run", "resume.swift")
        let rest = String(decoding: first.1.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(Sandbox.wait(first.0) == 0, "\(early + rest)")
        #expect(second.status == 0, "\(second.output)")
        #expect(!second.output.contains("resuming"), "the live checkpoint is the first run's: \(second.output)")
        #expect(second.output.contains("another run is computing this step"), "\(second.output)")
        #expect(second.cached.contains("fit"), "the second run takes the first one's entry: \(second.output)")
        let firstId = (early + rest).split(separator: "\n").first { $0.hasPrefix("run ") }.map { String($0.split(separator: " ")[1]) }
        #expect(try metrics(box, firstId) == referenceMetrics)
        #expect(try metrics(box, second.runId) == referenceMetrics)
    }

    @Test func aDamagedCheckpointIsDiscardedWithAWarningAndTheStepStartsOver() throws {
        let box = try Sandbox()
        try box.write("resume.swift", resumableTraining)
        try box.commitAll()
        let reference = try box.lab("run", "resume.swift")
        let referenceMetrics = try metrics(box, reference.runId)
        try clearCaches(box)
        _ = try kill(box, afterEpoch: 2)

        let checkpoints = box.root.appendingPathComponent(".lab/checkpoints")
        let key = try FileManager.default.contentsOfDirectory(atPath: checkpoints.path).first { !$0.hasSuffix(".lock") }!
        let folder = checkpoints.appendingPathComponent(key)
        let file = try FileManager.default.contentsOfDirectory(atPath: folder.path).first { $0.hasSuffix(".safetensors") }!
        var bytes = try Data(contentsOf: folder.appendingPathComponent(file))
        bytes[bytes.count - 100] ^= 0x10          // one bit in the data, the header stays valid
        try bytes.write(to: folder.appendingPathComponent(file))

        let verify = try box.lab("cache", "verify")
        #expect(verify.status == 1 && verify.output.contains("removed checkpoint \(key.prefix(16)): \(file): SHA-256"), "\(verify.output)")

        _ = try kill(box, afterEpoch: 2)
        var again = try Data(contentsOf: folder.appendingPathComponent("epoch-2.safetensors"))
        again.removeLast(again.count / 2)           // truncated
        try again.write(to: folder.appendingPathComponent("epoch-2.safetensors"))
        let rerun = try box.lab("run", "resume.swift")
        #expect(rerun.status == 0, "\(rerun.output)")
        #expect(rerun.output.contains("! [fit] checkpoint '") && rerun.output.contains("/\(key)/epoch-2.safetensors' is damaged (epoch-2.safetensors:"),
                "\(rerun.output)")
        #expect(rerun.output.contains("discarded, starting the step over") && !rerun.output.contains("resuming"), "\(rerun.output)")
        #expect(try metrics(box, rerun.runId) == referenceMetrics)
    }

    @Test func stepOutputsAreWrittenByteForByteTheSameEveryTime() throws {
        let box = try Sandbox()
        try box.write("dict.swift", """
            import Lab
            struct Config: ExperimentConfig { var n = 3 }
            let experiment = Experiment("dict", config: Config()) { lab in
                lab.data("tensors") { ctx -> [String: Tensor] in
                    var out: [String: Tensor] = [:]
                    for name in ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"] {
                        out[name] = Tensor.arange(0, Double(ctx.config.n + name.count), dtype: .float32)
                    }
                    return out
                }
            }
            Lab.main(experiment)
            """)
        var seen: [[String: Data]] = []
        for _ in 0..<3 {
            try? FileManager.default.removeItem(at: box.root.appendingPathComponent(".lab/cache"))
            let run = try box.lab("run", "dict.swift")
            #expect(run.status == 0, "\(run.output)")
            seen.append(try entry(box, step: "tensors"))
        }
        #expect(seen[0]["tensors.safetensors"] != nil)
        #expect(seen[1] == seen[0] && seen[2] == seen[0], "tensor names must not follow dictionary order")
    }

    @Test func gcRemovesStaleCompilerTemporariesAndOldBinaries() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        #expect(try box.lab("run", "three.swift").status == 0)
        let bin = box.root.appendingPathComponent(".lab/bin")
        let fm = FileManager.default
        let built = try fm.contentsOfDirectory(atPath: bin.path)
        #expect(built.count == 1, "\(built)")
        try Data("partial".utf8).write(to: bin.appendingPathComponent(".three-2147483646.tmp"))   // its compiler is gone
        for i in 0..<4 {
            let old = bin.appendingPathComponent("three-\(String(repeating: "\(i)", count: 16))")
            try Data("old".utf8).write(to: old)
            try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: Double(-3600 * (i + 1)))], ofItemAtPath: old.path)
        }
        let gc = try box.lab("cache", "gc")
        #expect(gc.status == 0, "\(gc.output)")
        let left = Set(try fm.contentsOfDirectory(atPath: bin.path))
        #expect(left == Set(built + ["three-0000000000000000", "three-1111111111111111"]), "the 3 newest binaries stay: \(left)")
        #expect(try box.lab("run", "three.swift").ran.isEmpty)
    }

    @Test func anEntryThatDoesNotDecodeIsEvictedAndBlamedOnItsStep() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        #expect(try box.lab("run", "three.swift").status == 0)
        // A manifest-consistent entry whose output no longer decodes: `data` loses its tensors.
        let objects = box.root.appendingPathComponent(".lab/cache/objects")
        let fm = FileManager.default
        for shard in try fm.contentsOfDirectory(atPath: objects.path) {
            for key in try fm.contentsOfDirectory(atPath: objects.appendingPathComponent(shard).path) {
                let folder = objects.appendingPathComponent(shard).appendingPathComponent(key)
                let manifestURL = folder.appendingPathComponent("manifest.json")
                var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: manifestURL)) as! [String: Any]
                switch manifest["step"] as? String {
                case "data":
                    try fm.removeItem(at: folder.appendingPathComponent("tensors.safetensors"))
                    var files = manifest["files"] as! [String: Any]
                    files["tensors.safetensors"] = nil
                    manifest["files"] = files
                    try JSONSerialization.data(withJSONObject: manifest).write(to: manifestURL)
                case "fit": try fm.removeItem(at: folder)
                default: break
                }
            }
        }
        #expect(try box.lab("cache", "verify").output.contains("all entries verified"))
        let run = try box.lab("run", "three.swift")
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("! data") && run.output.contains("cache entry cannot be decoded"), "\(run.output)")
        #expect(run.ran.contains("data") && run.ran.contains("fit"), "\(run.output)")
        #expect(try box.lab("run", "three.swift").ran.isEmpty, "the recomputed entry is a hit next time")
    }

    @Test func aSwiftTrapInAStepNamesTheStepAndMarksTheRunCrashedThere() throws {
        let box = try Sandbox()
        try box.write("trap.swift", """
            import Lab
            struct Config: ExperimentConfig { var divisor = 0 }
            let experiment = Experiment("trap", config: Config()) { lab in
                let data = lab.data("data") { ctx -> [Int] in [6, 7] }
                lab.step("work", data) { ctx, x -> Int in
                    x[0] / ctx.config.divisor
                }
            }
            Lab.main(experiment)
            """)
        let crashed = try box.lab("run", "trap.swift")
        #expect(crashed.status == SIGILL || crashed.status == SIGTRAP, "\(crashed.output)")
        #expect(crashed.output.contains("Division by zero"), "the runtime's own message stays: \(crashed.output)")
        #expect(crashed.output.contains("✗ work  crashed at trap.swift:5 (SIG"), "\(crashed.output)")
        #expect(!crashed.output.contains("Backtracing"), "no anonymous backtrace: \(crashed.output)")
        let ok = try box.lab("run", "trap.swift", "--set", "divisor=2")
        #expect(ok.status == 0, "\(ok.output)")
        let show = try box.lab("show", crashed.runId ?? "").output
        #expect(show.contains("status      crashed at step 'work'"), "\(show)")
        #expect(show.contains("error       crashed: SIG") && show.contains("(trap.swift:5)"), "\(show)")
    }
}
