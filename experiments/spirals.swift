import Lab

//: # Two spirals: a first Lab experiment
//: A small network learns to separate two interleaved spirals. The experiment is here to
//: show the shape of a Lab file — prose, a typed config, and typed steps whose outputs are
//: cached — on a task that runs in seconds on a laptop CPU.

struct Config: ExperimentConfig {
    /// Points per spiral.
    var points = 500
    /// Width of the two hidden layers: 64 is ample for two classes in 2-D.
    var hidden = 64
    var steps = 300
    /// AdamW's learning rate; 1e-2 is high but stable for a network this small.
    var learningRate = 1e-2
    /// Standard deviation of the Gaussian noise added to each point.
    var noise = 0.02
}

/// Class k is r·(cos θ, sin θ) with θ = 3πr + kπ, plus noise.
struct Spirals: Codable {
    var x: Tensor   // (2n, 2) float32
    var y: Tensor   // (2n) int64
}

final class MLP: Module {
    let layers: Sequential
    init(hidden: Int) {
        layers = Sequential(Linear(2, hidden), ReLU(), Linear(hidden, hidden), ReLU(), Linear(hidden, 2))
    }
    func callAsFunction(_ x: Tensor) -> Tensor { layers(x) }
}

struct TrainingSummary: Codable {
    var finalLoss: Double
}

let experiment = Experiment("spirals", config: Config()) { lab in
    //: ## Data
    //: Two spirals of `points` points each, with a little Gaussian noise.
    let data = lab.data("spirals") { ctx in
        let n = ctx.smoke ? 100 : ctx.config.points
        let r = Tensor.linspace(0.05, 1, steps: n)                                   // (n)
        let arms = (0..<2).map { k -> Tensor in
            let theta = r * (3 * Double.pi) + Double(k) * Double.pi
            return Tensor.stack([r * theta.cos(), r * theta.sin()], dim: 1)          // (n, 2)
        }
        let x = Tensor.cat(arms) + Tensor.randn([2 * n, 2]) * ctx.config.noise
        let y = Tensor.cat([Tensor.zeros([n], dtype: .int64), Tensor.ones([n], dtype: .int64)])
        return Spirals(x: x, y: y)
    }

    //: ## Training
    //: Full-batch AdamW with a cosine schedule after a short warm-up.
    let model = lab.train("mlp", data, model: { ctx in MLP(hidden: ctx.config.hidden) }) { ctx, model, data in
        // On ctx.device (`lab run --device`): the weights and the points; the weights come back after.
        model.to(ctx.device)
        defer { model.to(.cpu) }
        let (x, y) = (data.x.to(ctx.device), data.y.to(ctx.device))
        let steps = ctx.smoke ? 30 : ctx.config.steps
        let optimizer = AdamW(model.trainableParameters(), learningRate: ctx.config.learningRate)
        let scheduler = LRScheduler(optimizer, schedule: CosineWithWarmup(warmupSteps: steps / 15, totalSteps: steps))
        let progress = ctx.progress("step", total: steps, unit: "step")
        var last = 0.0
        for step in 0..<steps {
            let loss = F.crossEntropy(model(x), y)
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            last = loss.item()
            try ctx.check("loss", last, iteration: step)
            ctx.log("loss", last, step: step)
            progress.update(step + 1)
        }
        ctx.figure("loss", .lines(series: ["loss"], yLabel: "cross-entropy", logScale: true))
        return TrainingSummary(finalLoss: last)
    }

    //: ## Evaluation
    //: Accuracy on the training points, and where the errors fall.
    lab.eval("accuracy", model, data) { ctx, trained, data in
        trained.model.eval()
        let predicted = withNoGrad { trained.model(data.x).argmax(dim: 1) }
        let accuracy = (predicted .== data.y).to(.float32).mean().item()
        ctx.metric("accuracy", accuracy)
        ctx.metric("final_loss", trained.result.finalLoss)
        var confusion = [[Double]](repeating: [0, 0], count: 2)
        for (p, y) in zip(predicted.asArray(Int.self), data.y.asArray(Int.self)) { confusion[y][p] += 1 }
        ctx.figure("confusion", .heatmap(values: confusion, rowLabels: ["arm 0", "arm 1"],
                                          columnLabels: ["predicted 0", "predicted 1"], title: "Confusion matrix"))
    }
}

Lab.main(experiment)
