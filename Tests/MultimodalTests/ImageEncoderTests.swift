import Testing
import Torch
@testable import Multimodal

/// ImageEncoder against a PyTorch module of the same layout with the same weights.
@Suite(.serialized) struct ImageEncoderTests {
    @Test func shapeFor28x28() {
        manualSeed(0)
        let encoder = ImageEncoder(imageSize: 28, channels: [8, 16], embeddingDim: 12)
        #expect(encoder.pools == [true, true])
        #expect(encoder.finalSize == 7)
        #expect(encoder.projection.inFeatures == 16 * 7 * 7)
        #expect(encoder(Tensor.rand([3, 1, 28, 28])).shape == [3, 12])
    }

    @Test func poolsOnlyWhileTheImageAllows() {
        manualSeed(0)
        let encoder = ImageEncoder(imageSize: 8, channels: [4, 8, 8, 8], embeddingDim: 6)
        #expect(encoder.pools == [true, true, true, false])  // 8 → 4 → 2 → 1, then 1 stays 1
        #expect(encoder.finalSize == 1)
        #expect(encoder(Tensor.rand([5, 1, 8, 8])).shape == [5, 6])
    }

    @Test(arguments: ["image28", "image8"]) func matchesPyTorch(name: String) throws {
        manualSeed(0)
        let encoder = name == "image28"
            ? ImageEncoder(imageSize: 28, channels: [8, 16], embeddingDim: 12)
            : ImageEncoder(imageSize: 8, channels: [4, 8, 8, 8], embeddingDim: 6)
        try EncoderFixture.loadWeights(name, into: encoder)
        encoder.eval()
        expectWithin(encoder(EncoderFixture.tensor("\(name).in.0")), EncoderFixture.tensor("\(name).out.0"), atol: 1e-5, "\(name) output")
    }
}
