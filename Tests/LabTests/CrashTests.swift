import Foundation
import Testing

/// A training step that checkpoints every epoch and takes a while per epoch.
let slowTraining = """
import Foundation
import Lab

struct Config: ExperimentConfig {
    var epochs = 6
    var pause = 0.4
}

struct Points: Codable { var x: Tensor; var y: Tensor }
struct Summary: Codable { var loss: Double }

let experiment = Experiment("slow", config: Config()) { lab in
    let data = lab.data("points") { ctx in
        let x = Tensor.randn([64, 4])
        return Points(x: x, y: x.sum(dim: 1, keepDim: true))
    }
    let model = lab.train("fit", data, model: { _ in Linear(4, 1) }) { ctx, model, data in
        let optimizer = SGD(model.trainableParameters(), learningRate: 0.05)
        var loss = 0.0
        for epoch in try ctx.epochs(ctx.config.epochs, checkpointing: model, optimizer, state: &loss) {
            let l = F.mseLoss(model(data.x), data.y)
            optimizer.zeroGrad()
            l.backward()
            optimizer.step()
            loss = l.item()
            ctx.log("loss", loss, step: epoch)
            try ctx.finished(epoch: epoch, state: loss)
            print("epoch \\(epoch) done")
            fflush(stdout)
            Thread.sleep(forTimeInterval: ctx.config.pause)
        }
        return Summary(loss: loss)
    }
    lab.eval("final", model) { ctx, trained in ctx.metric("loss", trained.result.loss) }
}

Lab.main(experiment)
"""

@Suite(.serialized) struct CrashTests {
    /// Starts `lab run slow.swift`, waits until `marker` appears in its output, then sends `signal`.
    func interrupt(_ box: Sandbox, at marker: String, with signal: Int32) throws -> (status: Int32, output: String) {
        let (process, pipe) = try box.start(Sandbox.lab, ["run", "slow.swift"])
        var output = ""
        let handle = pipe.fileHandleForReading
        let deadline = Date().addingTimeInterval(120)
        while !output.contains(marker) && Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            output += String(decoding: chunk, as: UTF8.self)
        }
        #expect(output.contains(marker), "never saw '\(marker)': \(output)")
        kill(process.processIdentifier, signal)
        output += String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test func killedRunIsShownCrashedAndTheRerunResumesFromTheCheckpoint() throws {
        let box = try Sandbox()
        try box.write("slow.swift", slowTraining)
        try box.commitAll()
        let killed = try interrupt(box, at: "epoch 2 done", with: SIGKILL)
        #expect(killed.status != 0)
        let ls = try box.lab("ls").output
        #expect(ls.contains("crashed"), "a killed run is shown as crashed: \(ls)")
        let integrity = try box.shell("sqlite3", ".lab/lab.sqlite", "pragma integrity_check")
        #expect(integrity.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")

        let resumed = try box.lab("run", "slow.swift")   // the same key: a changed config would not resume
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.cached == ["points"], "the data step finished before the crash: \(resumed.output)")
        // The kill lands after epoch 2's checkpoint, or (on a slow machine) a little later.
        #expect((3...5).contains { resumed.output.contains("[fit] resuming after epoch \($0) from its checkpoint") },
                "\(resumed.output)")
        #expect(!resumed.output.contains("epoch 0 done"), "epochs before the checkpoint are not run again: \(resumed.output)")
        #expect(resumed.output.contains("epoch 5 done"))
    }

    @Test func ctrlCMarksTheRunInterrupted() throws {
        let box = try Sandbox()
        try box.write("slow.swift", slowTraining)
        let interrupted = try interrupt(box, at: "epoch 1 done", with: SIGINT)
        #expect(interrupted.status == 130, "\(interrupted.output)")
        #expect(interrupted.output.contains("interrupted; finished steps are cached"), "\(interrupted.output)")
        let runs = try JSONSerialization.jsonObject(with: Data(try box.lab("ls", "--json").output.utf8)) as! [[String: Any]]
        #expect(runs.first?["status"] as? String == "interrupted")
    }

    @Test func twoRunsAtOnceBothFinishAndCorruptNothing() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        try box.commitAll()
        let a = try box.start(Sandbox.lab, ["run", "three.swift"])
        let b = try box.start(Sandbox.lab, ["run", "three.swift"])
        let outA = String(decoding: a.1.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let outB = String(decoding: b.1.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        a.0.waitUntilExit(); b.0.waitUntilExit()
        #expect(a.0.terminationStatus == 0, "\(outA)")
        #expect(b.0.terminationStatus == 0, "\(outB)")
        let integrity = try box.shell("sqlite3", ".lab/lab.sqlite", "pragma integrity_check")
        #expect(integrity.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
        let verify = try box.lab("cache", "verify")
        #expect(verify.status == 0 && verify.output.contains("all entries verified"), "\(verify.output)")
        let third = try box.lab("run", "three.swift")
        #expect(third.ran.isEmpty, "\(third.output)")
        let runs = try JSONSerialization.jsonObject(with: Data(try box.lab("ls", "--json").output.utf8)) as! [[String: Any]]
        #expect(runs.count == 3 && runs.allSatisfy { $0["status"] as? String == "succeeded" })
    }

    @Test func cacheCommandsListMeasureAndCollect() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        #expect(try box.lab("run", "three.swift").status == 0)
        #expect(try box.lab("run", "three.swift", "--set", "epochs=5").status == 0)
        let ls = try box.lab("cache", "ls").output
        #expect(ls.split(separator: "\n").count == 1 + 5, "data, fit ×2, report ×2: \(ls)")
        let du = try box.lab("cache", "du").output
        #expect(du.contains("three/fit") && du.contains("total"), "\(du)")
        let gc = try box.lab("cache", "gc", "--keep-last", "1").output
        #expect(gc.contains("removed 2 entries"), "the older fit and report go; the latest run's keys stay: \(gc)")
        let again = try box.lab("run", "three.swift", "--set", "epochs=5")
        #expect(again.ran.isEmpty, "\(again.output)")
    }
}
