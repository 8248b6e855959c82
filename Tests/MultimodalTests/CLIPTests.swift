import Foundation
import Testing
import Torch
@testable import Multimodal

/// The CLIP model and its loss: values and gradients against PyTorch, and the loss's
/// defining properties.
@Suite(.serialized) struct CLIPTests {
    /// Inputs, unit embeddings and the log-scale parameter as the fixture script builds them.
    func fixtureInputs() -> (raws: [Tensor], logScale: Tensor) {
        let raws = (0..<3).map { EncoderFixture.tensor("nce.raw.\($0)").clone().requiringGrad() }
        return (raws, Tensor.full([], CLIP.initialLogitScale).requiringGrad())
    }

    @Test func symmetricLossAndGradientsMatchPyTorch() {
        let (raws, logScale) = fixtureInputs()
        let scale = logScale.clamp(max: CLIP.maxLogitScale).exp()
        let loss = symmetricInfoNCE(raws[0].normalized(dim: -1), raws[1].normalized(dim: -1), logitScale: scale)
        expectWithin(loss, EncoderFixture.tensor("nce.loss2"), atol: 1e-5, "loss")
        let grads = gradients(of: [loss], withRespectTo: [raws[0], raws[1], logScale])
        for (g, name) in zip(grads, ["a", "b", "scale"]) {
            expectWithin(g!, EncoderFixture.tensor("nce.grad2.\(name)"), atol: 1e-5, "gradient of \(name)")
        }
    }

    @Test func threeModalityLossIsTheMeanOfPairsAndMatchesPyTorch() {
        let (raws, logScale) = fixtureInputs()
        let embeddings = raws.map { $0.normalized(dim: -1) }
        let loss = multimodalInfoNCE(embeddings, logitScale: logScale.exp())
        expectWithin(loss, EncoderFixture.tensor("nce.loss3"), atol: 1e-5, "three-modality loss")
        let grads = gradients(of: [loss], withRespectTo: raws + [logScale])
        for (g, name) in zip(grads, ["a", "b", "c", "scale"]) {
            expectWithin(g!, EncoderFixture.tensor("nce.grad3.\(name)"), atol: 1e-5, "gradient of \(name)")
        }
        // A weight of zero drops a pair: only (a, b) remains.
        let weights: [[Double]] = [[0, 1, 0], [0, 0, 0], [0, 0, 0]]
        let onlyAB = multimodalInfoNCE(embeddings, logitScale: logScale.exp(), pairWeights: weights)
        expectWithin(onlyAB, EncoderFixture.tensor("nce.loss2"), atol: 1e-5, "loss with weights on (a, b) only")
    }

    @Test func alignedEmbeddingsWithALargeScaleCostNothing() {
        let a = Tensor.eye(16)  // 16 orthogonal unit vectors
        let loss = symmetricInfoNCE(a, a, logitScale: 100).item()  // log(1 + 15·e⁻¹⁰⁰)
        #expect(loss >= 0 && loss < 1e-6, "aligned loss \(loss)")
    }

    @Test func shuffledEmbeddingsCostLogB() {
        manualSeed(7)
        let b = 64
        let a = Tensor.randn([b, 2048]).normalized(dim: -1)
        let permutation = Tensor.randn([b]).sort().indices
        let loss = symmetricInfoNCE(a, a.indexSelect(dim: 0, index: permutation), logitScale: 1).item()
        // Each row's one similarity of 1 (its shuffled twin) among ~0s adds about log(1 + (e−1)/B).
        #expect(abs(loss - log(Double(b))) < 0.05, "shuffled loss \(loss), log B \(log(Double(b)))")
    }

    @Test func logitScaleStartsAtCLIPsTemperatureAndIsClampedAt100() throws {
        manualSeed(0)
        let clip = CLIP(image: ImageEncoder(imageSize: 8, channels: [4], embeddingDim: 6),
                        text: TextEncoder(vocabularySize: 20, maxLength: 5, width: 8, depth: 1, heads: 2, embeddingDim: 6))
        #expect(abs(clip.logitScale.item() - log(1 / 0.07)) < 1e-6)
        #expect(abs(clip.scale.item() - 1 / 0.07) < 1e-4)
        withNoGrad { clip.logitScale.fill_(10) }
        #expect(abs(clip.scale.item() - 100) < 1e-3)
        #expect(clip.stateDictKeys().first == "logit_scale")
        #expect(clip.stateDictKeys().contains("towers.image.convs.0.weight"))
        #expect(clip.stateDictKeys().contains("towers.text.final_norm.weight"))
    }

    @Test func embeddingsAreUnitAndTheLossTrainsEveryTower() {
        manualSeed(0)
        let clip = CLIP(towers: [
            ("image", ImageEncoder(imageSize: 8, channels: [4, 8], embeddingDim: 6)),
            ("text", TextEncoder(vocabularySize: 20, maxLength: 5, width: 8, depth: 1, heads: 2, embeddingDim: 6)),
            ("audio", AudioEncoder(melCount: 10, channels: [4], embeddingDim: 6)),
        ])
        let images = Tensor.rand([4, 1, 8, 8])
        let tokens = Tensor.randint(1, 20, [4, 5])
        let audio = Tensor.randn([4, 10, 12])
        let norms = clip.embed("image", images).norm(dims: [1])
        expectWithin(norms, Tensor.ones([4]), atol: 1e-6, "embedding norms")
        let loss = clip.loss(["image": images, "text": tokens, "audio": audio],
                             weights: [ModalityPair("text", "image"): 2])
        #expect(loss.item().isFinite)
        loss.backward()
        for (key, p) in clip.namedParameters() where !key.contains("dropout") {
            #expect(p.grad != nil, "no gradient for \(key)")
        }
    }
}
