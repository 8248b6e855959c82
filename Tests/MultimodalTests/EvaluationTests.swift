import Testing
import Torch
@testable import Multimodal

@Suite(.serialized) struct EvaluationTests {
    @Test func accuracyCountsMatchesAndArgmaxes() {
        #expect(accuracy(Tensor([Int64(1), 2, 3, 4]), Tensor([Int64(1), 0, 3, 0])) == 0.5)
        let logits = Tensor([Float(0.1), 0.9, 0.8, 0.2, 0.3, 0.7], shape: [3, 2])
        #expect(abs(accuracy(logits: logits, targets: Tensor([Int64(1), 0, 0])) - 2.0 / 3.0) < 1e-7)
    }

    /// The classifier's class embedding is the mean of the prompts' embeddings over all
    /// templates, its predictions those of `zeroShotClassify`, and the model's mode is kept.
    @Test func zeroShotClassifierEnsemblesPromptsAndKeepsTheMode() {
        manualSeed(41)
        let tokenizer = Tokenizer(training: Captions.templates.flatMap { t in ["coat", "bag", "boot"].map { Captions.fill(t, $0) } })
        let clip = CLIP(image: ImageEncoder(imageSize: 8, channels: [4], embeddingDim: 6),
                        text: TextEncoder(vocabularySize: tokenizer.count, maxLength: 7, width: 8, depth: 1, heads: 2, embeddingDim: 6))
        clip.train()
        let classifier = ZeroShotClassifier(clip, tokenizer: tokenizer, classNames: ["coat", "bag", "boot"], length: 7)
        #expect(clip.isTraining, "the model's training mode is restored")
        #expect(classifier.prompts[1][0] == "a photo of a bag" && classifier.prompts[0].count == Captions.templates.count)
        clip.eval()
        let expected = withNoGrad {
            Tensor.stack(classifier.prompts.map { clip.embed("text", tokenizer.batch($0, length: 7)).mean(dim: 0) })
        }
        #expect(maxAbsDifference(classifier.classEmbeddings, expected) <= 1e-6)
        let images = Tensor.rand([5, 1, 8, 8])
        let predicted = classifier.predict(clip, images: images, chunkSize: 2)
        let direct = zeroShotClassify(withNoGrad { clip.embed("image", images) }, classifier.classEmbeddings)
        #expect(predicted.asArray(Int.self) == direct.asArray(Int.self))
        #expect(classifier.accuracy(clip, images: images, targets: direct) == 1)
    }

    @Test func selectingClassesRenumbersLabelsInOrder() {
        let data = CaptionedImages(images: Tensor.arange(0, 5).reshape(5, 1, 1, 1), labels: Tensor([Int64(3), 1, 3, 0, 1]),
                                   captions: ["a", "b", "c", "d", "e"], tokens: Tensor.arange(0, 5, dtype: .int64).reshape(5, 1))
        let subset = data.selecting(classes: [1, 3])
        #expect(subset.count == 4 && subset.captions == ["a", "b", "c", "e"])
        #expect(subset.labels.asArray(Int.self) == [1, 0, 1, 0])
        #expect(subset.tokens.flatten().asArray(Int.self) == [0, 1, 2, 4])
    }
}
