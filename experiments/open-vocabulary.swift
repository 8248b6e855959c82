import Foundation
import Lab

//: # Open-vocabulary zero-shot classification with pretrained encoders
//: CLIP's promise (Radford et al. 2021, [arXiv:2103.00020](https://arxiv.org/abs/2103.00020))
//: is that a class can be recognized by its name alone, without a labelled example. A text
//: tower trained from scratch cannot keep it for a word it never saw: its tokenizer maps the
//: word to `<unk>`. A pretrained text encoder can, if the image tower learns to land where
//: the encoder puts the word. We train image–caption alignment on the captions of six
//: Fashion-MNIST classes only and classify the four held-out classes by name, four ways:
//:
//: - **(a) scratch**: today's word-level text tower (a two-layer Transformer) trained from
//:   scratch with a CNN image tower, as in `clip-fashion`;
//: - **(b) frozen MiniLM**: all-MiniLM-L6-v2's sentence embeddings (Reimers and Gurevych
//:   2019, [arXiv:1908.10084](https://arxiv.org/abs/1908.10084)), frozen, with a trained
//:   projection, and the CNN trained from scratch: LiT (Zhai et al. 2022,
//:   [arXiv:2111.07991](https://arxiv.org/abs/2111.07991)) with the roles swapped, the text
//:   tower being the locked one;
//: - **(c) frozen MiniLM + frozen EfficientNet-Lite0**: both towers pretrained and frozen
//:   (the image tower's ImageNet features, 1,280-d, pooled), only the two projections trained;
//: - **(d) (b) with LoRA**: rank-`loraRank` adapters (Hu et al. 2021,
//:   [arXiv:2106.09685](https://arxiv.org/abs/2106.09685)) on the query and value projections
//:   of MiniLM's top two layers, trained with the projection and the CNN.
//:
//: Every method sees the same images, captions, batches and number of steps.

/// The classes whose captions training sees; the other four are named only at test time.
let seenClasses = [0, 1, 2, 3, 5, 8]
/// The held-out classes: coat, shirt, sneaker, ankle boot.
let unseenClasses = [4, 6, 7, 9]

struct Config: ExperimentConfig {
    /// The first n training images; those of the seen classes are kept (about 60%).
    var trainImages = 12_000
    /// The first n test images (all ten classes).
    var testImages = 5_000
    var epochs = 10
    var batchSize = 256
    var learningRate = 1e-3
    var weightDecay = 0.05
    /// LoRA's rank and alpha for (d).
    var loraRank = 8
    /// Caption length in word-level tokens for (a).
    var maxLength = 12
}

/// The captions of the experiment: every template with every synonym of every class (176
/// phrases). Images are paired with a phrase index; each text tower maps indices to embeddings.
struct Phrases: Codable {
    var texts: [String]
    /// The index of each text.
    func index(_ text: String) -> Int { texts.firstIndex(of: text)! }
    /// The indices of `texts` as an (N) int64 tensor.
    func indices(_ texts: [String]) -> Tensor {
        let lookup = Dictionary(uniqueKeysWithValues: self.texts.enumerated().map { ($1, Int64($0)) })
        return Tensor(texts.map { lookup[$0]! })
    }
}

struct OpenVocabularyData: Codable {
    /// Training images of the seen classes (N, 1, 28, 28), their labels and caption indices.
    var trainImages: Tensor, trainLabels: Tensor, trainPhrases: Tensor
    /// Test images of all ten classes, and their labels.
    var testImages: Tensor, testLabels: Tensor
    var phrases: Phrases
    /// (a)'s tokenizer, built from the seen classes' training captions only, and every phrase
    /// as its tokens (P, maxLength): held-out class words are `<unk>`.
    var tokenizer: Tokenizer
    var phraseTokens: Tensor
}

struct PretrainedFeatures: Codable {
    /// MiniLM's sentence embedding of every phrase (P, 384), unit rows.
    var sentences: Tensor
    /// MiniLM's hidden states after its fourth layer (P, T, 384), and the token mask (P, T).
    var hidden: Tensor, mask: Tensor
    /// EfficientNet-Lite0's pooled ImageNet features (N, 1280) of the training and test images.
    var trainImages: Tensor, testImages: Tensor
    var seconds: Double
}

/// (a) A word-level Transformer over each phrase's tokens.
final class WordLevelText: Module, Layer {
    @Buffer var tokens: Tensor
    let encoder: TextEncoder
    init(tokens: Tensor, vocabularySize: Int) {
        _tokens = Buffer(wrappedValue: tokens, persistent: false)
        encoder = TextEncoder(vocabularySize: vocabularySize, maxLength: tokens.size(1), width: 64, depth: 2, heads: 4,
                              dropout: 0.1, embeddingDim: 128)
    }
    func callAsFunction(_ phrases: Tensor) -> Tensor { encoder(tokens.indexSelect(dim: 0, index: phrases)) }
}

/// (b), (c) Frozen sentence embeddings and a trained projection.
final class FrozenSentenceText: Module, Layer {
    @Buffer var sentences: Tensor
    let projection: Linear
    init(sentences: Tensor) {
        _sentences = Buffer(wrappedValue: sentences, persistent: false)
        projection = Linear(sentences.size(1), 128)
    }
    func callAsFunction(_ phrases: Tensor) -> Tensor { projection(sentences.indexSelect(dim: 0, index: phrases)) }
}

/// (e) Frozen sentence embeddings used as they are: the image tower maps into MiniLM's space.
final class FixedSentenceText: Module, Layer {
    @Buffer var sentences: Tensor
    init(sentences: Tensor) { _sentences = Buffer(wrappedValue: sentences, persistent: false) }
    func callAsFunction(_ phrases: Tensor) -> Tensor { sentences.indexSelect(dim: 0, index: phrases) }
}

/// (d) MiniLM's top two layers with LoRA on query and value, over the frozen output of its
/// first four; mean pooling and normalization as sentence-transformers, then a projection.
/// Each distinct phrase of a batch runs through the layers once.
final class AdaptedSentenceText: Module, Layer {
    @Buffer var hidden: Tensor
    @Buffer var mask: Tensor
    let layers: [BertLayer]
    let projection: Linear
    init(hidden: Tensor, mask: Tensor, layers: [BertLayer], rank: Int) {
        _hidden = Buffer(wrappedValue: hidden, persistent: false)
        _mask = Buffer(wrappedValue: mask, persistent: false)
        self.layers = layers
        projection = Linear(hidden.size(2), 128)
        super.init()
        for layer in layers {
            LoRA.apply(to: layer, where: { key, _ in key == "attention.self.query" || key == "attention.self.value" },
                       rank: rank, alpha: Double(rank))
        }
    }
    func callAsFunction(_ phrases: Tensor) -> Tensor {
        let unique = Ops.call("aten::_unique2", [.tensor(phrases), .bool(true), .bool(true), .bool(false)])
        let distinct = unique.tensor(0), inverse = unique.tensor(1)
        var h = hidden.indexSelect(dim: 0, index: distinct)                                  // (U, T, H)
        let keep = mask.indexSelect(dim: 0, index: distinct).to(.float32)                   // (U, T)
        let additive = (1.0 - keep).reshape(keep.size(0), 1, 1, keep.size(1)) * Double(-Float.greatestFiniteMagnitude)
        for layer in layers { h = layer(h, additiveMask: additive) }
        let k = keep.unsqueeze(-1)
        let pooled = ((h * k).sum(dim: 1) / k.sum(dim: 1).clamp(min: 1e-9)).normalized(dim: -1)   // (U, H)
        return projection(pooled).indexSelect(dim: 0, index: inverse)
    }
}

/// 12345 as "12,345".
func grouped(_ n: Int) -> String {
    let digits = Array(String(n))
    return String(digits.enumerated().flatMap { i, d in (i > 0 && (digits.count - i) % 3 == 0) ? [",", d] : [d] })
}

/// The small CNN of `clip-fashion`, trained from scratch.
func scratchImageTower() -> ImageEncoder { ImageEncoder(imageSize: 28, channels: [32, 64], embeddingDim: 128) }

/// What each method is scored on.
struct Outcome: Codable {
    var method: String
    /// Ten-way accuracy on the seen classes' and on the held-out classes' test images, and
    /// their harmonic mean (the usual summary of generalized zero-shot classification).
    var seen: Double, unseen: Double, harmonic: Double
    /// Four-way accuracy on the held-out classes' test images, among the held-out names only.
    var unseenAmongUnseen: Double
    /// Ten-way accuracy of each class.
    var perClass: [Double]
    var trainableParameters: Int
    var seconds: Double
}

/// Trains `clip` contrastively on the seen classes' images (`images`, row i paired with
/// phrase `data.trainPhrases[i]`), then scores zero-shot classification of `testImages`.
func trainAndScore(_ ctx: Context<Config>, _ clip: CLIP, method: String, images: Tensor, testImages: Tensor,
                   _ data: OpenVocabularyData) throws -> Outcome {
    let config = ctx.config
    let loader = DataLoader(tensors: [images, data.trainPhrases], batchSize: min(config.batchSize, images.size(0)),
                            seed: ctx.seed, dropLast: true)
    let epochs = ctx.smoke ? 1 : config.epochs
    let training = Training(clip, optimizer: AdamW(clip.trainableParameters(), learningRate: config.learningRate,
                                                   weightDecay: config.weightDecay),
                            schedule: CosineWithWarmup(warmupSteps: max(1, loader.batchesPerEpoch / 2),
                                                       totalSteps: epochs * loader.batchesPerEpoch))
    let progress = ctx.progress("batch", total: epochs * loader.batchesPerEpoch)
    var seconds = 0.0
    clip.train()
    for epoch in try ctx.epochs(epochs, training: training, state: &seconds) {
        let start = Date()
        for batch in loader.epoch(epoch) {
            let loss = clip.loss(["image": batch[0], "text": batch[1]])
            training.step(loss)
            if training.steps % 10 == 0 {
                let value = loss.item()
                try ctx.check("loss", value, iteration: training.steps)
                ctx.log("loss", value, step: training.steps)
            }
            progress.update(training.steps, samplesPerUnit: loader.batchSize)
        }
        seconds += Date().timeIntervalSince(start)
        try ctx.finished(epoch: epoch, state: seconds)
    }
    ctx.figure("loss", .lines(series: ["loss"], yLabel: "symmetric InfoNCE", logScale: false))

    let classifier = ZeroShotClassifier(clip, classNames: CaptionedFashion.promptNames) { data.phrases.indices($0) }
    clip.eval()
    let embeddings = withNoGrad { Tensor.cat(testImages.split(size: 1000).map { clip.embed("image", $0) }) }
    let predicted = zeroShotClassify(embeddings, classifier.classEmbeddings).asArray(Int.self)
    let labels = data.testLabels.asArray(Int.self)
    func share(_ keep: (Int, Int) -> Bool, of classes: [Int]) -> Double {
        let rows = labels.indices.filter { classes.contains(labels[$0]) }
        return Double(rows.filter { keep(predicted[$0], labels[$0]) }.count) / Double(max(1, rows.count))
    }
    let seen = share(==, of: seenClasses), unseen = share(==, of: unseenClasses)
    // Among the held-out names only: the nearest of the four held-out class embeddings.
    let restricted = zeroShotClassify(embeddings, classifier.classEmbeddings.indexSelect(
        dim: 0, index: Tensor(unseenClasses.map(Int64.init)))).asArray(Int.self)
    let unseenRows = labels.indices.filter { unseenClasses.contains(labels[$0]) }
    let amongUnseen = Double(unseenRows.filter { unseenClasses[restricted[$0]] == labels[$0] }.count) / Double(max(1, unseenRows.count))
    let perClass = (0..<10).map { c in share(==, of: [c]) }
    let outcome = Outcome(method: method, seen: seen, unseen: unseen,
                          harmonic: seen + unseen > 0 ? 2 * seen * unseen / (seen + unseen) : 0,
                          unseenAmongUnseen: amongUnseen, perClass: perClass,
                          trainableParameters: clip.parameterCount(trainableOnly: true), seconds: seconds)
    ctx.metric("seen_accuracy", seen)
    ctx.metric("unseen_accuracy", unseen)
    ctx.metric("unseen_among_unseen_accuracy", amongUnseen)
    ctx.metric("harmonic_mean", outcome.harmonic)
    ctx.metric("trainable_parameters", Double(outcome.trainableParameters))
    ctx.metric("training_seconds", seconds)
    return outcome
}

let experiment = Experiment("open-vocabulary", config: Config()) { lab in
    //: ## Data
    //: Fashion-MNIST's first `trainImages` training images, of which those of the six seen
    //: classes (T-shirt/top, trouser, pullover, dress, sandal, bag) are kept, each with a
    //: caption drawn from the eight templates and the WordNet synonyms of its class
    //: ("a picture of a handbag"), and all `testImages` test images of the ten classes. The
    //: held-out classes — coat, shirt, sneaker, ankle boot — never appear in a training
    //: caption; (a)'s tokenizer, built from the training captions, has no id for their names.
    let data = lab.data("fashion") { ctx -> OpenVocabularyData in
        let all = try CaptionedFashion.load(trainLimit: ctx.smoke ? 512 : ctx.config.trainImages,
                                            testLimit: ctx.smoke ? 128 : ctx.config.testImages,
                                            seed: ctx.seed, length: ctx.config.maxLength)
        let train = all.train.selecting(classes: seenClasses)
        // `selecting` renumbers labels 0..<6; map them back to Fashion-MNIST's.
        let labels = Tensor(train.labels.asArray(Int.self).map { Int64(seenClasses[$0]) })
        let phrases = Phrases(texts: Captions.templates.flatMap { t in
            Captions.fashionSynonyms.flatMap { words in words.map { Captions.fill(t, $0) } }
        })
        let tokenizer = Tokenizer(training: train.captions)
        let unknown = Captions.fashionSynonyms.enumerated().filter { unseenClasses.contains($0.offset) }
            .flatMap(\.element).filter { name in tokenizer.encode(name).allSatisfy { $0 == 1 } }
        ctx.text("held-out names", "Names of held-out classes with no token in (a)'s vocabulary: \(unknown.joined(separator: ", ")).")
        ctx.metric("training_images", Double(train.count))
        ctx.metric("phrases", Double(phrases.texts.count))
        ctx.metric("vocabulary_size", Double(tokenizer.count))
        return OpenVocabularyData(trainImages: train.images, trainLabels: labels, trainPhrases: phrases.indices(train.captions),
                                  testImages: all.test.images, testLabels: all.test.labels, phrases: phrases,
                                  tokenizer: tokenizer, phraseTokens: tokenizer.batch(phrases.texts, length: ctx.config.maxLength))
    }

    //: ## Pretrained features
    //: Computed once: MiniLM's sentence embedding of each of the 176 phrases and its hidden
    //: states after layer 4 (the input of (d)'s adapted layers), and EfficientNet-Lite0's
    //: pooled features of every image, after its standard preprocessing (bilinear resize to
    //: 256, centre crop 224, grey replicated to RGB). Both models come from `.venv/models`,
    //: installed by `scripts/install-deps`.
    let features = lab.data("pretrained-features", data) { ctx, data -> PretrainedFeatures in
        let start = Date()
        let minilm = try SentenceEncoder.pretrained("all-MiniLM-L6-v2")
        minilm.eval()
        let sentences = minilm.embed(data.phrases.texts)
        let (ids, mask) = minilm.tokenize(data.phrases.texts)
        let hidden = withNoGrad { minilm.bert.hiddenStates(ids: ids, mask: mask)[4] }
        let net = try EfficientNetLite.pretrained()
        net.eval()
        let total = data.trainImages.size(0) + data.testImages.size(0)
        let progress = ctx.progress("image", total: total, unit: "image")
        var done = 0
        func embed(_ images: Tensor) -> Tensor {
            withNoGrad {
                Tensor.cat(images.split(size: 50).map { chunk in
                    let f = net.features(EfficientNetLite.preprocess(chunk))
                    done += chunk.size(0)
                    progress.update(done)
                    return f
                })
            }
        }
        let train = embed(data.trainImages), test = embed(data.testImages)
        let seconds = Date().timeIntervalSince(start)
        ctx.metric("images_per_second", Double(total) / seconds)
        return PretrainedFeatures(sentences: sentences, hidden: hidden, mask: mask, trainImages: train, testImages: test,
                                  seconds: seconds)
    }

    //: ## Training
    //: The same recipe for every method: symmetric InfoNCE over batches of `batchSize`
    //: image–caption pairs for `epochs` epochs, AdamW with a half-epoch warm-up and cosine decay,
    //: CLIP's learnable temperature. Pairs of the same class in a batch count as negatives.
    let scratch = lab.train("a-scratch", data, features, model: { _, data, _ in
        CLIP(image: scratchImageTower(), text: WordLevelText(tokens: data.phraseTokens, vocabularySize: data.tokenizer.count))
    }) { ctx, clip, data, _ in
        try trainAndScore(ctx, clip, method: "(a) scratch", images: data.trainImages, testImages: data.testImages, data)
    }
    let frozen = lab.train("b-frozen-minilm", data, features, model: { _, _, features in
        CLIP(image: scratchImageTower(), text: FrozenSentenceText(sentences: features.sentences))
    }) { ctx, clip, data, _ in
        try trainAndScore(ctx, clip, method: "(b) frozen MiniLM", images: data.trainImages, testImages: data.testImages, data)
    }
    let bothFrozen = lab.train("c-frozen-both", data, features, model: { _, _, features in
        CLIP(image: Linear(EfficientNetLite.featureDim, 128), text: FrozenSentenceText(sentences: features.sentences))
    }) { ctx, clip, data, features in
        try trainAndScore(ctx, clip, method: "(c) frozen MiniLM + EfficientNet", images: features.trainImages,
                          testImages: features.testImages, data)
    }
    let adapted = lab.train("d-lora-minilm", data, features, model: { ctx, _, features -> CLIP in
        let minilm = try SentenceEncoder.pretrained("all-MiniLM-L6-v2")
        return CLIP(image: scratchImageTower(),
                    text: AdaptedSentenceText(hidden: features.hidden, mask: features.mask,
                                              layers: Array(minilm.bert.layers[4...]), rank: ctx.config.loraRank))
    }) { ctx, clip, data, _ in
        try trainAndScore(ctx, clip, method: "(d) MiniLM + LoRA", images: data.trainImages, testImages: data.testImages, data)
    }

    //: **(e)**, added after (a)–(d) gave no better than chance on the held-out classes: (c)
    //: without the text projection. MiniLM's embeddings are used as they are, and only a linear
    //: map from EfficientNet's features into MiniLM's 384-d space is trained, so the held-out
    //: names keep the positions MiniLM gives them instead of wherever a projection trained on
    //: six classes' captions sends them.
    let intoMiniLM = lab.train("e-into-minilm", data, features, model: { _, _, features in
        CLIP(image: Linear(EfficientNetLite.featureDim, features.sentences.size(1)), text: FixedSentenceText(sentences: features.sentences))
    }) { ctx, clip, data, features in
        try trainAndScore(ctx, clip, method: "(e) EfficientNet into MiniLM's space", images: features.trainImages,
                          testImages: features.testImages, data)
    }

    //: ## Comparison
    //: Ten-way accuracy on the test images of the seen and of the held-out classes (every
    //: image may be given any of the ten names), their harmonic mean, and four-way accuracy on
    //: the held-out images among the held-out names only. Chance is 10% ten-way and 25%
    //: four-way.
    lab.step("comparison", inputs: scratch, frozen, bothFrozen, adapted, intoMiniLM, kind: .eval) { ctx, a, b, c, d, e -> Nothing in
        let outcomes = [a.result, b.result, c.result, d.result, e.result]
        let keys = ["a", "b", "c", "d", "e"]
        func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
        ctx.table("accuracy", Table(columns: ["method", "seen (10-way)", "held-out (10-way)", "harmonic mean",
                                              "held-out (4-way)", "trainable parameters", "training time"],
                                    rows: outcomes.map { o in
            [o.method, percent(o.seen), percent(o.unseen), percent(o.harmonic), percent(o.unseenAmongUnseen),
             grouped(o.trainableParameters), String(format: "%.0f s", o.seconds)]
        }))
        for (key, o) in zip(keys, outcomes) {
            ctx.metric("seen_\(key)", o.seen)
            ctx.metric("unseen_\(key)", o.unseen)
            ctx.metric("unseen_4way_\(key)", o.unseenAmongUnseen)
            ctx.metric("harmonic_\(key)", o.harmonic)
        }
        ctx.table("per class", Table(columns: ["method"] + FashionMNIST.classNames.enumerated().map {
            unseenClasses.contains($0.offset) ? $0.element + " (held out)" : $0.element
        }, rows: outcomes.map { o in [o.method] + o.perClass.map(percent) }))
        for (key, o) in zip(keys, outcomes) {
            for c in unseenClasses { ctx.metric("class_\(c)_\(key)", o.perClass[c]) }
        }
        ctx.figure("per-class accuracy", .heatmap(values: outcomes.map(\.perClass), rowLabels: outcomes.map(\.method),
                                                  columnLabels: FashionMNIST.classNames.enumerated().map {
                                                      unseenClasses.contains($0.offset) ? $0.element + " (held out)" : $0.element
                                                  }, title: "Ten-way zero-shot accuracy per class"))
        return Nothing()
    }

    //: ## What the figures show
    //: From `lab run experiments/open-vocabulary.swift --seeds 3` (seeds 0, 1, 2; `seeds.md`
    //: beside this report has every metric), mean ± 95% interval; the tables above are seed 0.
    //:
    //: | method | seen (10-way) | held-out (10-way) | held-out (4-way) | training time |
    //: | --- | --- | --- | --- | --- |
    //: | (a) scratch | 92.5 ± 1.5% | 3.7 ± 1.8% | 32.0 ± 24.0% | 48 s |
    //: | (b) frozen MiniLM | 83.3 ± 6.4% | 6.4 ± 1.9% | 30.3 ± 21.9% | 31 s |
    //: | (c) frozen MiniLM + EfficientNet | 81.3 ± 1.2% | 7.1 ± 1.0% | 30.5 ± 21.5% | 1.2 s |
    //: | (d) MiniLM + LoRA | 84.8 ± 5.1% | 6.4 ± 2.5% | 31.2 ± 18.6% | 64 s |
    //: | (e) EfficientNet into MiniLM's space | 85.1 ± 1.8% | 5.1 ± 1.1% | 28.9 ± 3.5% | 1.8 s |
    //:
    //: **No method recognizes the held-out classes by name.** Among the four held-out names,
    //: every method is within its interval of chance (25%), and in ten-way classification every
    //: one names fewer than one held-out image in ten correctly, below the 10% of chance, because
    //: the held-out images are given seen names. The pretrained text encoder did not buy what
    //: the issue expected of it here: (b)–(e) are not meaningfully above (a) on held-out classes.
    //:
    //: **Where the held-out images go.** The per-class table (seed 0) shows it: no method names a
    //: single sneaker or ankle boot correctly (0.0% for all five) and coats almost never
    //: (0.2–1.3%), while the seen classes other than T-shirts stay at 88–100%. The one held-out
    //: name that wins images is "shirt" (16–29%), and with the pretrained text towers it wins
    //: them at the expense of T-shirts (74% of T-shirts named correctly by (a), 12–25% by
    //: (b)–(e)): MiniLM places "shirt" next to "t-shirt", so T-shirt images are now split between
    //: the two names. The pretrained text space transfers the *neighbourhood* of a new word,
    //: which is what the word-level tower cannot do ("shirt" has an id in (a)'s vocabulary only
    //: through "tee shirt"); but the image side has no place of its own for the held-out items.
    //:
    //: **What limits it.** Six classes are six concepts. Contrastive training only has to pull
    //: each seen class's images towards its captions; the image tower — from scratch, or a linear
    //: map on EfficientNet's ImageNet features — learns the directions that separate six
    //: clusters and nothing forces it to keep the others, so a held-out item lands near some
    //: seen cluster (which one was not measured; sandals, the only seen footwear, are the
    //: likely place for sneakers and boots), and the nearest name is a seen one. (e) removes the text
    //: projection, so the held-out names keep MiniLM's positions, and changes nothing: the
    //: limit is the image map learned from six classes, not where the names land. CLIP's
    //: zero-shot transfer comes from training on hundreds of millions of pairs covering a very
    //: large number of concepts (400 million pairs; Radford et al. 2021, §2.2); with six, the shared space is six
    //: clusters wide. What would test this further, and is not done here: more seen classes
    //: (e.g. eight, holding out two), a regularizer that keeps the image map close to a map
    //: fitted on many ImageNet concepts, or image–text pairs that name parts and attributes
    //: shared across classes ("laces", "sleeves", "heel").
    //:
    //: **Cost.** (c) and (e) train only linear maps over features computed once (EfficientNet
    //: ran at about 20 images per second on this machine's two threads: 597 s for the 12,154
    //: images), so each of their runs trains in about 2 s; the CNN tower costs 30–50 s; LoRA on
    //: MiniLM's top two layers costs 64 s for 24,576 more trainable parameters than (b), LoRA's
    //: A and B (494,209 against 469,633).
}

Lab.main(experiment)
