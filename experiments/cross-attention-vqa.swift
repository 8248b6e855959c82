import Foundation
import Lab

//: # Cross-modal attention: questions about a picture
//: A question ("is there a bag at the top left?") should look at the part of the image it is
//: about. Cross-modal attention does this directly: the question's embedding is the *query*,
//: the image's patch tokens are the *keys and values*, and the softmax over the keys is a
//: distribution over image positions (Vaswani et al. 2017,
//: [arXiv:1706.03762](https://arxiv.org/abs/1706.03762), §3.2.3; across modalities in
//: ViLBERT, [arXiv:1908.02265](https://arxiv.org/abs/1908.02265), and Flamingo,
//: [arXiv:2204.14198](https://arxiv.org/abs/2204.14198)). Nothing tells the model where
//: "top left" is: it learns it from the answers alone.
//:
//: The images are 2×2 composites of Fashion-MNIST items (64×64, each item padded to a
//: 32×32 quadrant). Two kinds of question, half each: "is there a {class} at the
//: {position}?" (yes or no; half of the false ones name a class that is in the picture,
//: only elsewhere, so the answer needs the position) and "what is at the {position}?"
//: (one of ten classes). One answer head scores all twelve answers.

struct Config: ExperimentConfig {
    /// Training composites per batch; every composite gets `questionsPerImage` questions.
    var batchSize = 32
    /// Questions per training composite: more questions per image is more supervision for the
    /// question side at little cost, since the image encoder dominates the compute.
    var questionsPerImage = 16
    /// Epochs of the image encoder's pretraining on single items.
    var pretrainEpochs = 4
    /// Optimizer steps; each batch is new composites drawn from the 60,000 training items.
    var steps = 1500
    /// Steps between checkpoints (and test-accuracy points on the curve).
    var stepsPerRound = 250
    var learningRate = 2e-3
    var weightDecay = 0.01
    /// Width of the patch tokens, the question embedding and the attention.
    var width = 128
    var heads = 4
    /// Test composites, built once from the 10,000 test items (4 questions each).
    var testComposites = 2500
}

/// The question words for each class (the first synonym: "t-shirt", "trouser", …, "ankle boot").
let classWords = Captions.fashionSynonyms.map { $0[0] }
/// Question length in tokens: "is there an ankle boot at the bottom right?" has 10.
let maxLength = 12

struct VQAData: Codable {
    /// The items training composites are drawn from.
    var train: LabeledImages
    /// The test split's items (for the encoder's pretraining accuracy).
    var testItems: LabeledImages
    /// Fixed test composites (from the test split) and their questions.
    var test: Composites.Set
    var tokenizer: Tokenizer
}

/// The answers' names, in the model's output order, for `lab export` and `lab serve`.
extension VQAData: DescribableLabels {
    var exportLabels: [String] { Composites.answers(classNames: train.classNames) }
}

struct PretrainingSummary: Codable {
    var testAccuracy: Double
}

func accuracy(_ predicted: Tensor, _ set: Composites.Set) -> Double {
    let truth = Tensor(set.questions.flatMap { $0.map { Int64($0.answer) } }, shape: predicted.shape)
    return (predicted .== truth).to(.float32).mean().item()
}

let experiment = Experiment("cross-attention-vqa", config: Config()) { lab in
    lab.regression("evaluate/accuracy", .higherIsBetter, tolerance: 0.01)

    let data = lab.data("composites") { ctx in
        let train = try FashionMNIST.load(.train, limit: ctx.smoke ? 512 : nil)
        let testItems = try FashionMNIST.load(.test, limit: ctx.smoke ? 256 : nil)
        let test = Composites.make(testItems, count: ctx.smoke ? 64 : ctx.config.testComposites, perImage: 4,
                                   classWords: classWords, seed: ctx.seed)
        let answers = Composites.answers(classNames: train.classNames)
        let sample: [[String]] = test.questions[0].map { [$0.text, answers[$0.answer]] }
        ctx.table("questions about the first test composite", Table(columns: ["question", "answer"], rows: sample))
        return VQAData(train: train, testItems: testItems, test: test, tokenizer: Tokenizer(training: Composites.allQuestions(classWords: classWords)))
    }

    //: ## A pretrained image encoder
    //: Vision–language models start from an image encoder trained on images alone (Flamingo
    //: keeps its encoder frozen). Ours is a four-block CNN whose last feature map is a grid of
    //: tokens, pretrained here on single Fashion-MNIST items (the 60,000 training items, padded
    //: to 32×32: a 4×4 grid) by classifying the mean of its tokens. It never sees a composite
    //: or a question. Trained jointly from scratch instead, the model stalls for hundreds of
    //: steps near chance: the attention cannot learn where to look before the tokens say what
    //: is there, and the tokens learn little from uniformly mixed quadrants.
    let encoder = lab.train("pretrain-encoder", data, model: { ctx in
        PatchClassifier(encoder: PatchEncoder(imageSize: 32, channels: [16, 32, 64, 128], pooled: 3, dim: ctx.config.width), classes: 10)
    }) { ctx, model, data -> PretrainingSummary in
        let items = Composites.pad(data.train.images)  // (60000, 1, 32, 32)
        let loader = DataLoader(tensors: [items, data.train.labels], batchSize: 128, seed: ctx.seed, dropLast: true)
        let training = Training(model, optimizer: AdamW(model.trainableParameters(), learningRate: ctx.config.learningRate,
                                                        weightDecay: ctx.config.weightDecay))
        model.train()
        for epoch in try ctx.epochs(ctx.smoke ? 1 : ctx.config.pretrainEpochs, training: training, state: .nothing) {
            for (b, batch) in loader.epoch(epoch).enumerated() {
                let loss = F.crossEntropy(model(batch[0]), batch[1])
                training.step(loss)
                if b % 50 == 0 { ctx.log("pretraining loss", loss.item(), step: training.steps - 1) }
            }
            try ctx.finished(epoch: epoch)
        }
        model.eval()
        let test = Composites.pad(data.testItems.images)
        let logits = withNoGrad { Tensor.cat(test.split(size: 1000).map { model($0) }) }
        let itemAccuracy = accuracy(logits: logits, targets: data.testItems.labels)
        ctx.metric("single_item_test_accuracy", itemAccuracy)
        return PretrainingSummary(testAccuracy: itemAccuracy)
    }

    //: ## Training the question side
    //: The pretrained convolutions and token projection are copied into the composite
    //: encoder (64×64 → an 8×8 grid, a quadrant is 4×4 of its tokens) and frozen; the grid's
    //: position embeddings, the question encoder, the cross-attention and the answer head
    //: are trained. Every batch is new: 32 composites of random training items, sixteen
    //: random questions each, so the model never sees the same composite twice.
    //: Cross-entropy over the twelve answers, AdamW with a cosine schedule after a warm-up.
    let model = lab.train("train", data, encoder, model: { ctx, data, _ in
        VQAModel(image: PatchEncoder(imageSize: 64, channels: [16, 32, 64, 128], pooled: 3, dim: ctx.config.width),
                 vocabularySize: data.tokenizer.count, maxLength: maxLength, answers: 12, heads: ctx.config.heads)
    }) { ctx, model, data, encoder -> Double in
        try model.image.loadFeatures(from: encoder.model.encoder, freezing: true)
        let steps = ctx.smoke ? 20 : ctx.config.steps
        let round = ctx.smoke ? 10 : ctx.config.stepsPerRound
        let training = Training(model, optimizer: AdamW(model.trainableParameters(), learningRate: ctx.config.learningRate,
                                                        weightDecay: ctx.config.weightDecay),
                                schedule: CosineWithWarmup(warmupSteps: steps / 20, totalSteps: steps))
        let progress = ctx.progress("step", total: steps, unit: "step")
        let probeCount = min(500, data.test.count)
        let probe = data.test[0..<probeCount]
        var last = 0.0
        for r in try ctx.epochs(steps / round, training: training, state: &last) {
            model.train()
            for s in (r * round)..<((r + 1) * round) {
                let batch = Composites.make(data.train, count: ctx.config.batchSize, perImage: ctx.config.questionsPerImage,
                                            classWords: classWords, seed: ctx.seed &+ UInt64(s))
                let loss = model.loss(batch, tokenizer: data.tokenizer, maxLength: maxLength)
                training.step(loss)
                if s % 25 == 0 {
                    last = loss.item()
                    try ctx.check("loss", last, iteration: s)
                    ctx.log("loss", last, step: s)
                }
                progress.update(s + 1, samplesPerUnit: ctx.config.batchSize * ctx.config.questionsPerImage)
            }
            ctx.log("accuracy (first 2,000 test questions)", accuracy(model.predict(probe, tokenizer: data.tokenizer, maxLength: maxLength).answers, probe),
                    step: (r + 1) * round)
            try ctx.finished(epoch: r, state: last)
        }
        ctx.figure("loss", .lines(series: ["loss"], yLabel: "cross-entropy", logScale: true))
        ctx.figure("accuracy", .lines(series: ["accuracy (first 2,000 test questions)"], yLabel: "accuracy", logScale: false))
        return last
    }

    //: ## Accuracy, and where the questions look
    //: On 2,500 test composites of test-split items (10,000 questions), by kind of question
    //: and by the position asked about. The target is 90%.
    //:
    //: Then, for each question, the attention weights (averaged over heads) summed over the
    //: 16 patch tokens of each quadrant: rows are the position the question names, columns
    //: the quadrant the weight falls on. A model that grounds "top left" in the picture puts
    //: its weight on the diagonal. Last, sample questions: each composite beside its attention
    //: map (brighter: more weight; ✗ marks a wrong answer), with the question and the model's answer.
    lab.eval("evaluate", model, data) { ctx, trained, data in
        let (predicted, maps) = trained.model.predict(data.test, tokenizer: data.tokenizer, maxLength: maxLength)
        let overall = accuracy(predicted, data.test)
        ctx.metric("accuracy", overall)
        let flat = data.test.questions.flatMap { $0 }
        let hits = zip(predicted.flatten().asArray(Int.self), flat).map { $0 == $1.answer }
        var rows: [[String]] = []
        for kind in Composites.Kind.allCases {
            let mine = zip(hits, flat).filter { $0.1.kind == kind }.map(\.0)
            let value = Double(mine.filter { $0 }.count) / Double(max(1, mine.count))
            ctx.metric("accuracy_\(kind)", value)
            rows.append([kind == .exists ? "is there a … at the …? (yes/no)" : "what is at the …? (10 classes)",
                         String(mine.count), String(format: "%.4f", value)])
        }
        for (p, name) in Composites.positions.enumerated() {
            let mine = zip(hits, flat).filter { $0.1.position == p }.map(\.0)
            rows.append(["asked about the \(name)", String(mine.count),
                         String(format: "%.4f", Double(mine.filter { $0 }.count) / Double(max(1, mine.count)))])
        }
        rows.append(["all", String(flat.count), String(format: "%.4f", overall)])
        ctx.table("test accuracy", Table(columns: ["questions", "count", "accuracy"], rows: rows))
        ctx.metric("target_met", overall >= 0.90 ? 1 : 0)

        let mass = maps.reshape(-1, 8, 8).reshape(-1, 2, 4, 2, 4).sum(dims: [2, 4]).reshape(-1, 4).asArray(Double.self)  // (N·Q, 4)
        var grid = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 4)
        var counts = [Double](repeating: 0, count: 4)
        for (i, question) in flat.enumerated() {
            counts[question.position] += 1
            for cell in 0..<4 { grid[question.position][cell] += mass[4 * i + cell] }
        }
        for p in 0..<4 { grid[p] = grid[p].map { $0 / max(1, counts[p]) } }
        ctx.metric("attention_on_asked_quadrant", (0..<4).map { grid[$0][$0] }.reduce(0, +) / 4)
        ctx.figure("attention by quadrant", .heatmap(values: grid, rowLabels: Composites.positions.map { "asks \($0)" },
                                                      columnLabels: Composites.positions,
                                                      title: "Attention mass per quadrant"))

        let answers = Composites.answers(classNames: FashionMNIST.classNames)
        let shown = min(8, data.test.count)
        var pixels: [[UInt8]] = [], captions: [String] = []
        let predictedAll = predicted.asArray(Int.self)
        for i in 0..<shown {
            let q = i % 4
            let question = data.test.questions[i][q]
            let image = (data.test.images[i, 0] * 255.0).round().to(.uint8)                          // (64, 64)
            let map = maps[i, q].reshape(8, 8)
            let scaled = (map / map.max() * 255.0).round().to(.uint8)
                .reshape(8, 1, 8, 1).expand([8, 8, 8, 8]).reshape(64, 64)                           // each weight → 8×8 pixels
            pixels.append(Tensor.cat([image, scaled], dim: 1).flatten().asArray(UInt8.self))     // (64, 128)
            let answer = answers[predictedAll[i * data.test.questions[i].count + q]]
            captions.append("\(question.text) → \(answer)\(answer == answers[question.answer] ? "" : " ✗")")
        }
        ctx.images("questions and attention", ImageGrid(width: 128, height: 64, pixels: pixels, captions: captions))
    }

    //: ## Result
    //: 91.9% of the 10,000 test questions are answered correctly (target: at least 90%):
    //: 95.8% of the yes/no questions and 88.0% of the "what is at …?" questions, whose
    //: ceiling is set by the frozen encoder (87.3% on single test items, through the mean of
    //: its tokens; the attention reads them better than that mean). Accuracy is within 2.2
    //: points across the four positions. The attention does what the prose promised: on
    //: average 93–96% of a question's attention weight falls on the 16 tokens of the quadrant
    //: it names (the diagonal above; 25% would be uniform), learned from answers alone. The
    //: full run took 11 min 23 s for this report on this 2-core machine, with builds and tests
    //: running beside it (5 min 2 s in an earlier, quieter run).
}

Lab.main(experiment)
