import Foundation
import Testing
@testable import Multimodal
import Torch

@Suite struct CaptionTests {
    @Test func captionsVaryButAreReproducible() {
        let labels = Array(repeating: 7, count: 50)
        let a = Captions.sample(labels: labels, seed: 1), b = Captions.sample(labels: labels, seed: 1)
        #expect(a == b)
        #expect(a != Captions.sample(labels: labels, seed: 2))
        #expect(Set(a).count > 5, "templates × synonyms give varied captions")
        #expect(a.allSatisfy { c in ["sneaker", "gym shoe", "tennis shoe"].contains { c.contains($0) } })
        #expect(Captions.prompt(8) == "a photo of a bag" && Captions.fill("a {}", "ankle boot") == "an ankle boot")
        #expect(Captions.fashionSynonyms.count == FashionMNIST.classNames.count)
    }

    @Test func tokenizerRoundTripsPadsAndSaves() throws {
        let texts = Captions.sample(labels: Array(0..<10) + Array(0..<10), seed: 3)
        let tokenizer = Tokenizer(training: texts)
        #expect(tokenizer.vocabulary.prefix(2) == ["<pad>", "<unk>"])
        #expect(tokenizer.decode(tokenizer.encode(texts[0])) == texts[0].lowercased())
        #expect(tokenizer.encode("a zebra") .last == 1, "unknown words map to <unk>")
        let batch = tokenizer.batch(["a photo of a coat", "a"], length: 6)
        #expect(batch.shape == [2, 6] && batch.dtype == .int64)
        #expect(batch[1].asArray(Int.self).dropFirst() .allSatisfy { $0 == 0 })
        let path = NSTemporaryDirectory() + "vocab-\(getpid()).json"
        try tokenizer.save(to: path)
        #expect(try Tokenizer(contentsOf: path) == tokenizer)
    }
}
