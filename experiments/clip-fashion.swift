import Foundation
import Lab

//: # Contrastive image–caption pretraining on Fashion-MNIST
//: CLIP (Radford et al. 2021, [arXiv:2103.00020](https://arxiv.org/abs/2103.00020)) learns one
//: embedding space for images and text by contrasting each matched image–caption pair with
//: every other pair in the batch (the symmetric InfoNCE loss). Nothing tells the model the
//: ten classes: it only sees images and captions such as "a picture of a gym shoe". Yet after
//: training it classifies test images *zero-shot*, by embedding one prompt per class
//: ("a photo of a sneaker") and picking the nearest.
//:
//: Two towers: a small CNN for the 28×28 images and a two-layer pre-norm Transformer for
//: the captions, each projected to 128 dimensions and L2-normalized; a learnable
//: temperature starts at 1/0.07, as in CLIP.

struct Config: ExperimentConfig {
    var epochs = 8
    /// 256 pairs: 255 negatives per positive (the guide's advice is at least 64).
    var batchSize = 256
    var learningRate = 1e-3
    /// AdamW's decoupled weight decay.
    var weightDecay = 0.05
    /// Caption length in tokens; the longest caption has 9 words.
    var maxLength = 12
    /// Training images used by the pixel-space baseline (logistic regression).
    var baselineImages = 5000
    /// The training step's arithmetic: `fp32`, or mixed precision with `bf16` or `fp16`
    /// (autocast runs the convolutions and matrix products in the lower precision; weights
    /// stay float32; `fp16` adds a gradient scaler).
    var precision = Precision.float32
}

struct TrainingSummary: Codable {
    var finalLoss: Double
    var steps: Int
    var samplesPerSecond: Double
}

/// The two towers: a CNN for the images and a pre-norm Transformer for the captions, each
/// projected to 128 dimensions, with a token table sized to the vocabulary.
func makeCLIP(vocabularySize: Int, maxLength: Int) -> CLIP {
    CLIP(image: ImageEncoder(imageSize: 28, channels: [32, 64], embeddingDim: 128),
         text: TextEncoder(vocabularySize: vocabularySize, maxLength: maxLength, width: 64, depth: 2, heads: 4,
                           dropout: 0.1, embeddingDim: 128))
}

/// Zero-shot classification of the ten classes, each the mean of its name's prompts over all
/// templates (CLIP's prompt ensembling).
func zeroShotClassifier(_ clip: CLIP, _ data: CaptionedFashion, length: Int) -> ZeroShotClassifier {
    ZeroShotClassifier(clip, tokenizer: data.tokenizer, classNames: CaptionedFashion.promptNames, length: length)
}

let experiment = Experiment("clip-fashion", config: Config()) { lab in
    lab.regression("zero-shot/zero_shot_accuracy", .higherIsBetter, tolerance: 0.01)

    //: ## Data
    //: Fashion-MNIST from Debian's `dataset-fashion-mnist`: 60,000 training and 10,000 test
    //: images. Each image gets one caption: a template ("a black and white photo of a …") and
    //: a WordNet synonym of its class ("sneaker", "gym shoe", "tennis shoe"), drawn with the
    //: step's seed. A word-level tokenizer is built from the training captions and prompts.
    let data = lab.data("fashion") { ctx in
        let data = try CaptionedFashion.load(trainLimit: ctx.smoke ? 512 : nil, testLimit: ctx.smoke ? 256 : nil,
                                             seed: ctx.seed, length: ctx.config.maxLength)
        ctx.table("caption samples", Table(columns: ["class", "caption"], rows: (0..<8).map {
            [FashionMNIST.classNames[data.train.labels[$0].item(Int.self)], data.train.captions[$0]]
        }))
        ctx.metric("vocabulary_size", Double(data.tokenizer.count))
        return data
    }

    //: ## Training
    //: AdamW with a linear warm-up over the first epoch's first tenth, then cosine decay.
    //: Every batch is a contrastive problem among `batchSize` pairs; pairs of the same class
    //: are (wrongly) treated as negatives, which is CLIP's situation with web captions too.
    //: Run on N ranks (`lab run --nproc N`), each rank embeds `batchSize / N` pairs and the
    //: loss gathers every rank's embeddings, so the contrastive problem stays the same.
    let model = lab.train("clip", data, model: { ctx, data in
        makeCLIP(vocabularySize: data.tokenizer.count, maxLength: ctx.config.maxLength)
    }) { ctx, model, data in
        // Training computes on ctx.device (`lab run --device`); the batches follow, copied from
        // pinned memory without blocking when it is a GPU. The trained weights go back to the CPU.
        model.to(ctx.device)
        defer { model.to(.cpu) }
        let epochs = ctx.smoke ? 1 : ctx.config.epochs
        // With `lab run --nproc N`: each rank takes batchSize / N of every batch, and the loss
        // gathers all ranks' embeddings, so every pair still has batchSize − 1 negatives.
        let loader = try ctx.shard(DataLoader(tensors: [data.train.images, data.train.tokens],
                                              batchSize: min(ctx.config.batchSize, data.train.count), seed: ctx.seed, dropLast: true))
            .to(ctx.device)
        let perEpoch = loader.batchesPerEpoch
        let training = Training(model, optimizer: AdamW(model.trainableParameters(), learningRate: ctx.config.learningRate,
                                                        weightDecay: ctx.config.weightDecay),
                                schedule: CosineWithWarmup(warmupSteps: max(1, perEpoch / 10), totalSteps: epochs * perEpoch),
                                scaler: ctx.config.precision == .float16 ? GradScaler() : nil)
        let monitored = min(1000, data.test.count)
        let progress = ctx.progress("batch", total: epochs * perEpoch)
        let start = Date()
        var last = 0.0
        model.train()
        for epoch in try ctx.epochs(epochs, training: training, state: &last) {
            for (b, batch) in loader.epoch(epoch).enumerated() {
                let loss = try withAutocast(ctx.config.precision, on: ctx.device) {
                    try model.loss(["image": batch[0], "text": batch[1]], gather: ctx.gathered)
                }
                training.step(loss)
                let step = training.steps - 1
                if b % 20 == 0 || b == perEpoch - 1 {
                    last = loss.item()
                    try ctx.check("loss", last, iteration: step)
                    ctx.log("loss", last, step: step)
                    ctx.log("temperature", 1 / model.scale.item(), step: step)
                }
                progress.update(step + 1, samplesPerUnit: loader.batchSize * ctx.worldSize)
            }
            let accuracy = zeroShotClassifier(model, data, length: ctx.config.maxLength)
                .accuracy(model, images: data.test.images[0..<monitored], targets: data.test.labels[0..<monitored])
            ctx.log("zero-shot accuracy (1,000 test images)", accuracy, step: training.steps - 1)
            try ctx.finished(epoch: epoch, state: last)
        }
        ctx.figure("loss", .lines(series: ["loss"], yLabel: "symmetric InfoNCE", logScale: true))
        ctx.figure("accuracy", .lines(series: ["zero-shot accuracy (1,000 test images)"], yLabel: "accuracy", logScale: false))
        ctx.figure("temperature", .lines(series: ["temperature"], yLabel: "1 / logit scale", logScale: false))
        return TrainingSummary(finalLoss: last, steps: training.steps,
                               samplesPerSecond: Double(training.steps * loader.batchSize * ctx.worldSize) / Date().timeIntervalSince(start))
    }

    //: ## Zero-shot classification and retrieval
    //: Each class is embedded as the mean of its prompts over all templates (CLIP's prompt
    //: ensembling); a test image's class is the nearest class embedding. Retrieval runs over
    //: the 10,000 test images and their captions, in both directions. Since a caption
    //: describes a class, not one image ("a photo of a coat" fits a thousand test images),
    //: recall@k counts a query as found when one of its k nearest items has the query's class.
    //: Image→text ranks the distinct captions only, since many test captions are the same string.
    lab.eval("zero-shot", model, data) { ctx, trained, data in
        let clip = trained.model
        let test = data.test
        clip.eval()
        let classes = zeroShotClassifier(clip, data, length: ctx.config.maxLength)
        let (images, texts) = withNoGrad { () -> (Tensor, Tensor) in
            (Tensor.cat(test.images.split(size: 1000).map { clip.embed("image", $0) }),   // (M, 128)
             Tensor.cat(test.tokens.split(size: 1000).map { clip.embed("text", $0) }))    // (M, 128)
        }
        let predicted = zeroShotClassify(images, classes.classEmbeddings)
        ctx.metric("zero_shot_accuracy", accuracy(predicted, test.labels))
        // Image→text ranks the distinct captions (many test captions are the same string).
        var seen: [String: Int] = [:]
        for (i, caption) in test.captions.enumerated() where seen[caption] == nil { seen[caption] = i }
        let distinct = Tensor(seen.values.sorted().map(Int64.init))
        let imageToText = classRecall(images, texts.indexSelect(dim: 0, index: distinct), queryLabels: test.labels,
                                      keyLabels: test.labels.indexSelect(dim: 0, index: distinct), ks: [1, 5, 10])
        let textToImage = classRecall(texts, images, queryLabels: test.labels, keyLabels: test.labels, ks: [1, 5, 10])
        for k in [1, 5, 10] {
            ctx.metric("image_to_text_recall@\(k)", imageToText[k]!)
            ctx.metric("text_to_image_recall@\(k)", textToImage[k]!)
        }
        var confusion = [[Double]](repeating: [Double](repeating: 0, count: 10), count: 10)
        for (p, y) in zip(predicted.asArray(Int.self), test.labels.asArray(Int.self)) { confusion[y][p] += 1 }
        ctx.figure("confusion", .heatmap(values: confusion, rowLabels: FashionMNIST.classNames,
                                          columnLabels: FashionMNIST.classNames, title: "Zero-shot confusion (rows: true class)"))
        // Nearest captions for the first eight test images.
        let firstEight = images[0..<8]
        let nearest = withNoGrad { firstEight.matmul(texts.T).topk(3, dim: 1).indices }.asArray(Int.self)
        let trueClasses: [String] = test.labels[0..<8].asArray(Int.self).map { FashionMNIST.classNames[$0] }
        let pixels: [[UInt8]] = (0..<8).map { i in (test.images[i] * 255.0).round().to(.uint8).flatten().asArray(UInt8.self) }
        ctx.images("test images", ImageGrid(width: 28, height: 28, pixels: pixels, captions: trueClasses))
        var rows: [[String]] = []
        for i in 0..<8 {
            let captions: [String] = nearest[(3 * i)..<(3 * i + 3)].map { test.captions[$0] }
            rows.append([String(i + 1), trueClasses[i], captions.joined(separator: " · ")])
        }
        ctx.table("nearest captions", Table(columns: ["image", "true class", "nearest three captions"], rows: rows))
    }

    //: ## A baseline in pixel space
    //: Logistic regression on raw pixels, trained on `baselineImages` training images
    //: (multinomial, AdamW, full batch): what the zero-shot classifier should beat without
    //: having seen a label.
    lab.eval("baseline", data) { ctx, data in
        let n = min(ctx.config.baselineImages, data.train.count)
        let x = data.train.images[0..<n].flatten(start: 1), y = data.train.labels[0..<n]
        let classifier = Linear(784, 10)
        let optimizer = AdamW(classifier.parameters(), learningRate: 0.01, weightDecay: 1e-4)
        for _ in 0..<(ctx.smoke ? 20 : 300) {
            let loss = F.crossEntropy(classifier(x), y)
            optimizer.zeroGrad(); loss.backward(); optimizer.step()
        }
        let logits = withNoGrad { classifier(data.test.images.flatten(start: 1)) }
        ctx.metric("logistic_regression_accuracy", accuracy(logits: logits, targets: data.test.labels))
    }
}

Lab.main(experiment)
