import Torch

/// Zero-shot classification with a contrastive model, with CLIP's prompt ensembling
/// (Radford et al. 2021, §3.1.4): each class is represented by the mean of the text
/// embeddings of several prompts that name it ("a photo of a sneaker", "a picture of a
/// sneaker", …), and an image gets the class whose representation is nearest.
///
/// ```swift
/// let classifier = ZeroShotClassifier(clip, tokenizer: data.tokenizer, classNames: ["sneaker", "bag"], length: 12)
/// let accuracy = classifier.accuracy(clip, images: test.images, targets: test.labels)
/// ```
public struct ZeroShotClassifier {
    /// (C, D): row c the mean of class c's prompt embeddings (not renormalized; the
    /// classification normalizes, so only the direction matters).
    public let classEmbeddings: Tensor
    /// The prompts of each class, in order: `templates` filled with its name.
    public let prompts: [[String]]

    /// Embeds every template filled with every class name through `clip`'s `tower`, in
    /// evaluation mode and without gradients (the model's mode is restored after).
    /// - Parameters:
    ///   - classNames: one name per class, in class-index order.
    ///   - templates: prompt templates, `{}` where the name goes (``Captions/templates`` by default).
    ///   - length: the token length prompts are padded or cut to (the captions' length in training).
    ///   - tower: the text modality's name in `clip`.
    public init(_ clip: CLIP, tokenizer: Tokenizer, classNames: [String], templates: [String] = Captions.templates,
                length: Int, tower: String = "text") {
        self.init(clip, classNames: classNames, templates: templates, tower: tower) { tokenizer.batch($0, length: length) }
    }

    /// As ``init(_:tokenizer:classNames:templates:length:tower:)``, for a text tower whose input
    /// is not word-level tokens: `inputs` turns one class's prompts into the tower's input batch
    /// (WordPiece ids, indices into a table of phrases, …).
    public init(_ clip: CLIP, classNames: [String], templates: [String] = Captions.templates, tower: String = "text",
                inputs: ([String]) -> Tensor) {
        let prompts = classNames.map { name in templates.map { Captions.fill($0, name) } }
        self.prompts = prompts
        classEmbeddings = ZeroShotClassifier.evaluating(clip) {
            let device = ZeroShotClassifier.device(of: clip)
            return Tensor.stack(prompts.map { clip.embed(tower, inputs($0).to(device)).mean(dim: 0) })
        }
    }

    /// The predicted class of each image: (N, …) images → (N) int64 indices into the classes,
    /// on the CPU. Images are embedded `chunkSize` at a time through `tower`, in evaluation
    /// mode, on the model's device (each chunk is moved there when the model is on a GPU).
    public func predict(_ clip: CLIP, images: Tensor, tower: String = "image", chunkSize: Int = 1000) -> Tensor {
        ZeroShotClassifier.evaluating(clip) {
            let device = ZeroShotClassifier.device(of: clip)
            let embeddings = Tensor.cat(images.split(size: chunkSize).map { clip.embed(tower, $0.to(device)) })
            return zeroShotClassify(embeddings, classEmbeddings).to(.cpu)
        }
    }

    /// The fraction of `images` whose predicted class is `targets` ((N) int64 class indices).
    public func accuracy(_ clip: CLIP, images: Tensor, targets: Tensor, tower: String = "image", chunkSize: Int = 1000) -> Double {
        Multimodal.accuracy(predict(clip, images: images, tower: tower, chunkSize: chunkSize), targets)
    }

    /// Where `model`'s parameters are (the CPU for a model without any).
    static func device(of model: Module) -> Device { model.parameters().first?.device ?? .cpu }

    /// `body` in evaluation mode without gradients, the model's mode restored after.
    static func evaluating<T>(_ model: Module, _ body: () -> T) -> T {
        let wasTraining = model.isTraining
        model.eval()
        defer { if wasTraining { model.train() } }
        return withNoGrad(body)
    }
}
