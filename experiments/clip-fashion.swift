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
}

/// Images, their captions as token ids, labels, and the tokenizer.
struct FashionData: Codable {
    var trainImages: Tensor   // (N, 1, 28, 28)
    var trainTokens: Tensor   // (N, L) int64
    var trainLabels: Tensor   // (N) int64
    var testImages: Tensor    // (M, 1, 28, 28)
    var testTokens: Tensor    // (M, L)
    var testLabels: Tensor    // (M)
    var testCaptions: [String]
    var tokenizer: Tokenizer
}

struct TrainingSummary: Codable {
    var finalLoss: Double
    var steps: Int
    var samplesPerSecond: Double
}

/// The embedding of each class: the mean of its prompts over all templates (CLIP's prompt ensembling).
func classEmbeddings(_ clip: CLIP, _ tokenizer: Tokenizer, maxLength: Int) -> Tensor {
    Tensor.stack((0..<10).map { c in
        let prompts = Captions.templates.map { Captions.fill($0, Captions.fashionSynonyms[c][0]) }
        return clip.embed("text", tokenizer.batch(prompts, length: maxLength)).mean(dim: 0)
    })                                                                                  // (10, 128)
}

/// Zero-shot accuracy on the first `limit` test images, in evaluation mode.
func zeroShotAccuracy(_ clip: CLIP, _ data: FashionData, limit: Int) -> Double {
    clip.eval()
    return withNoGrad {
        let n = min(limit, data.testImages.size(0))
        let images = clip.embed("image", data.testImages[0..<n])
        let predicted = zeroShotClassify(images, classEmbeddings(clip, data.tokenizer, maxLength: data.testTokens.size(1)))
        return (predicted .== data.testLabels[0..<n]).to(.float32).mean().item()
    }
}

let experiment = Experiment("clip-fashion", config: Config()) { lab in
    lab.regression("zero-shot/zero_shot_accuracy", .higherIsBetter, tolerance: 0.01)

    //: ## Data
    //: Fashion-MNIST from Debian's `dataset-fashion-mnist`: 60,000 training and 10,000 test
    //: images. Each image gets one caption: a template ("a black and white photo of a …") and
    //: a WordNet synonym of its class ("sneaker", "gym shoe", "tennis shoe"), drawn with the
    //: step's seed. A word-level tokenizer is built from the training captions and prompts.
    let data = lab.data("fashion") { ctx in
        let train = try FashionMNIST.load(.train, limit: ctx.smoke ? 512 : nil)
        let test = try FashionMNIST.load(.test, limit: ctx.smoke ? 256 : nil)
        let trainCaptions = Captions.sample(labels: train.labels.asArray(Int.self), seed: ctx.seed)
        let testCaptions = Captions.sample(labels: test.labels.asArray(Int.self), seed: ctx.seed + 1)
        let prompts = Captions.templates.flatMap { t in Captions.fashionSynonyms.map { Captions.fill(t, $0[0]) } }
        let tokenizer = Tokenizer(training: trainCaptions + prompts)
        ctx.table("caption samples", Table(columns: ["class", "caption"], rows: (0..<8).map {
            [train.classNames[train.labels[$0].item(Int.self)], trainCaptions[$0]]
        }))
        return FashionData(
            trainImages: train.images, trainTokens: tokenizer.batch(trainCaptions, length: ctx.config.maxLength),
            trainLabels: train.labels, testImages: test.images,
            testTokens: tokenizer.batch(testCaptions, length: ctx.config.maxLength), testLabels: test.labels,
            testCaptions: testCaptions, tokenizer: tokenizer)
    }

    //: ## Training
    //: AdamW with a linear warm-up over the first epoch's first tenth, then cosine decay.
    //: Every batch is a contrastive problem among `batchSize` pairs; pairs of the same class
    //: are (wrongly) treated as negatives, which is CLIP's situation with web captions too.
    let model = lab.train("clip", data, model: { ctx in
        CLIP(image: ImageEncoder(imageSize: 28, channels: [32, 64], embeddingDim: 128),
             text: TextEncoder(vocabularySize: 128, maxLength: ctx.config.maxLength, width: 64, depth: 2, heads: 4,
                               dropout: 0.1, embeddingDim: 128))
    }) { ctx, model, data in
        let n = data.trainImages.size(0)
        let batch = min(ctx.config.batchSize, n)
        let perEpoch = n / batch
        let epochs = ctx.smoke ? 1 : ctx.config.epochs
        let optimizer = AdamW(model.trainableParameters(), learningRate: ctx.config.learningRate,
                              weightDecay: ctx.config.weightDecay)
        let scheduler = LRScheduler(optimizer, schedule: CosineWithWarmup(warmupSteps: max(1, perEpoch / 10),
                                                                          totalSteps: epochs * perEpoch))
        let progress = ctx.progress("batch", total: epochs * perEpoch)
        let start = Date()
        var step = 0, last = 0.0
        model.train()
        for epoch in try ctx.epochs(epochs, checkpointing: model, optimizer, scheduler: scheduler, state: &step, &last) {
            let order = Ops.call("aten::randperm", [.int(n)]).tensor(0)            // (N) a new order each epoch
            for b in 0..<perEpoch {
                let index = order[(b * batch)..<((b + 1) * batch)]
                let loss = model.loss(["image": data.trainImages.indexSelect(dim: 0, index: index),
                                       "text": data.trainTokens.indexSelect(dim: 0, index: index)])
                optimizer.zeroGrad()
                loss.backward()
                optimizer.step()
                scheduler.step()
                step = epoch * perEpoch + b
                if b % 20 == 0 || b == perEpoch - 1 {
                    last = loss.item()
                    try ctx.check("loss", last, iteration: step)
                    ctx.log("loss", last, step: step)
                    ctx.log("temperature", 1 / model.scale.item(), step: step)
                }
                progress.update(step + 1, samplesPerUnit: batch)
            }
            ctx.log("zero-shot accuracy (1,000 test images)", zeroShotAccuracy(model, data, limit: 1000), step: step)
            model.train()
            try ctx.finished(epoch: epoch, state: step, last)
        }
        ctx.figure("loss", .lines(series: ["loss"], yLabel: "symmetric InfoNCE", logScale: true))
        ctx.figure("accuracy", .lines(series: ["zero-shot accuracy (1,000 test images)"], yLabel: "accuracy", logScale: false))
        ctx.figure("temperature", .lines(series: ["temperature"], yLabel: "1 / logit scale", logScale: false))
        return TrainingSummary(finalLoss: last, steps: step + 1,
                               samplesPerSecond: Double((step + 1) * batch) / Date().timeIntervalSince(start))
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
        clip.eval()
        let (predicted, images, texts) = withNoGrad { () -> (Tensor, Tensor, Tensor) in
            let classes = classEmbeddings(clip, data.tokenizer, maxLength: ctx.config.maxLength)    // (10, 128)
            let images = Tensor.cat(data.testImages.split(size: 1000).map { clip.embed("image", $0) })   // (M, 128)
            let texts = Tensor.cat(data.testTokens.split(size: 1000).map { clip.embed("text", $0) })     // (M, 128)
            return (zeroShotClassify(images, classes), images, texts)
        }
        let accuracy = (predicted .== data.testLabels).to(.float32).mean().item()
        ctx.metric("zero_shot_accuracy", accuracy)
        // Image→text ranks the distinct captions (many test captions are the same string).
        var seen: [String: Int] = [:]
        for (i, caption) in data.testCaptions.enumerated() where seen[caption] == nil { seen[caption] = i }
        let distinct = Tensor(seen.values.sorted().map(Int64.init))
        let imageToText = classRecall(images, texts.indexSelect(dim: 0, index: distinct), queryLabels: data.testLabels,
                                      keyLabels: data.testLabels.indexSelect(dim: 0, index: distinct), ks: [1, 5, 10])
        let textToImage = classRecall(texts, images, queryLabels: data.testLabels, keyLabels: data.testLabels, ks: [1, 5, 10])
        for k in [1, 5, 10] {
            ctx.metric("image_to_text_recall@\(k)", imageToText[k]!)
            ctx.metric("text_to_image_recall@\(k)", textToImage[k]!)
        }
        var confusion = [[Double]](repeating: [Double](repeating: 0, count: 10), count: 10)
        for (p, y) in zip(predicted.asArray(Int.self), data.testLabels.asArray(Int.self)) { confusion[y][p] += 1 }
        ctx.figure("confusion", .heatmap(values: confusion, rowLabels: FashionMNIST.classNames,
                                          columnLabels: FashionMNIST.classNames, title: "Zero-shot confusion (rows: true class)"))
        // Nearest captions for the first eight test images.
        let firstEight = images[0..<8]
        let nearest = withNoGrad { firstEight.matmul(texts.T).topk(3, dim: 1).indices }.asArray(Int.self)
        let trueClasses: [String] = data.testLabels[0..<8].asArray(Int.self).map { FashionMNIST.classNames[$0] }
        let pixels: [[UInt8]] = (0..<8).map { i in (data.testImages[i] * 255.0).round().to(.uint8).flatten().asArray(UInt8.self) }
        ctx.images("test images", ImageGrid(width: 28, height: 28, pixels: pixels, captions: trueClasses))
        var rows: [[String]] = []
        for i in 0..<8 {
            let captions: [String] = nearest[(3 * i)..<(3 * i + 3)].map { data.testCaptions[$0] }
            rows.append([String(i + 1), trueClasses[i], captions.joined(separator: " · ")])
        }
        ctx.table("nearest captions", Table(columns: ["image", "true class", "nearest three captions"], rows: rows))
    }

    //: ## A baseline in pixel space
    //: Logistic regression on raw pixels, trained on `baselineImages` training images
    //: (multinomial, AdamW, full batch): what the zero-shot classifier should beat without
    //: having seen a label.
    lab.eval("baseline", data) { ctx, data in
        let n = min(ctx.config.baselineImages, data.trainImages.size(0))
        let x = data.trainImages[0..<n].flatten(start: 1), y = data.trainLabels[0..<n]
        let classifier = Linear(784, 10)
        let optimizer = AdamW(classifier.parameters(), learningRate: 0.01, weightDecay: 1e-4)
        for _ in 0..<(ctx.smoke ? 20 : 300) {
            let loss = F.crossEntropy(classifier(x), y)
            optimizer.zeroGrad(); loss.backward(); optimizer.step()
        }
        let predicted = withNoGrad { classifier(data.testImages.flatten(start: 1)).argmax(dim: 1) }
        ctx.metric("logistic_regression_accuracy", (predicted .== data.testLabels).to(.float32).mean().item())
    }
}

Lab.main(experiment)
