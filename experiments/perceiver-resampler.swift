import Foundation
import Lab

//: # The Perceiver resampler: how many visual tokens does a question need?
//: Flamingo (Alayrac et al. 2022, [arXiv:2204.14198](https://arxiv.org/abs/2204.14198), §2.1)
//: does not let its language model attend to every patch token of an image. A *Perceiver
//: resampler* first compresses them to a fixed, small number of learned latent tokens:
//: k latent queries cross-attend to the patch tokens (and to themselves), layer after layer
//: (after the Perceiver of Jaegle et al. 2021, [arXiv:2103.03206](https://arxiv.org/abs/2103.03206)).
//: Every later cross-attention then costs k keys instead of T, whatever the image size.
//:
//: The task is that of `cross-attention-vqa`: questions about the four quadrants of 2×2
//: Fashion-MNIST composites ("is there a bag at the top left?", "what is at the bottom
//: right?"), answered by a question embedding that cross-attends to the image's tokens. The
//: image encoder gives T = 64 patch tokens (an 8×8 grid). Between the encoder and the
//: question's attention we put, in turn:
//:
//: - nothing: the question attends to all 64 tokens;
//: - mean pooling: one token, the mean of the 64: what is where is lost;
//: - a Perceiver resampler with k = 4, 8 or 16 latents (one layer).
//:
//: Every variant starts from the same pretrained, frozen image encoder and trains what
//: comes after it (positions, resampler, question encoder, attention, answer head) with the
//: same data, steps and optimizer; they are measured for accuracy and speed side by side.

struct Config: ExperimentConfig {
    /// Epochs of the image encoder's pretraining on single items.
    var pretrainEpochs = 2
    /// Training composites per batch, and questions per composite.
    var batchSize = 32
    var questionsPerImage = 16
    var steps = 800
    var stepsPerRound = 200
    var learningRate = 2e-3
    var weightDecay = 0.01
    var width = 128
    var heads = 4
    /// Test composites (4 questions each), from the test split.
    var testComposites = 2500
    /// Timing rounds for the speed figures (median reported).
    var timingRepeats = 7
}

let classWords = Captions.fashionSynonyms.map { $0[0] }
let maxLength = 12

struct VQAData: Codable {
    var train: LabeledImages
    var test: Composites.Set
    var tokenizer: Tokenizer
}

struct TrainingSummary: Codable {
    var finalLoss: Double
    /// Questions per second while training (forward, backward, optimizer step).
    var questionsPerSecond: Double
}

/// One variant's accuracy on the test questions.
struct VariantResult: Codable {
    var name: String
    var visualTokens: Int
    var parameters: Int
    var accuracy: Double
    var accuracyExists: Double
    var accuracyWhat: Double
}

/// One variant's speed on this machine.
struct Speed: Codable {
    /// Questions per second while training (forward, backward, optimizer step).
    var trainingQuestionsPerSecond: Double
    /// Answering test questions from the images, encoder included.
    var inferenceQuestionsPerSecond: Double
    /// The cross-attention alone: 64 question embeddings per composite over its visual tokens, 250 composites.
    var attentionMilliseconds: Double
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

let variants: [(slug: String, reduction: VQAModel.Reduction)] = [
    ("all-tokens", .none), ("mean", .mean),
    ("perceiver-4", .perceiver(latents: 4, depth: 1)), ("perceiver-8", .perceiver(latents: 8, depth: 1)),
    ("perceiver-16", .perceiver(latents: 16, depth: 1)),
]

let experiment = Experiment("perceiver-resampler", config: Config()) { lab in
    let data = lab.data("composites") { ctx in
        let train = try FashionMNIST.load(.train, limit: ctx.smoke ? 512 : nil)
        let testItems = try FashionMNIST.load(.test, limit: ctx.smoke ? 256 : nil)
        let test = Composites.make(testItems, count: ctx.smoke ? 64 : ctx.config.testComposites, perImage: 4,
                                   classWords: classWords, seed: ctx.seed)
        return VQAData(train: train, test: test, tokenizer: Tokenizer(training: Composites.allQuestions(classWords: classWords)))
    }

    //: ## A frozen, pretrained image encoder
    //: As in `cross-attention-vqa` (and Flamingo, whose vision encoder is frozen): the CNN is
    //: first trained to classify single items, then its convolutions are frozen, so that
    //: every variant below starts from the same visual tokens and differs only in what sits
    //: between them and the questions.
    let encoder = lab.train("pretrain-encoder", data, model: { ctx in
        PatchClassifier(encoder: PatchEncoder(imageSize: 32, channels: [16, 32, 64, 128], pooled: 3, dim: ctx.config.width), classes: 10)
    }) { ctx, model, data -> Double in
        let items = Composites.pad(data.train.images)  // (60000, 1, 32, 32)
        let n = items.size(0), batch = 128
        let optimizer = AdamW(model.trainableParameters(), learningRate: ctx.config.learningRate, weightDecay: ctx.config.weightDecay)
        model.train()
        var last = 0.0
        for epoch in try ctx.epochs(ctx.smoke ? 1 : ctx.config.pretrainEpochs, checkpointing: model, optimizer, state: &last) {
            let order = Ops.call("aten::randperm", [.int(n)]).tensor(0)
            for b in 0..<(n / batch) {
                let index = order[(b * batch)..<((b + 1) * batch)]
                let loss = F.crossEntropy(model(items.indexSelect(dim: 0, index: index)), data.train.labels.indexSelect(dim: 0, index: index))
                optimizer.zeroGrad()
                loss.backward()
                optimizer.step()
                if b % 50 == 0 { last = loss.item() }
            }
            try ctx.finished(epoch: epoch, state: last)
        }
        return last
    }

    //: ## Training
    //: As in `cross-attention-vqa`: new composites every batch, sixteen questions each, AdamW
    //: with a cosine schedule; the encoder's convolutions frozen, everything after them
    //: trained. Each resampler has one layer (Flamingo uses six), the same for every k.
    var results: [Step<VariantResult>] = []
    for variant in variants {
        let trained = lab.train("train-\(variant.slug)", data, encoder, model: { ctx in
            VQAModel(image: PatchEncoder(imageSize: 64, channels: [16, 32, 64, 128], pooled: 3, dim: ctx.config.width),
                     vocabularySize: 64, maxLength: maxLength, answers: 12, heads: ctx.config.heads,
                     reduction: variant.reduction)
        }) { ctx, model, data, encoder -> TrainingSummary in
            try model.image.loadFeatures(from: encoder.model.encoder, freezing: true)
            let steps = ctx.smoke ? 10 : ctx.config.steps
            let round = ctx.smoke ? 10 : ctx.config.stepsPerRound
            let questions = ctx.config.questionsPerImage
            let optimizer = AdamW(model.trainableParameters(), learningRate: ctx.config.learningRate,
                                  weightDecay: ctx.config.weightDecay)
            let scheduler = LRScheduler(optimizer, schedule: CosineWithWarmup(warmupSteps: steps / 20, totalSteps: steps))
            let progress = ctx.progress("step", total: steps, unit: "step")
            var last = 0.0, seconds = 0.0
            model.train()
            for r in try ctx.epochs(steps / round, checkpointing: model, optimizer, scheduler: scheduler, state: &last, &seconds) {
                for s in (r * round)..<((r + 1) * round) {
                    let batch = Composites.make(data.train, count: ctx.config.batchSize, perImage: questions,
                                                classWords: classWords, seed: ctx.seed &+ UInt64(s))
                    let start = Date()
                    let loss = model.loss(batch, tokenizer: data.tokenizer, maxLength: maxLength)
                    optimizer.zeroGrad()
                    loss.backward()
                    optimizer.step()
                    scheduler.step()
                    if s % 25 == 0 {
                        last = loss.item()
                        try ctx.check("loss", last, iteration: s)
                        ctx.log("loss", last, step: s)
                    }
                    seconds += Date().timeIntervalSince(start)
                    progress.update(s + 1, samplesPerUnit: questions * ctx.config.batchSize)
                }
                try ctx.finished(epoch: r, state: last, seconds)
            }
            ctx.figure("loss", .lines(series: ["loss"], yLabel: "cross-entropy", logScale: true))
            return TrainingSummary(finalLoss: last, questionsPerSecond: Double(steps * questions * ctx.config.batchSize) / seconds)
        }

        results.append(lab.eval("evaluate-\(variant.slug)", trained, data) { ctx, trained, data -> VariantResult in
            let model = trained.model
            let (predicted, _) = model.predict(data.test, tokenizer: data.tokenizer, maxLength: maxLength)
            let flat = data.test.questions.flatMap { $0 }
            let hits = zip(predicted.flatten().asArray(Int.self), flat).map { $0 == $1.answer }
            func rate(_ kind: Composites.Kind?) -> Double {
                let mine = zip(hits, flat).filter { kind == nil || $0.1.kind == kind }.map(\.0)
                return Double(mine.filter { $0 }.count) / Double(max(1, mine.count))
            }
            return VariantResult(name: variant.reduction.description, visualTokens: model.visualTokens(data.test.images[0..<1]).size(1),
                                 parameters: model.parameterCount(), accuracy: rate(nil), accuracyExists: rate(.exists),
                                 accuracyWhat: rate(.what))
        })
    }
    let accuracies = lab.step("accuracies", results, kind: .eval) { _, results in results }

    //: ## Speed
    //: Speed does not depend on the weights, so it is timed on fresh models of the five
    //: variants, in one step, round-robin (variant 1, 2, …, 5, then again), so that whatever
    //: else the machine is doing falls on all of them alike; medians of `timingRepeats`
    //: rounds. Training: one step (forward, backward, AdamW) on 32 composites × 16 questions,
    //: encoder frozen as in training. Inference: the whole model on 250 composites (1,000
    //: questions). Attention: the cross-attention alone, 16,000 question embeddings (64 per
    //: composite) over visual tokens computed beforehand: the part whose cost grows with the
    //: number of visual tokens, and the part a Flamingo-style model repeats at every
    //: language-model layer for every text token.
    let speeds = lab.eval("throughput", data) { ctx, data -> [Speed] in
        let models = variants.map { variant -> VQAModel in
            let model = VQAModel(image: PatchEncoder(imageSize: 64, channels: [16, 32, 64, 128], pooled: 3, dim: ctx.config.width),
                                 vocabularySize: 64, maxLength: maxLength, answers: 12, heads: ctx.config.heads,
                                 reduction: variant.reduction)
            for conv in model.image.convs { conv.weight.requiresGrad = false; conv.bias?.requiresGrad = false }
            model.image.projection.weight.requiresGrad = false
            model.image.projection.bias?.requiresGrad = false
            return model
        }
        let optimizers = models.map { AdamW($0.trainableParameters(), learningRate: 1e-4) }
        let batch = Composites.make(data.train, count: ctx.config.batchSize, perImage: ctx.config.questionsPerImage,
                                    classWords: classWords, seed: ctx.seed)
        let slice = data.test[0..<min(250, data.test.count)]
        let tokens = slice.encoded(0..<slice.count, tokenizer: data.tokenizer, maxLength: maxLength).tokens
        let many = tokens.unsqueeze(1).expand([slice.count, 16, 4, maxLength]).reshape(slice.count, 64, maxLength)  // (n, 64, L)
        let prepared = withNoGrad { models.map { ($0.visualTokens(slice.images), $0.embedQuestions(many)) } }
        func seconds(_ body: () -> Void) -> Double { let start = Date(); body(); return Date().timeIntervalSince(start) }
        var training = [[Double]](repeating: [], count: models.count)
        var inference = training, attention = training
        for round in 0...(ctx.smoke ? 1 : ctx.config.timingRepeats) {  // round 0 warms up and is dropped
            for (i, model) in models.enumerated() {
                model.train()
                let t = seconds {
                    let loss = model.loss(batch, tokenizer: data.tokenizer, maxLength: maxLength)
                    optimizers[i].zeroGrad(); loss.backward(); optimizers[i].step()
                }
                model.eval()
                let (u, a) = withNoGrad {
                    (seconds { _ = model(slice.images, tokens).logits.sum().item() },
                     seconds { _ = model.attention(prepared[i].1, prepared[i].0).output.sum().item() })
                }
                if round > 0 { training[i].append(t); inference[i].append(u); attention[i].append(a) }
            }
        }
        let questionsPerStep = Double(ctx.config.batchSize * ctx.config.questionsPerImage)
        return models.indices.map { i in
            Speed(trainingQuestionsPerSecond: questionsPerStep / median(training[i]),
                  inferenceQuestionsPerSecond: Double(slice.count * 4) / median(inference[i]),
                  attentionMilliseconds: 1000 * median(attention[i]))
        }
    }

    //: ## Accuracy and speed side by side
    //: Accuracy on the 10,000 test questions; speeds from the step above.
    lab.eval("compare", accuracies, speeds) { ctx, results, speeds in
        var rows: [[String]] = []
        for (r, v) in zip(results, speeds) {
            let accuracy = [String(format: "%.4f", r.accuracy), String(format: "%.4f", r.accuracyExists), String(format: "%.4f", r.accuracyWhat)]
            let speed = [String(format: "%.0f", v.trainingQuestionsPerSecond), String(format: "%.0f", v.inferenceQuestionsPerSecond),
                         String(format: "%.2f", v.attentionMilliseconds)]
            rows.append([r.name, String(r.visualTokens), String(r.parameters)] + accuracy + speed)
        }
        let columns = ["visual tokens from", "tokens", "parameters", "accuracy", "yes/no", "what",
                       "training q/s", "inference q/s", "attention ms"]
        ctx.table("variants", Table(columns: columns, rows: rows))
        for (r, v) in zip(results, speeds) where r.name != VQAModel.Reduction.mean.description {
            ctx.log("accuracy, all tokens or Perceiver latents", r.accuracy, step: r.visualTokens)
            ctx.log("attention ms, all tokens or Perceiver latents", v.attentionMilliseconds, step: r.visualTokens)
        }
        ctx.figure("accuracy by visual tokens", .lines(series: ["accuracy, all tokens or Perceiver latents"],
                                                        yLabel: "test accuracy", logScale: false))
        ctx.figure("attention time by visual tokens", .lines(series: ["attention ms, all tokens or Perceiver latents"],
                                                              yLabel: "ms for 16,000 queries", logScale: false))
        for (r, v) in zip(results, speeds) {
            let key = "\(r.visualTokens)_tokens\(r.name == VQAModel.Reduction.mean.description ? "_mean" : "")"
            ctx.metric("accuracy_" + key, r.accuracy)
            ctx.metric("training_questions_per_second_" + key, v.trainingQuestionsPerSecond)
        }
    }

    //: ## Result
    //: In the recorded run (seed 0, 800 steps per variant):
    //:
    //: - **All 64 tokens: 89.0%.** The reference.
    //: - **Mean pooling: 57.3%.** One token with no position left in it: the "what is at …?"
    //:   questions fall to 46% (chance is 10%, and some class mixtures are guessable), the
    //:   yes/no ones to 69%.
    //: - **Perceiver, 8 latents: 87.2%**, within 1.8 points of all tokens with an eighth of
    //:   them: four quadrants fit in a few learned queries.
    //: - **Perceiver, 16 latents: 63.5%; 4 latents: 69.9%**, both still on a plateau. Their
    //:   training losses only crept from 1.26 and 1.41 (step 100) to 0.75 and 0.71 (step 700),
    //:   while with 8 latents the loss fell to 0.28 by step 500: the same kind of plateau as
    //:   training from scratch in `cross-attention-vqa`, not left in 800 steps. This is not a
    //:   property of k: the run of this file recorded on 29 November (the same code, an older
    //:   library) had 16 latents at 88.4%, 8 at 87.7% and 4 on the plateau at 45.9%, and an
    //:   earlier version (two-layer resamplers, 600 steps) had k = 8 on the plateau (49%)
    //:   while k = 4 reached 75% and k = 16 88%. At this budget, whether a resampler run leaves
    //:   the plateau varies from run to run; one seed shows that a few latents *can* match all
    //:   tokens, not which k does. `lab run … --seeds 3` would say how often.
    //:
    //: **Speed.** The cross-attention alone gets about 2.7 times cheaper from 64 tokens (80.9 ms
    //: for 16,000 queries) to 16 latents (30.4 ms); below 16 its fixed costs dominate (4
    //: latents: 29.7 ms, mean pooling: 23.7 ms). Whole-model training and inference barely move
    //: (4,750 training questions/s with all tokens, 4,010 with 16 latents; inference 2,350 and
    //: 2,230 questions/s): the CNN and the question encoder dominate, and the resampler's own
    //: cross-attention over the 64 tokens costs about what it saves, since only one attention
    //: layer reads its output. The saving grows with the number of layers and tokens that read
    //: the visual tokens: a Flamingo-style language model repeats this cross-attention at many
    //: layers for every text token, which is why it resamples. The full run took 29 min 38 s,
    //: with builds and tests running on the machine's two cores beside it (10 min 31 s in an
    //: earlier, quieter run), so the speeds are comparable within this table only.
}

Lab.main(experiment)
