import Foundation
import Lab

//: # LoRA against full fine-tuning: adapting CLIP to five unseen classes
//: Low-rank adaptation (LoRA; Hu et al. 2021, [arXiv:2106.09685](https://arxiv.org/abs/2106.09685))
//: adapts a pretrained network without changing its weights. For a linear map
//: y = Wx + b with W of shape (out, in), it freezes W and b and learns a correction of rank r:
//:
//: y = Wx + b + (α/r)·B·A·x,   A: (r, in),   B: (out, r).
//:
//: A starts as a `Linear` weight does (Kaiming-uniform, as in the paper's reference code) and
//: B at zero, so training starts exactly at the pretrained model. Only A and B are trained:
//: r·(in + out) numbers per layer instead of in·out + out. After training, (α/r)·B·A can be
//: added into W ("merged"), so the adapted model costs no more to run than the original. The
//: premise is that the change a fine-tuning needs has a low intrinsic dimension (Aghajanyan et
//: al. 2020, [arXiv:2012.13255](https://arxiv.org/abs/2012.13255)).
//:
//: The test: the CLIP model of `clip-fashion` (a CNN image tower and a Transformer text tower)
//: is pretrained contrastively on five Fashion-MNIST classes only (T-shirt/top, trouser,
//: pullover, dress, coat), then adapted with the same contrastive loss to the five others
//: (sandal, shirt, sneaker, bag, ankle boot), four ways, each from the same pretrained
//: weights: LoRA at ranks 1, 4 and 16, and full fine-tuning of every parameter. For each we
//: measure zero-shot accuracy on the new classes, what the adapted model still gets right on
//: the old ones, trainable parameters, training time and the memory of the training state.
//:
//: **Target:** LoRA at rank 4 within 2 points of full fine-tuning's accuracy on the new
//: classes, with at most 5% of its trainable parameters.

struct Config: ExperimentConfig {
    /// Epochs of contrastive pretraining on classes 0–4.
    var pretrainEpochs = 6
    /// Epochs of adaptation on classes 5–9, the same for every method.
    var adaptEpochs = 4
    /// Pairs per contrastive batch, in pretraining and adaptation.
    var batchSize = 256
    /// AdamW's peak learning rate for pretraining and for full fine-tuning.
    var learningRate = 1e-3
    /// AdamW's peak learning rate for LoRA's A and B.
    var loraLearningRate = 5e-3
    /// LoRA's α, the same at every rank: the update is scaled by α/r (Hu et al. 2021, §4.1).
    var loraAlpha = 4.0
    /// AdamW's decoupled weight decay, for every method.
    var weightDecay = 0.05
    /// Caption length in tokens; the longest caption has 9 words.
    var maxLength = 12
}

/// The training images of some classes with their captions as token ids, and the test images.
struct ClassSplit: Codable {
    var classes: [Int]        // the Fashion-MNIST labels in this split
    var trainImages: Tensor   // (N, 1, 28, 28)
    var trainTokens: Tensor   // (N, L) int64
    var testImages: Tensor    // (M, 1, 28, 28)
    var testTargets: Tensor   // (M) int64: the index of the true class in `classes`
}

/// Fashion-MNIST cut into the classes seen in pretraining and the classes adapted to.
struct FashionSplits: Codable {
    var old: ClassSplit       // 0–4: T-shirt/top, trouser, pullover, dress, coat
    var new: ClassSplit       // 5–9: sandal, shirt, sneaker, bag, ankle boot
    var tokenizer: Tokenizer
}

/// Every phrase a caption or prompt can be: each template with each synonym of each class.
/// The tokenizer built from them knows every word of all ten classes.
func fashionTokenizer() -> Tokenizer {
    Tokenizer(training: Captions.templates.flatMap { t in
        Captions.fashionSynonyms.flatMap { words in words.map { Captions.fill(t, $0) } }
    })
}

/// The two-tower model of `clip-fashion`, with a token table sized to the vocabulary.
func makeCLIP(vocabularySize: Int, maxLength: Int) -> CLIP {
    CLIP(image: ImageEncoder(imageSize: 28, channels: [32, 64], embeddingDim: 128),
         text: TextEncoder(vocabularySize: vocabularySize, maxLength: maxLength, width: 64, depth: 2, heads: 4,
                           dropout: 0.1, embeddingDim: 128))
}

// MARK: the towers rebuilt with adapter slots

/// `ImageEncoder` with the same convolutions and its projection in an `any Layer` slot.
final class AdaptableImageTower: Module, Layer {
    let convs: [Conv2d]
    let pools: [Bool]
    var projection: any Layer

    init(_ encoder: ImageEncoder) {
        convs = encoder.convs
        pools = encoder.pools
        projection = encoder.projection
        super.init()
    }

    /// (B, 1, 28, 28) → (B, 128), as `ImageEncoder`.
    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for (conv, pool) in zip(convs, pools) {
            h = conv(h).relu()
            if pool { h = F.maxPool2d(h, kernel: (2, 2)) }
        }
        let project = projection
        return project(h.flatten(start: 1))
    }
}

/// A pre-norm `TransformerEncoderLayer` (GELU) whose six linear maps sit in `any Layer` slots:
/// the query, key and value projections (split from the packed `in_proj_weight`), the
/// attention's output projection and the feed-forward block's two layers.
final class AdaptableEncoderLayer: Module, Layer {
    var query: any Layer
    var key: any Layer
    var value: any Layer
    var output: any Layer
    var linear1: any Layer
    var linear2: any Layer
    let norm1: LayerNorm
    let norm2: LayerNorm
    let dropout: Dropout
    let dropout1: Dropout
    let dropout2: Dropout
    let heads: Int
    let width: Int
    let attentionDropout: Double

    init(_ layer: TransformerEncoderLayer) {
        precondition(layer.normFirst && layer.activation == .gelu, "AdaptableEncoderLayer: expects a pre-norm GELU layer")
        let attention = layer.selfAttn
        let e = attention.embedDim
        let weights = attention.inProjWeight.chunk(3, dim: 0)    // 3 × (E, E)
        let biases = attention.inProjBias!.chunk(3, dim: 0)      // 3 × (E)
        func copied(_ i: Int) -> Linear {
            let linear = Linear(e, e)
            try! linear.loadStateDict(["weight": weights[i], "bias": biases[i]])
            return linear
        }
        query = copied(0)
        key = copied(1)
        value = copied(2)
        output = attention.outProj
        linear1 = layer.linear1
        linear2 = layer.linear2
        norm1 = layer.norm1
        norm2 = layer.norm2
        dropout = layer.dropout
        dropout1 = layer.dropout1
        dropout2 = layer.dropout2
        heads = attention.numHeads
        width = e
        attentionDropout = attention.dropout
        super.init()
    }

    func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, keyPaddingMask: nil) }

    /// x: (B, T, E) → (B, T, E); `keyPaddingMask` (B, T) is true at padding.
    func callAsFunction(_ x: Tensor, keyPaddingMask: Tensor?) -> Tensor {
        let h = x + dropout1(attend(norm1(x), keyPaddingMask))
        let up = linear1, down = linear2
        return h + dropout2(down(dropout(up(norm2(h)).gelu())))
    }

    func attend(_ y: Tensor, _ padding: Tensor?) -> Tensor {
        let b = y.size(0), t = y.size(1), d = width / heads
        let q = query, k = key, v = value, o = output
        func split(_ z: Tensor) -> Tensor { z.reshape(b, t, heads, d).transposed(1, 2) }   // (B, H, T, d)
        let mask = padding.map {
            Tensor.zeros($0.shape, dtype: y.dtype).maskedFill($0, -.infinity).reshape(b, 1, 1, t)
        }
        let attended = F.scaledDotProductAttention(split(q(y)), split(k(y)), split(v(y)), mask: mask,
                                                   dropout: isTraining ? attentionDropout : 0)   // (B, H, T, d)
        return o(attended.transposed(1, 2).reshape(b, t, width))
    }
}

/// `TextEncoder` (mean pooling) with adaptable layers and its projection in an `any Layer` slot.
final class AdaptableTextTower: Module, Layer {
    let tokenEmbedding: Embedding
    let positionEmbedding: Embedding
    let layers: [AdaptableEncoderLayer]
    let finalNorm: LayerNorm
    var projection: any Layer
    let padID: Int

    init(_ encoder: TextEncoder) {
        precondition(encoder.pooling == .mean, "AdaptableTextTower: expects mean pooling")
        tokenEmbedding = encoder.tokenEmbedding
        positionEmbedding = encoder.positionEmbedding
        layers = encoder.layers.map(AdaptableEncoderLayer.init)
        finalNorm = encoder.finalNorm
        projection = encoder.projection
        padID = encoder.padID
        super.init()
    }

    /// (B, T) int64 → (B, 128), as `TextEncoder`.
    func callAsFunction(_ tokens: Tensor) -> Tensor {
        let padding = tokens .== padID                                       // (B, T)
        var x = tokenEmbedding(tokens) + positionEmbedding(Tensor.arange(tokens.size(1)))   // (B, T, W)
        for layer in layers { x = layer(x, keyPaddingMask: padding) }
        x = finalNorm(x)
        let keep = padding.logicalNot().to(x.dtype).unsqueeze(-1)            // (B, T, 1)
        let pooled = (x * keep).sum(dim: 1) / keep.sum(dim: 1).clamp(min: 1)   // (B, W)
        let project = projection
        return project(pooled)
    }
}

/// The same network as `clip` (its tensors shared, except q, k and v, which are copied out of
/// the packed attention weight), rebuilt from the adaptable towers.
func adaptable(_ clip: CLIP) -> CLIP {
    let image = clip.tower("image") as! ImageEncoder
    let text = clip.tower("text") as! TextEncoder
    return CLIP(image: AdaptableImageTower(image), text: AdaptableTextTower(text),
                initialLogitScale: clip.logitScale.item())
}

/// Wraps every linear map of both towers in a `LoRALinear` and freezes everything else.
func addLoRA(_ clip: CLIP, rank: Int, alpha: Double) -> [LoRALinear] {
    let image = clip.tower("image") as! AdaptableImageTower
    let text = clip.tower("text") as! AdaptableTextTower
    var adapters = LoRA.apply(to: image, at: [\.projection], rank: rank, alpha: alpha)
    adapters += LoRA.apply(to: text, at: [\.projection], rank: rank, alpha: alpha)
    for layer in text.layers {
        adapters += LoRA.apply(to: layer, at: [\.query, \.key, \.value, \.output, \.linear1, \.linear2],
                               rank: rank, alpha: alpha)
    }
    LoRA.freezeAllButAdapters(clip)
    return adapters
}

// MARK: evaluation

/// The embedding of each class of `classes`: the mean of its prompts over all templates.
func classEmbeddings(_ clip: CLIP, _ tokenizer: Tokenizer, classes: [Int], maxLength: Int) -> Tensor {
    Tensor.stack(classes.map { c in
        let prompts = Captions.templates.map { Captions.fill($0, Captions.fashionSynonyms[c][0]) }
        return clip.embed("text", tokenizer.batch(prompts, length: maxLength)).mean(dim: 0)
    })                                                                                  // (C, 128)
}

/// Zero-shot accuracy among the split's classes (5-way) on its first `limit` test images.
func zeroShotAccuracy(_ clip: CLIP, _ split: ClassSplit, _ tokenizer: Tokenizer, limit: Int = .max) -> Double {
    clip.eval()
    return withNoGrad {
        let n = min(limit, split.testImages.size(0))
        let images = Tensor.cat(split.testImages[0..<n].split(size: 1000).map { clip.embed("image", $0) })
        let classes = classEmbeddings(clip, tokenizer, classes: split.classes, maxLength: split.trainTokens.size(1))
        return (zeroShotClassify(images, classes) .== split.testTargets[0..<n]).to(.float32).mean().item()
    }
}

// MARK: training

/// What a training loop needs from the config (read in each step, so the step's cache key sees it).
struct Schedule {
    var epochs: Int
    var batchSize: Int
    var learningRate: Double
    var weightDecay: Double
}

struct TrainingSummary: Codable {
    var finalLoss: Double
    var steps: Int
    /// Wall time of the optimization alone (batches, not the per-epoch evaluations).
    var seconds: Double
    var samplesPerSecond: Double
    /// Bytes of the gradients and AdamW's state (two moments and a step count per tensor) at the end.
    var trainingStateBytes: Int
}

func bytes(_ tensors: [Tensor]) -> Int { tensors.reduce(0) { $0 + $1.count * $1.dtype.byteSize } }

/// Symmetric InfoNCE on the split's training pairs with AdamW (warm-up, then cosine decay),
/// updating the parameters that require gradients; `monitor` is logged after each epoch.
func trainContrastive<C>(_ ctx: Context<C>, _ model: CLIP, _ split: ClassSplit, _ schedule: Schedule,
                         monitor: (name: String, value: () -> Double)) throws -> TrainingSummary {
    let n = split.trainImages.size(0)
    let batch = min(schedule.batchSize, n)
    let perEpoch = n / batch
    let optimizer = AdamW(model.trainableParameters(), learningRate: schedule.learningRate,
                          weightDecay: schedule.weightDecay)
    let scheduler = LRScheduler(optimizer, schedule: CosineWithWarmup(warmupSteps: max(1, perEpoch / 10),
                                                                      totalSteps: schedule.epochs * perEpoch))
    let progress = ctx.progress("batch", total: schedule.epochs * perEpoch)
    var seconds = 0.0
    var step = 0, last = 0.0
    for epoch in try ctx.epochs(schedule.epochs, checkpointing: model, optimizer, scheduler: scheduler, state: &step, &last, &seconds) {
        model.train()
        let start = Date()
        let order = Ops.call("aten::randperm", [.int(n)]).tensor(0)            // (N) a new order each epoch
        for b in 0..<perEpoch {
            let index = order[(b * batch)..<((b + 1) * batch)]
            let loss = model.loss(["image": split.trainImages.indexSelect(dim: 0, index: index),
                                   "text": split.trainTokens.indexSelect(dim: 0, index: index)])
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            step = epoch * perEpoch + b
            if b % 20 == 0 || b == perEpoch - 1 {
                last = loss.item()
                try ctx.check("loss", last, iteration: step)
                ctx.log("loss", last, step: step)
            }
            progress.update(step + 1, samplesPerUnit: batch)
        }
        seconds += Date().timeIntervalSince(start)
        ctx.log(monitor.name, monitor.value(), step: step)
        try ctx.finished(epoch: epoch, state: step, last, seconds)
    }
    let state = optimizer.stateDict().tensors.map(\.value) + model.trainableParameters().compactMap(\.grad)
    return TrainingSummary(finalLoss: last, steps: step + 1, seconds: seconds,
                           samplesPerSecond: Double((step + 1) * batch) / max(seconds, 1e-9),
                           trainingStateBytes: bytes(state))
}

// MARK: results

struct PretrainedAccuracy: Codable {
    var old: Double
    var new: Double
    var parameters: Int
}

/// One adaptation method's numbers.
struct MethodSummary: Codable {
    var method: String
    var trainableParameters: Int
    var accuracyNew: Double
    var accuracyOld: Double
    var seconds: Double
    var trainingStateBytes: Int
    /// Bytes of the tensors the method changed: what must be stored per task.
    var checkpointBytes: Int
    var learningRate: Double
}

struct Adaptation: Codable {
    var summary: MethodSummary
    /// The trained tensors only (A and B for LoRA, everything for full fine-tuning), by key.
    var weights: [String: Tensor]
}

let ranks = [1, 4, 16]

func percent(_ x: Double) -> String { String(format: "%.2f", 100 * x) }

let experiment = Experiment("lora-adaptation", config: Config()) { lab in
    lab.regression("comparison/rank4_minus_full_points", .higherIsBetter, tolerance: 1)

    //: ## Data
    //: Fashion-MNIST (Debian's `dataset-fashion-mnist`) cut by label: 30,000 training and 5,000
    //: test images of classes 0–4, and as many of classes 5–9. Each training image gets one
    //: caption, a template with a WordNet synonym of its class ("a picture of a gym shoe"),
    //: drawn with the step's seed, as in `clip-fashion`. The word-level tokenizer is built from
    //: every template with every synonym of all ten classes. That fixes the vocabulary only
    //: (41 tokens with padding and unknown): the words of classes 5–9 have ids from the start,
    //: but pretraining never sees them, so their embedding rows keep their random
    //: initialization until adaptation. One exception: "shirt" (class 6) occurs in pretraining
    //: inside "tee shirt", a synonym of class 0.
    let data = lab.data("fashion") { ctx in
        let train = try FashionMNIST.load(.train, limit: ctx.smoke ? 512 : nil)
        let test = try FashionMNIST.load(.test, limit: ctx.smoke ? 256 : nil)
        let tokenizer = fashionTokenizer()
        let trainLabels = train.labels.asArray(Int.self), testLabels = test.labels.asArray(Int.self)
        let trainTokens = tokenizer.batch(Captions.sample(labels: trainLabels, seed: ctx.seed), length: ctx.config.maxLength)
        func split(_ classes: [Int]) -> ClassSplit {
            let trainIndex = Tensor(trainLabels.indices.filter { classes.contains(trainLabels[$0]) }.map(Int64.init))
            let testIndex = testLabels.indices.filter { classes.contains(testLabels[$0]) }
            return ClassSplit(classes: classes,
                              trainImages: train.images.indexSelect(dim: 0, index: trainIndex),
                              trainTokens: trainTokens.indexSelect(dim: 0, index: trainIndex),
                              testImages: test.images.indexSelect(dim: 0, index: Tensor(testIndex.map(Int64.init))),
                              testTargets: Tensor(testIndex.map { Int64(classes.firstIndex(of: testLabels[$0])!) }))
        }
        let splits = FashionSplits(old: split([0, 1, 2, 3, 4]), new: split([5, 6, 7, 8, 9]), tokenizer: tokenizer)
        ctx.metric("vocabulary_size", Double(tokenizer.count))
        ctx.metric("pretraining_pairs", Double(splits.old.trainImages.size(0)))
        ctx.metric("adaptation_pairs", Double(splits.new.trainImages.size(0)))
        return splits
    }

    //: ## Pretraining on classes 0–4
    //: The model of `clip-fashion` with its token table sized to the vocabulary: 532,161
    //: parameters. Symmetric InfoNCE on the 30,000 pairs of classes 0–4, AdamW at
    //: `learningRate` with `weightDecay`, a linear warm-up over the first tenth of an epoch,
    //: then cosine decay.
    let pretrained = lab.train("pretrain", data, model: { ctx in
        makeCLIP(vocabularySize: fashionTokenizer().count, maxLength: ctx.config.maxLength)
    }) { ctx, model, data in
        let schedule = Schedule(epochs: ctx.smoke ? 1 : ctx.config.pretrainEpochs, batchSize: ctx.config.batchSize,
                                learningRate: ctx.config.learningRate, weightDecay: ctx.config.weightDecay)
        let summary = try trainContrastive(ctx, model, data.old, schedule, monitor: (
            "zero-shot accuracy, classes 0–4 (1,000 test images)", { zeroShotAccuracy(model, data.old, data.tokenizer, limit: 1000) }))
        ctx.figure("loss", .lines(series: ["loss"], yLabel: "symmetric InfoNCE", logScale: true))
        ctx.figure("accuracy", .lines(series: ["zero-shot accuracy, classes 0–4 (1,000 test images)"],
                                      yLabel: "accuracy", logScale: false))
        return summary
    }

    //: ### Before adaptation
    //: Zero-shot accuracy is 5-way throughout: a test image gets the nearest of its split's five
    //: class embeddings (each the mean of the class name's prompts over all eight templates),
    //: over all 5,000 test images of the split; chance is 20%. On classes 5–9 the prompts are
    //: made of words the text tower was never trained on, so the pretrained model should be
    //: near chance there.
    let before = lab.eval("pretrained", pretrained, data) { ctx, trained, data -> PretrainedAccuracy in
        let result = PretrainedAccuracy(old: zeroShotAccuracy(trained.model, data.old, data.tokenizer),
                                        new: zeroShotAccuracy(trained.model, data.new, data.tokenizer),
                                        parameters: trained.model.parameterCount())
        ctx.metric("accuracy_classes_0_4", result.old)
        ctx.metric("accuracy_classes_5_9", result.new)
        ctx.metric("parameters", Double(result.parameters))
        return result
    }

    //: ## LoRA at ranks 1, 4 and 16
    //: **Where the adapters go.** `LoRA.apply(to:at:)` swaps a layer through a key path to a
    //: property declared `any Layer`. The library's encoders declare theirs with concrete
    //: types (`ImageEncoder.projection`, `TextEncoder.projection`,
    //: `TransformerEncoderLayer.linear1`/`linear2` are `Linear`), and `MultiheadAttention`
    //: packs the query, key and value maps into one (3E, E) tensor, so none of them can be
    //: wrapped in place. This file therefore rebuilds the two towers around the same tensors
    //: with `any Layer` slots (`AdaptableImageTower`, `AdaptableTextTower`,
    //: `AdaptableEncoderLayer` above; q, k and v are copied out of the packed weight into three
    //: `Linear`s) and checks that the rebuilt model computes the same embeddings
    //: (`rebuild_max_abs_difference`, in the full fine-tuning step).
    //:
    //: `LoRALinear` then wraps all 14 linear maps: the image projection (3136 → 128), the text
    //: projection (64 → 128), and in each of the two Transformer layers the query, key, value
    //: and output projections of attention (64 → 64 each) and both feed-forward layers
    //: (64 → 256 → 64). That is 5,760·r trainable numbers. Hu et al. adapt only the query and
    //: value maps of GPT-3; here the image tower's only linear map is its projection, and
    //: adapting every linear map is what Dettmers et al. 2023 (QLoRA,
    //: [arXiv:2305.14314](https://arxiv.org/abs/2305.14314)) found necessary to match full
    //: fine-tuning. Everything else is frozen: both convolutions, every bias, the LayerNorms,
    //: the temperature, and the token and position embeddings, including the rows of the
    //: eleven words seen for the first time now (sandal, sneaker, gym, tennis, shoe, bag,
    //: handbag, pocketbook, purse, ankle, boot), which stay at their random initialization.
    //: The text tower must tell the new classes apart through those fixed random vectors.
    //:
    //: **Settings.** α = `loraAlpha` = 4 at every rank, so the update is scaled by α/r = 4, 1
    //: and 1/4 for r = 1, 4, 16 (the paper sets α to the first r it tries and keeps it when r
    //: changes). No dropout on the low-rank path. AdamW on A and B at `loraLearningRate`, five
    //: times full fine-tuning's rate (a larger rate than full fine-tuning is usual for LoRA),
    //: with the same weight decay (which pulls A and B, hence the update, towards the pretrained
    //: model), schedule and number of epochs. Accuracies are measured after `LoRA.mergeAll`,
    //: on the merged weights a deployed model would use.
    let lora = ranks.map { rank in
        lab.step("lora-r\(rank)", pretrained, data, kind: .train) { ctx, pretrained, data -> Adaptation in
            let original = makeCLIP(vocabularySize: data.tokenizer.count, maxLength: ctx.config.maxLength)
            try original.loadStateDict(pretrained.model.stateDict())      // a copy: the pretrained model stays as it is
            let model = adaptable(original)
            let adapters = addLoRA(model, rank: rank, alpha: ctx.config.loraAlpha)
            let schedule = Schedule(epochs: ctx.smoke ? 1 : ctx.config.adaptEpochs, batchSize: ctx.config.batchSize,
                                    learningRate: ctx.config.loraLearningRate, weightDecay: ctx.config.weightDecay)
            let trained = model.namedParameters().filter { $0.1.requiresGrad }
            let summary = try trainContrastive(ctx, model, data.new, schedule, monitor: (
                "zero-shot accuracy, classes 5–9 (1,000 test images)", { zeroShotAccuracy(model, data.new, data.tokenizer, limit: 1000) }))
            LoRA.mergeAll(model)
            let result = MethodSummary(
                method: "LoRA r = \(rank)", trainableParameters: model.parameterCount(trainableOnly: true),
                accuracyNew: zeroShotAccuracy(model, data.new, data.tokenizer),
                accuracyOld: zeroShotAccuracy(model, data.old, data.tokenizer),
                seconds: summary.seconds, trainingStateBytes: summary.trainingStateBytes,
                checkpointBytes: bytes(trained.map(\.1)), learningRate: schedule.learningRate)
            ctx.metric("adapters", Double(adapters.count))
            ctx.metric("trainable_parameters", Double(result.trainableParameters))
            ctx.metric("accuracy_classes_5_9", result.accuracyNew)
            ctx.metric("accuracy_classes_0_4", result.accuracyOld)
            ctx.metric("training_seconds", result.seconds)
            ctx.metric("training_state_bytes", Double(result.trainingStateBytes))
            ctx.figure("accuracy", .lines(series: ["zero-shot accuracy, classes 5–9 (1,000 test images)"],
                                          yLabel: "accuracy", logScale: false))
            return Adaptation(summary: result, weights: Dictionary(uniqueKeysWithValues: trained))
        }
    }

    //: ## Full fine-tuning
    //: Every parameter of the same rebuilt model (532,161: convolutions, embeddings, norms and
    //: temperature included), from the pretrained weights, at the pretraining rate
    //: `learningRate`, with the same weight decay, schedule and epochs as LoRA.
    let full = lab.step("full-fine-tuning", pretrained, data, kind: .train) { ctx, pretrained, data -> Adaptation in
        let original = makeCLIP(vocabularySize: data.tokenizer.count, maxLength: ctx.config.maxLength)
        try original.loadStateDict(pretrained.model.stateDict())
        let model = adaptable(original)
        // The rebuilt towers compute what the library's did (checked on test images and prompts).
        let difference = withNoGrad { () -> Double in
            original.eval(); model.eval()
            let images = data.new.testImages[0..<min(256, data.new.testImages.size(0))]
            let prompts = data.tokenizer.batch((5..<10).map { Captions.prompt($0) }, length: ctx.config.maxLength)
            let a = (original.embed("image", images) - model.embed("image", images)).abs().max().item()
            let b = (original.embed("text", prompts) - model.embed("text", prompts)).abs().max().item()
            return max(a, b)
        }
        ctx.metric("rebuild_max_abs_difference", difference)
        let schedule = Schedule(epochs: ctx.smoke ? 1 : ctx.config.adaptEpochs, batchSize: ctx.config.batchSize,
                                learningRate: ctx.config.learningRate, weightDecay: ctx.config.weightDecay)
        let trained = model.namedParameters().filter { $0.1.requiresGrad }
        let summary = try trainContrastive(ctx, model, data.new, schedule, monitor: (
            "zero-shot accuracy, classes 5–9 (1,000 test images)", { zeroShotAccuracy(model, data.new, data.tokenizer, limit: 1000) }))
        let result = MethodSummary(
            method: "full fine-tuning", trainableParameters: model.parameterCount(trainableOnly: true),
            accuracyNew: zeroShotAccuracy(model, data.new, data.tokenizer),
            accuracyOld: zeroShotAccuracy(model, data.old, data.tokenizer),
            seconds: summary.seconds, trainingStateBytes: summary.trainingStateBytes,
            checkpointBytes: bytes(trained.map(\.1)), learningRate: schedule.learningRate)
        ctx.metric("trainable_parameters", Double(result.trainableParameters))
        ctx.metric("accuracy_classes_5_9", result.accuracyNew)
        ctx.metric("accuracy_classes_0_4", result.accuracyOld)
        ctx.metric("training_seconds", result.seconds)
        ctx.metric("training_state_bytes", Double(result.trainingStateBytes))
        ctx.figure("accuracy", .lines(series: ["zero-shot accuracy, classes 5–9 (1,000 test images)"],
                                      yLabel: "accuracy", logScale: false))
        return Adaptation(summary: result, weights: Dictionary(uniqueKeysWithValues: trained))
    }

    //: ## Comparison
    //: A step takes at most three inputs, so `lora-ranks` gathers the three LoRA results
    //: (without their weights) for the comparison. The columns:
    //:
    //: - **accuracy**: 5-way zero-shot accuracy on all 5,000 test images of the classes, after
    //:   adaptation; on the old classes 0–4 it measures forgetting.
    //: - **trainable parameters**: `parameterCount(trainableOnly: true)`, and its share of
    //:   full fine-tuning's.
    //: - **training time**: wall-clock seconds of the optimization loop (forward, backward and
    //:   AdamW steps), without the per-epoch evaluations. It depends on what else the machine
    //:   runs: on a shared machine times are inflated and their ratios noisy.
    //: - **training state**: the bytes of the tensors that exist because a parameter is trained,
    //:   its gradient and AdamW's two moments (and a 4-byte step count per tensor), summed over
    //:   the actual tensors at the end of training: 12 bytes per trainable float32 number. Not
    //:   counted: the weights themselves (2.0 MiB, the same for every method), the activations
    //:   kept for the backward pass, and the allocator's overhead.
    //: - **checkpoint**: the bytes of the trained tensors, what must be stored per adapted task.
    let loraSummaries = lab.step("lora-ranks", lora[0], lora[1], lora[2], kind: .eval) { _, r1, r4, r16 -> [MethodSummary] in
        [r1.summary, r4.summary, r16.summary]
    }

    lab.step("comparison", before, loraSummaries, full, kind: .eval) { ctx, before, lora, full -> Nothing in
        let reference = full.summary
        let methods = lora + [reference]
        let keys = ranks.map { "rank\($0)" } + ["full"]
        var rows: [[String]] = [["pretrained, not adapted", "0", "0", percent(before.new), percent(before.old), "–", "–", "–"]]
        for m in methods {
            let fraction = Double(m.trainableParameters) / Double(reference.trainableParameters)
            let seconds = String(format: "%.1f", m.seconds)
            let state = String(format: "%.1f", Double(m.trainingStateBytes) / 1024)
            let checkpoint = String(format: "%.1f", Double(m.checkpointBytes) / 1024)
            let row = [m.method, String(m.trainableParameters), percent(fraction), percent(m.accuracyNew),
                       percent(m.accuracyOld), seconds, state, checkpoint]
            rows.append(row)
        }
        let columns = ["method", "trainable parameters", "% of full", "accuracy, new classes 5–9 (%)",
                       "accuracy, old classes 0–4 (%)", "training time (s)", "training state (KiB)", "checkpoint (KiB)"]
        ctx.table("adaptation to classes 5–9", Table(columns: columns, rows: rows))
        for (key, m) in zip(keys, methods) {
            ctx.metric("\(key)_accuracy_classes_5_9", m.accuracyNew)
            ctx.metric("\(key)_accuracy_classes_0_4", m.accuracyOld)
            guard key != "full" else { continue }
            ctx.metric("\(key)_minus_full_points", 100 * (m.accuracyNew - reference.accuracyNew))
            ctx.metric("\(key)_trainable_fraction", Double(m.trainableParameters) / Double(reference.trainableParameters))
        }
        let rank4 = lora[ranks.firstIndex(of: 4)!]
        let gap = 100 * (rank4.accuracyNew - reference.accuracyNew)
        let fraction = Double(rank4.trainableParameters) / Double(reference.trainableParameters)
        let met = gap >= -2 && fraction <= 0.05
        ctx.metric("target_met", met ? 1 : 0)
        let accuracies = "rank 4 reaches \(percent(rank4.accuracyNew))% on classes 5–9, full fine-tuning "
            + "\(percent(reference.accuracyNew))%: " + String(format: "%+.2f", gap) + " points (target: no worse than −2)"
        let parameters = "with \(rank4.trainableParameters) trainable parameters against \(reference.trainableParameters), "
            + "\(percent(fraction))% (target: at most 5%)"
        ctx.text("against the target", accuracies + ", " + parameters + ". Target " + (met ? "met." : "missed."))
        return Nothing()
    }

    //: ## Result
    //: In the recorded run (seed 0) the target is met: LoRA at rank 4 reaches 97.14% on the new
    //: classes against full fine-tuning's 97.66%, 0.52 points lower, while training 23,040
    //: parameters, 4.33% of full fine-tuning's 532,161 (the line above states it from the run's
    //: own numbers). This was the first configuration tried; nothing was tuned to reach it. It
    //: is one seed: with 5,000 test images the standard error of each accuracy is about 0.25
    //: points, so the 0.52-point gap is of the order of the sampling noise;
    //: `lab run --seeds 3` would give intervals. Rank 16 (97.32%) is within 0.2 points of
    //: rank 4 with four times the parameters; rank 1 (5,760 parameters, 1.08%) stays 3.76 points
    //: below full fine-tuning and would miss the target. The gain from rank saturates between
    //: 4 and 16, in line with Hu et al.'s finding (§7.2) that small ranks suffice. Most of the
    //: adaptation happens in the first epoch (the accuracy figures of each step).
    //:
    //: **Forgetting.** No method keeps the old classes once its update is in the weights.
    //: Trained only on captions of classes 5–9, every method falls from 93.18% to chance
    //: (about 20%) on classes 0–4. (In a run of the same file with two threads instead of one,
    //: rank 1 kept 37.3%: a difference between runs that only rounding separates, so not a
    //: finding.) Biderman et al. 2024 ("LoRA Learns Less and Forgets Less",
    //: [arXiv:2405.09673](https://arxiv.org/abs/2405.09673)) found LoRA forgetting less than
    //: full fine-tuning in language models; this small contrastive model does not show it.
    //: What LoRA keeps is the pretrained model itself: its weights are frozen, so dropping the
    //: adapter (its 90 KiB of A and B) gives back the pretrained model exactly, 93.18% on
    //: classes 0–4, and `unmerge` restores the original weights bit for bit after a merge.
    //: Full fine-tuning needs a second 2.0 MiB copy of the model for that.
    //:
    //: **Memory and time.** The training state follows the trainable parameters exactly:
    //: 270 KiB at rank 4 against 6.1 MiB for full fine-tuning, and a 90 KiB checkpoint
    //: against 2.0 MiB. Time does not follow them. LoRA skips the backward pass through the
    //: frozen convolutions (nothing below the image projection needs a gradient) and AdamW's
    //: update of 532,161 numbers, but it still runs the whole forward pass, the whole backward
    //: pass of the text tower, and two extra small matrix products per adapted layer. In the
    //: recorded run (two threads, with other work running on the machine) rank 4 trained in
    //: 71 s, rank 16 in 70 s and full fine-tuning in 100 s: about seven tenths of the time for
    //: at most a sixth of the trainable parameters. The whole run took 10 min 7 s.
}

Lab.main(experiment)
