import Foundation
import Testing
import Torch
@testable import Multimodal

@Suite(.serialized) struct CompositesTests {
    /// Four 2×2 images with constant values 1…4.
    static let items = Tensor.stack((1...4).map { Tensor.full([1, 2, 2], Double($0)) })  // (4, 1, 2, 2)

    @Test func tilePutsEachItemInItsQuadrantWithPadding() {
        let index = Tensor([Int64(0), 1, 2, 3, 3, 2, 1, 0], shape: [2, 4])
        let composite = Composites.tile(Self.items, indices: index, padding: 1)  // (2, 1, 8, 8)
        #expect(composite.shape == [2, 1, 8, 8])
        let first = composite[0, 0]
        // Quadrant q's item occupies rows/cols 1…2 of its 4×4 cell; the border is zero.
        for (q, (row, col)) in [(0, 0), (0, 4), (4, 0), (4, 4)].enumerated() {
            #expect(first[row + 1, col + 1].item() == Double(q + 1), "quadrant \(Composites.positions[q])")
            #expect(first[row + 2, col + 2].item() == Double(q + 1))
            #expect(first[row, col].item() == 0, "padding of quadrant \(q)")
        }
        #expect(composite[1, 0, 1, 1].item() == 4, "second composite's top left is item 3")
        let total: Double = composite.sum().item()
        #expect(total == 80, "each composite holds the four items' 4 pixels × (1 + 2 + 3 + 4)")
    }

    @Test func answersAgreeWithTheCellsAndFalseQuestionsOftenNameAnotherQuadrant() {
        var rng = SplitMix64(seed: 7)
        let cells = [8, 3, 8, 0]  // bag, dress, bag, t-shirt
        let words = Captions.fashionSynonyms.map { $0[0] }
        let questions = Composites.questions(cells: cells, count: 4000, classWords: words, rng: &rng)
        var yes = 0, no = 0, elsewhere = 0, what = 0
        for q in questions {
            switch q.kind {
            case .what:
                what += 1
                #expect(q.answer == 2 + cells[q.position])
                #expect(q.text == "what is at the \(Composites.positions[q.position])?")
            case .exists:
                let named = words.firstIndex { q.text.contains(" \($0) at") }!
                #expect(q.answer == (named == cells[q.position] ? Composites.yes : Composites.no), "\(q.text)")
                if q.answer == Composites.yes { yes += 1 } else {
                    no += 1
                    if cells.contains(named) { elsewhere += 1 }
                }
            }
        }
        #expect(abs(what - 2000) < 150 && abs(yes - no) < 150, "kinds and answers are balanced: \(what) what, \(yes) yes, \(no) no")
        #expect(Double(elsewhere) / Double(no) > 0.4, "about half the false questions name a class shown elsewhere: \(elsewhere)/\(no)")
        let vocabulary = Set(Composites.allQuestions(classWords: words))
        #expect(questions.allSatisfy { vocabulary.contains($0.text) }, "allQuestions covers every question asked")
    }

    @Test func makeIsReproducibleAndEncodes() throws {
        let source = LabeledImages(images: Tensor.rand([20, 1, 28, 28]), labels: Tensor((0..<20).map { Int64($0 % 10) }),
                                   classNames: FashionMNIST.classNames)
        let words = Captions.fashionSynonyms.map { $0[0] }
        let a = Composites.make(source, count: 6, perImage: 3, classWords: words, seed: 11)
        let b = Composites.make(source, count: 6, perImage: 3, classWords: words, seed: 11)
        #expect(a.images.shape == [6, 1, 64, 64] && a.cells.shape == [6, 4])
        #expect(a.questions == b.questions && (a.images - b.images).abs().max().item() == 0, "same seed, same set")
        let tokenizer = Tokenizer(training: Composites.allQuestions(classWords: words))
        let (tokens, answers) = a.encoded(2..<5, tokenizer: tokenizer, maxLength: 12)
        #expect(tokens.shape == [3, 3, 12] && answers.shape == [3, 3])
        #expect(answers[0, 1].item(Int.self) == a.questions[2][1].answer)
        #expect(tokenizer.decode(tokens[1, 2].asArray(Int.self)) == a.questions[3][2].text
                    .replacingOccurrences(of: "?", with: " ?"))
        #expect(a[1..<3].count == 2 && (a[1..<3].images - a.images[1..<3]).abs().max().item() == 0)
    }
}

@Suite(.serialized) struct PatchEncoderTests {
    @Test func tokensFollowTheGridRowMajor() {
        manualSeed(0)
        let encoder = PatchEncoder(imageSize: 16, channels: [4, 8], pooled: 2, dim: 8)  // 4×4 grid
        let blank = Tensor.zeros([1, 1, 16, 16])
        var marked = Tensor.zeros([1, 1, 16, 16])
        // The bottom-left pixel: conv → pool → conv → pool keeps its influence inside the
        // bottom-left cell of the 4×4 grid, token 3·4 + 0 = 12.
        marked[0, 0, 15, 0] = Tensor(5.0)
        let changed = withNoGrad { (encoder(marked) - encoder(blank)).abs().sum(dim: 2)[0] }.asArray(Double.self)  // (16)
        #expect(encoder(blank).shape == [1, 16, 8])
        #expect(changed[12] > 0, "\(changed)")
        #expect(changed.enumerated().allSatisfy { $0.offset == 12 || $0.element == 0 }, "only token 12 changes: \(changed)")
    }

    @Test func positionsStartAsTwoDimensionalSinesAndCosines() {
        let encoder = PatchEncoder(imageSize: 8, channels: [4], pooled: 1, dim: 8)  // 4×4 grid, dim/4 = 2 frequencies
        let p = encoder.positions.detached().asArray(Float.self)
        // Token (r, c) = (2, 1): [sin 2, sin 0.02, cos 2, cos 0.02, sin 1, sin 0.01, cos 1, cos 0.01].
        let row = Array(p[(2 * 4 + 1) * 8..<(2 * 4 + 2) * 8]).map(Double.init)
        let expected = [sin(2.0), sin(0.02), cos(2.0), cos(0.02), sin(1.0), sin(0.01), cos(1.0), cos(0.01)]
        for (a, b) in zip(row, expected) { #expect(abs(a - b) < 1e-6, "\(row) vs \(expected)") }
        #expect(encoder.positions.requiresGrad, "learned after the start")
    }
}

@Suite(.serialized) struct VQAModelTests {
    @Test(arguments: [(VQAModel.Reduction.none, 16), (.mean, 1), (.perceiver(latents: 3, depth: 1), 3)])
    func shapesForEachReduction(_ reduction: VQAModel.Reduction, _ tokens: Int) {
        manualSeed(1)
        let model = VQAModel(image: PatchEncoder(imageSize: 16, channels: [4, 8], pooled: 2, dim: 16),
                             vocabularySize: 20, maxLength: 6, answers: 12, heads: 2, reduction: reduction)
        let questions = Tensor((0..<(2 * 5 * 6)).map { Int64($0 % 19 + 1) }, shape: [2, 5, 6])
        let (logits, weights) = model(Tensor.rand([2, 1, 16, 16]), questions)
        #expect(logits.shape == [2, 5, 12])
        #expect(weights.shape == [2, 2, 5, tokens], "\(reduction)")
        #expect((model.resampler != nil) == (tokens == 3))
    }

    @Test func learnsToAnswerFromTheRightQuadrant() {
        // A tiny version of the experiment: two classes of constant items (dark, bright) and
        // "what is at the …?" questions. Chance is ½; the model must attend to the asked quadrant.
        manualSeed(2)
        let items = LabeledImages(images: Tensor.cat([Tensor.full([1, 1, 4, 4], 0.1), Tensor.full([1, 1, 4, 4], 0.9)], dim: 0),
                                  labels: Tensor([Int64(0), 1]), classNames: ["dark", "bright"])
        let words = ["dark", "bright"]
        let tokenizer = Tokenizer(training: Composites.allQuestions(classWords: words))
        let model = VQAModel(image: PatchEncoder(imageSize: 16, channels: [8, 16], pooled: 2, dim: 16),
                             vocabularySize: tokenizer.count, maxLength: 8, answers: 4, heads: 2)
        let optimizer = Adam(model.trainableParameters(), learningRate: 3e-3)
        model.train()
        for step in 0..<300 {
            let batch = Composites.make(items, count: 32, perImage: 4, classWords: words, padding: 2, seed: UInt64(step))
            let loss = model.loss(batch, tokenizer: tokenizer, maxLength: 8)
            optimizer.zeroGrad(); loss.backward(); optimizer.step()
        }
        let test = Composites.make(items, count: 64, perImage: 4, classWords: words, padding: 2, seed: 999)
        let predicted = model.predict(test, tokenizer: tokenizer, maxLength: 8).answers
        let truth = Tensor(test.questions.flatMap { $0.map { Int64($0.answer) } }, shape: [64, 4])
        let accuracy = (predicted .== truth).to(.float32).mean().item()
        #expect(accuracy > 0.9, "accuracy \(accuracy)")
    }
}
