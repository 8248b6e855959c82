import Foundation
import Torch

/// Visual question answering on 2×2 composites of small images (Fashion-MNIST items): the
/// task of the `cross-attention-vqa` and `perceiver-resampler` experiments.
///
/// A composite puts four images, each padded by `padding` pixels, in a 2×2 grid, so a
/// 28×28 item with padding 2 fills one 32×32 quadrant of a 64×64 image. Questions are about
/// one quadrant:
///
/// - "is there a {class} at the {position}?" answered "yes" or "no";
/// - "what is at the {position}?" answered with the class.
///
/// Half the yes/no questions are true. Of the false ones, half name a class that *is* in the
/// composite, only in another quadrant, so that knowing what is in the image is not enough:
/// the answer needs the position too.
public enum Composites {
    /// Quadrant names, in the order of `cells`: top left, top right, bottom left, bottom right.
    public static let positions = ["top left", "top right", "bottom left", "bottom right"]

    /// The kinds of question.
    public enum Kind: Int, Codable, Sendable, CaseIterable {
        /// "is there a … at the …?": yes or no.
        case exists
        /// "what is at the …?": a class.
        case what
    }

    /// One question about one composite.
    public struct Question: Codable, Sendable, Equatable {
        /// The question as words ("is there a sneaker at the top left?").
        public var text: String
        /// Index into the answer vocabulary: 0 = yes, 1 = no, 2 + c = class c.
        public var answer: Int
        /// The quadrant asked about (index into `positions`).
        public var position: Int
        /// Which kind of question it is.
        public var kind: Kind
        /// A question from its parts.
        public init(text: String, answer: Int, position: Int, kind: Kind) {
            self.text = text; self.answer = answer; self.position = position; self.kind = kind
        }
    }

    /// Answer ids: "yes" is 0, "no" is 1, class `c` is 2 + c.
    public static let yes = 0, no = 1

    /// The answer vocabulary: "yes", "no", then the class names.
    public static func answers(classNames: [String]) -> [String] { ["yes", "no"] + classNames }

    /// `images` (M, C, H, W) with `padding` zero pixels on every side: (M, C, H + 2p, W + 2p),
    /// one quadrant of a composite.
    public static func pad(_ images: Tensor, padding: Int = 2) -> Tensor {
        padding == 0 ? images
            : Ops.call("aten::constant_pad_nd", [.tensor(images), .ints([padding, padding, padding, padding]), .double(0)]).tensor(0)
    }

    /// Tiles four images per composite: `images` (M, C, H, W), `indices` (N, 4) int64 rows of
    /// indices into `images` in `positions` order → (N, C, 2(H + 2p), 2(W + 2p)), zeros in the padding.
    public static func tile(_ images: Tensor, indices: Tensor, padding: Int = 2) -> Tensor {
        precondition(images.rank == 4, "Composites.tile: images must be (M, C, H, W), got \(images.shape)")
        precondition(indices.rank == 2 && indices.size(1) == 4, "Composites.tile: indices must be (N, 4), got \(indices.shape)")
        // Select, then pad: padding the whole source first would copy all M images on every call.
        let quadrant = (0..<4).map {
            pad(images.indexSelect(dim: 0, index: indices[.all, $0].contiguous()), padding: padding)  // (N, C, H + 2p, W + 2p)
        }
        let top = Tensor.cat([quadrant[0], quadrant[1]], dim: 3)
        let bottom = Tensor.cat([quadrant[2], quadrant[3]], dim: 3)
        return Tensor.cat([top, bottom], dim: 2)
    }

    /// `count` questions about a composite whose quadrants hold classes `cells` (4 class ids),
    /// each kind with probability ½, positions uniform. `classWords[c]` names class `c` in the
    /// question text (e.g. "sneaker").
    public static func questions(cells: [Int], count: Int, classWords: [String],
                                 rng: inout SplitMix64) -> [Question] {
        precondition(cells.count == 4, "Composites.questions: cells must hold 4 class ids, got \(cells.count)")
        let classes = classWords.count
        func uniform(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        return (0..<count).map { _ in
            let position = uniform(4)
            let truth = cells[position]
            if uniform(2) == 0 {
                return Question(text: "what is at the \(positions[position])?", answer: 2 + truth,
                                position: position, kind: .what)
            }
            var named = truth
            if uniform(2) == 1 {
                let elsewhere = cells.filter { $0 != truth }
                if !elsewhere.isEmpty && uniform(2) == 0 {
                    named = elsewhere[uniform(elsewhere.count)]
                } else {
                    named = (truth + 1 + uniform(classes - 1)) % classes
                }
            }
            // Captions.fill writes "an" before a vowel ("is there an ankle boot …").
            return Question(text: Captions.fill("is there a {} at the \(positions[position])?", classWords[named]),
                            answer: named == truth ? yes : no, position: position, kind: .exists)
        }
    }

    /// Every question `questions(cells:count:classWords:rng:)` can ask, for a closed tokenizer vocabulary.
    public static func allQuestions(classWords: [String]) -> [String] {
        positions.flatMap { position in
            ["what is at the \(position)?"] + classWords.flatMap { word in
                ["is there a \(word) at the \(position)?", "is there an \(word) at the \(position)?"]
            }
        }
    }

    /// A fixed set of composites and questions: `count` composites from random items of
    /// `source`, `perImage` questions each, all drawn from `seed`.
    public static func make(_ source: LabeledImages, count: Int, perImage: Int, classWords: [String],
                            padding: Int = 2, seed: UInt64) -> Set {
        var rng = SplitMix64(seed: seed)
        let m = source.count
        let labels = source.labels.asArray(Int.self)
        var indices: [Int64] = []
        var questions: [[Question]] = []
        for _ in 0..<count {
            let items = (0..<4).map { _ in Int(rng.next() % UInt64(m)) }
            indices += items.map(Int64.init)
            questions.append(Self.questions(cells: items.map { labels[$0] }, count: perImage,
                                            classWords: classWords, rng: &rng))
        }
        let index = Tensor(indices, shape: [count, 4])
        return Set(images: tile(source.images, indices: index, padding: padding),
                   cells: Tensor(indices.map { Int64(labels[Int($0)]) }, shape: [count, 4]),
                   questions: questions)
    }

    /// Composites with their questions.
    public struct Set: Codable {
        /// (N, C, S, S) float.
        public var images: Tensor
        /// (N, 4) int64: the class in each quadrant.
        public var cells: Tensor
        /// `perImage` questions for each composite.
        public var questions: [[Question]]
        /// The number of composites.
        public var count: Int { questions.count }
        /// The composites in `range` and their questions.
        public subscript(range: Range<Int>) -> Set {
            Set(images: images[range], cells: cells[range], questions: Array(questions[range]))
        }
        /// Question token ids (n, Q, maxLength) and answer ids (n, Q) of the composites in `range`;
        /// every composite must have the same number of questions.
        public func encoded(_ range: Range<Int>, tokenizer: Tokenizer, maxLength: Int) -> (tokens: Tensor, answers: Tensor) {
            let slice = questions[range]
            let perImage = slice.first?.count ?? 0
            precondition(slice.allSatisfy { $0.count == perImage }, "Composites.Set: composites have different numbers of questions")
            let tokens = tokenizer.batch(slice.flatMap { $0.map(\.text) }, length: maxLength)
            let answers = Tensor(slice.flatMap { $0.map { Int64($0.answer) } }, shape: [range.count, perImage])
            return (tokens.reshape(range.count, perImage, maxLength), answers)
        }
        /// A set from its parts.
        public init(images: Tensor, cells: Tensor, questions: [[Question]]) {
            self.images = images; self.cells = cells; self.questions = questions
        }
    }
}
