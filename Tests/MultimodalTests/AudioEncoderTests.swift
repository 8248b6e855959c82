import Testing
import Torch
@testable import Multimodal

/// AudioEncoder against PyTorch, and on top of MelSpectrogram.
@Suite(.serialized) struct AudioEncoderTests {
    @Test func matchesPyTorch() throws {
        manualSeed(0)
        let encoder = AudioEncoder(melCount: 40, channels: [16, 24], embeddingDim: 10)
        try EncoderFixture.loadWeights("audio", into: encoder)
        encoder.eval()
        expectWithin(encoder(EncoderFixture.tensor("audio.in.0")), EncoderFixture.tensor("audio.out.0"), atol: 1e-5, "audio output")
    }

    @Test func shapesOverWaveformsOfAnyLength() {
        manualSeed(0)
        let pipeline = Sequential(MelSpectrogram(), AudioEncoder(melCount: 40, channels: [8, 8, 8], embeddingDim: 5))
        #expect(pipeline(Tensor.randn([2, 8000])).shape == [2, 5])  // 51 frames → 25 → 12 → 6
        #expect(pipeline(Tensor.randn([3, 400])).shape == [3, 5])  // 3 frames → 1, then no more pooling
    }
}
