import Testing
import Torch
@testable import Multimodal

/// TextEncoder against a PyTorch module built from nn.TransformerEncoderLayer(norm_first=True,
/// batch_first=True), with padded sequences.
@Suite(.serialized) struct TextEncoderTests {
    func make(_ pooling: TextEncoder.Pooling) -> TextEncoder {
        manualSeed(0)
        return TextEncoder(vocabularySize: 30, maxLength: 10, width: 16, depth: 2, heads: 4, feedForward: 32,
                           embeddingDim: 8, padID: 0, pooling: pooling)
    }

    @Test func shapeAndPaddingRow() {
        let encoder = make(.mean)
        #expect(encoder(Tensor.randint(1, 30, [3, 7])).shape == [3, 8])
        #expect(encoder.tokenEmbedding.weight[0].abs().sum().item() == 0)
    }

    @Test(arguments: [(TextEncoder.Pooling.mean, 0), (TextEncoder.Pooling.first, 1)])
    func matchesPyTorch(pooling: TextEncoder.Pooling, output: Int) throws {
        let encoder = make(pooling)
        try EncoderFixture.loadWeights("text", into: encoder)
        encoder.eval()
        let tokens = EncoderFixture.tensor("text.in.0")  // (4, 10), rows padded 0, 4, 8 and 1 tokens
        expectWithin(encoder(tokens), EncoderFixture.tensor("text.out.\(output)"), atol: 1e-5, "text output, \(pooling) pooling")
    }

    /// Padding changes nothing: a sequence gives the same embedding alone and padded to length 10.
    @Test func paddingIsIgnored() throws {
        let encoder = make(.mean)
        encoder.eval()
        let short = Tensor([5, 9, 2, 14], shape: [1, 4])
        let padded = Tensor([5, 9, 2, 14, 0, 0, 0, 0, 0, 0], shape: [1, 10])
        #expect(maxAbsDifference(encoder(short), encoder(padded)) < 1e-5)
    }

    @Test func gradientsReachEveryParameterButThePaddingRow() {
        let encoder = make(.mean)
        encoder(Tensor([[3, 4, 0], [7, 0, 0]].flatMap { $0 }, shape: [2, 3])).square().sum().backward()
        for (key, p) in encoder.namedParameters() {
            #expect(p.grad != nil, "no gradient for \(key)")
        }
        #expect(encoder.tokenEmbedding.weight.grad![0].abs().sum().item() == 0)
    }
}
