import Foundation
import Testing

/// A training step written with `Training` (model, optimizer and schedule as one value) and a
/// `DataLoader`, whose model factory sizes the network from its input, followed by a step with
/// five inputs of five types. `RESUME_TEST_STOP_AFTER` makes it sleep after that epoch, where
/// the test kills it.
let trainingLoopExperiment = """
import Foundation
import Lab

struct Config: ExperimentConfig {
    var epochs = 4
}

let stopAfter = Int(ProcessInfo.processInfo.environment["RESUME_TEST_STOP_AFTER"] ?? "") ?? -1

struct Points: Codable { var x: Tensor; var y: Tensor; var classes: Int }
struct Summary: Codable { var loss: Double; var learningRate: Double; var steps: Int }

let experiment = Experiment("resume", config: Config()) { lab in
    let data = lab.data("points") { ctx in
        let x = Tensor.randn([192, 8])
        return Points(x: x, y: (x.sum(dim: 1) .> 0.0).to(.int64) + (x[.all, 0] .> 1.0).to(.int64), classes: 3)
    }
    let fit = lab.train("fit", data, model: { ctx, data in
        Sequential(Linear(8, 16), ReLU(), Dropout(0.2), Linear(16, data.classes))
    }) { ctx, model, data in
        let loader = DataLoader(tensors: [data.x, data.y], batchSize: 48, seed: ctx.seed)
        let training = Training(model, optimizer: AdamW(model.trainableParameters(), learningRate: 1e-2),
                                schedule: CosineWithWarmup(warmupSteps: 3, totalSteps: ctx.config.epochs * loader.batchesPerEpoch))
        model.train()
        var loss = 0.0
        for epoch in try ctx.epochs(ctx.config.epochs, training: training, state: &loss) {
            for batch in loader.epoch(epoch) {
                let l = F.crossEntropy(model(batch[0]), batch[1])
                training.step(l)
                loss = l.item()
            }
            ctx.log("loss", loss, step: training.steps)
            try ctx.finished(epoch: epoch, state: loss)
            print("epoch \\(epoch) done")
            fflush(stdout)
            if epoch == stopAfter { Thread.sleep(forTimeInterval: 120) }
        }
        return Summary(loss: loss, learningRate: training.optimizer.learningRate, steps: training.steps)
    }
    let count = lab.step("count", data) { _, data in data.x.size(0) }
    let name = lab.step("name") { _ in "points" }
    let scale = lab.step("scale") { _ in 0.5 }
    lab.step("final", inputs: fit, count, name, data, scale, kind: .eval) { ctx, fit, count, name, data, scale -> Nothing in
        ctx.metric("loss", fit.result.loss)
        ctx.metric("learning_rate", fit.result.learningRate)
        ctx.metric("steps", Double(fit.result.steps))
        ctx.metric("outputs", Double(fit.model(data.x).size(1)))
        ctx.metric("inputs", Double(count) * scale + Double(name.count))
        return Nothing()
    }
}

Lab.main(experiment)
"""

@Suite(.serialized) struct TrainingLoopTests {
    func metrics(_ box: Sandbox, _ run: String?) throws -> [String: Double] { try ResumeTests().metrics(box, run) }

    /// `Training` is checkpointed whole: a kill after any of the first three epochs resumes
    /// with the same step count and learning rate, and ends as the uninterrupted run. The
    /// factory sized the last layer from the data; on a cache hit it is rebuilt the same.
    @Test func aKilledTrainingResumesItsScheduleAndAFactorySeesItsInput() throws {
        let box = try Sandbox()
        try box.write("resume.swift", trainingLoopExperiment)
        try box.commitAll()
        let reference = try box.lab("run", "resume.swift")
        #expect(reference.status == 0, "\(reference.output)")
        let expected = try metrics(box, reference.runId)
        #expect(expected["final/steps"] == 16 && expected["final/outputs"] == 3 && expected["final/inputs"] == 96 + 6, "\(expected)")
        #expect(expected["final/learning_rate"].map { $0 < 1e-4 } == true, "the cosine schedule ends near zero: \(expected)")

        // A cache hit rebuilds the network through the factory (which reads the data) and loads its weights.
        try box.write("resume.swift", trainingLoopExperiment.replacingOccurrences(of: "ctx.metric(\"loss\", fit.result.loss)",
                                                                               with: "ctx.metric(\"loss\", fit.result.loss + 0)"))
        let hit = try box.lab("run", "resume.swift")
        #expect(hit.status == 0 && hit.cached.contains("fit") && !hit.cached.contains("final"), "\(hit.output)")
        #expect(try metrics(box, hit.runId) == expected, "\(hit.output)")
        try box.write("resume.swift", trainingLoopExperiment)

        for k in 0..<3 {
            try ResumeTests().clearCaches(box)
            _ = try ResumeTests().kill(box, afterEpoch: k)
            let resumed = try box.lab("run", "resume.swift")
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(resumed.output.contains("[fit] resuming after epoch \(k + 1) from its checkpoint"), "\(resumed.output)")
            #expect(try metrics(box, resumed.runId) == expected, "kill after epoch \(k): \(resumed.output)")
        }
    }

    /// The older form, `ctx.epochs(n, checkpointing: model, optimizer, …)`, with the scheduler
    /// left out, as two shipped experiments once did: the scheduler made for that optimizer is
    /// checkpointed anyway, so the warm-up does not restart on a resume.
    @Test func aSchedulerLeftOutOfEpochsIsCheckpointedAnyway() throws {
        let box = try Sandbox()
        let source = trainingLoopExperiment
            .replacingOccurrences(of: "let training = Training(model, optimizer: AdamW(model.trainableParameters(), learningRate: 1e-2),",
                                  with: "let optimizer = AdamW(model.trainableParameters(), learningRate: 1e-2); var steps = 0")
            .replacingOccurrences(of: "schedule: CosineWithWarmup(warmupSteps: 3,",
                                  with: "let scheduler = LRScheduler(optimizer, schedule: CosineWithWarmup(warmupSteps: 3,")
            .replacingOccurrences(of: "for epoch in try ctx.epochs(ctx.config.epochs, training: training, state: &loss) {",
                                  with: "for epoch in try ctx.epochs(ctx.config.epochs, checkpointing: model, optimizer, state: &loss, &steps) {")
            .replacingOccurrences(of: "training.step(l)", with: "optimizer.zeroGrad(); l.backward(); optimizer.step(); scheduler.step(); steps += 1")
            .replacingOccurrences(of: "try ctx.finished(epoch: epoch, state: loss)", with: "try ctx.finished(epoch: epoch, state: loss, steps)")
            .replacingOccurrences(of: "step: training.steps", with: "step: steps")
            .replacingOccurrences(of: "learningRate: training.optimizer.learningRate, steps: training.steps",
                                  with: "learningRate: optimizer.learningRate, steps: steps")
        #expect(!source.contains("Training(") && source.contains("scheduler.step()"))
        try box.write("resume.swift", source)
        try box.commitAll()
        let reference = try box.lab("run", "resume.swift")
        #expect(reference.status == 0, "\(reference.output)")
        let expected = try metrics(box, reference.runId)
        try ResumeTests().clearCaches(box)
        _ = try ResumeTests().kill(box, afterEpoch: 1)
        let resumed = try box.lab("run", "resume.swift")
        #expect(resumed.status == 0 && resumed.output.contains("resuming after epoch 2"), "\(resumed.output)")
        #expect(try metrics(box, resumed.runId) == expected, "\(resumed.output)")
    }

    /// `ctx.epochs` in a step that is not a training step is an error naming the step and the fix.
    @Test func epochsOutsideATrainingStepIsAnError() throws {
        let box = try Sandbox()
        try box.write("loop.swift", """
            import Lab
            struct Config: ExperimentConfig {}
            let experiment = Experiment("loop", config: Config()) { lab in
                lab.step("summarize", kind: .eval) { ctx -> Int in
                    let model = Linear(2, 2)
                    var total = 0
                    for epoch in try ctx.epochs(3, checkpointing: model, state: &total) { total += epoch }
                    return total
                }
            }
            Lab.main(experiment)
            """)
        try box.commitAll()
        let run = try box.lab("run", "loop.swift")
        #expect(run.status != 0, "\(run.output)")
        #expect(run.output.contains("step 'summarize' calls ctx.epochs or ctx.finished, but it is not a training step (its kind is eval)"),
                "\(run.output)")
    }
}
