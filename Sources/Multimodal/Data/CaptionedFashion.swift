import Torch

/// Fashion-MNIST with a caption for every image (``Captions``: a template and a WordNet
/// synonym of the class, "a picture of a gym shoe"), a word-level tokenizer and the
/// captions as token ids: the data of the contrastive experiments.
public struct CaptionedFashion: Codable {
    /// The training split (60,000 images, or `trainLimit`).
    public var train: CaptionedImages
    /// The test split (10,000 images, or `testLimit`).
    public var test: CaptionedImages
    /// The tokenizer the captions were encoded with.
    public var tokenizer: Tokenizer

    /// What the tokenizer's vocabulary is built from.
    public enum Vocabulary: String, Codable, Sendable {
        /// The training captions and the zero-shot prompts (each template with each class's
        /// first synonym): a word of the test captions never seen in training is `<unk>`.
        case trainingCaptionsAndPrompts
        /// Every template with every synonym of every class: every word of every class has
        /// an id, whether or not training shows it.
        case everyPhrase
    }

    /// The name each class is prompted by in zero-shot classification: its first synonym.
    public static var promptNames: [String] { Captions.fashionSynonyms.map { $0[0] } }

    /// Loads Fashion-MNIST and captions it: training captions drawn with `seed`, test
    /// captions with `seed + 1`.
    /// - Parameters:
    ///   - trainLimit: keep the first n training images (smoke runs); nil: all.
    ///   - testLimit: keep the first n test images; nil: all.
    ///   - length: tokens per caption (padded or cut).
    /// - Throws: ``MultimodalError`` when Fashion-MNIST is not installed or is damaged.
    public static func load(trainLimit: Int? = nil, testLimit: Int? = nil, seed: UInt64, length: Int,
                            vocabulary: Vocabulary = .trainingCaptionsAndPrompts) throws -> CaptionedFashion {
        let train = try FashionMNIST.load(.train, limit: trainLimit)
        let test = try FashionMNIST.load(.test, limit: testLimit)
        let trainCaptions = Captions.sample(labels: train.labels.asArray(Int.self), seed: seed)
        let testCaptions = Captions.sample(labels: test.labels.asArray(Int.self), seed: seed + 1)
        let tokenizer: Tokenizer
        switch vocabulary {
        case .trainingCaptionsAndPrompts:
            let prompts = Captions.templates.flatMap { t in promptNames.map { Captions.fill(t, $0) } }
            tokenizer = Tokenizer(training: trainCaptions + prompts)
        case .everyPhrase:
            tokenizer = Tokenizer(training: Captions.templates.flatMap { t in
                Captions.fashionSynonyms.flatMap { words in words.map { Captions.fill(t, $0) } }
            })
        }
        return CaptionedFashion(
            train: CaptionedImages(images: train.images, labels: train.labels, captions: trainCaptions,
                                   tokens: tokenizer.batch(trainCaptions, length: length)),
            test: CaptionedImages(images: test.images, labels: test.labels, captions: testCaptions,
                                  tokens: tokenizer.batch(testCaptions, length: length)),
            tokenizer: tokenizer)
    }
}
