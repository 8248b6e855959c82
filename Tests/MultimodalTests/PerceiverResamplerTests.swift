import Testing
import Torch
@testable import Multimodal

@Suite(.serialized) struct PerceiverResamplerTests {
    @Test(arguments: [3, 17, 64]) func anyInputLengthGivesNumLatentsTokens(length: Int) {
        manualSeed(UInt64(length))
        let resampler = PerceiverResampler(dim: 32, depth: 2, numLatents: 8, numHeads: 4)
        let out = resampler(Tensor.randn([2, length, 32]))
        #expect(out.shape == [2, 8, 32])
        out.square().mean().backward()
        let grad = resampler.latents.grad
        #expect(grad != nil, "the latents get a gradient")
        #expect((grad?.abs().sum().item() ?? 0) > 0, "the gradient on the latents is not zero")
    }

    @Test func matchesFlamingoReferenceInPyTorch() throws {
        let f = Fixture.group("mm1", "perceiver")
        let resampler = PerceiverResampler(dim: 16, depth: 2, numLatents: 4, numHeads: 4, ffMult: 2)
        try resampler.loadStateDict(Fixture.group("mm1", "perceiver.state"))  // strict: same keys as the reference
        let out = resampler(f["x"]!)
        expectClose(out, f["out"], rtol: 0, atol: 1e-5, "resampler output")
        (out * f["w"]!).sum().backward()
        // The latents' gradient sums terms up to ~130 in size (its largest element is 133), so a
        // kernel that adds in another order (AVX-512 against the AVX2 machine that wrote the
        // fixture) moves an element by ~1e-4 however small it is: measured 1.3e-4 on an Intel
        // Xeon (AVX-512). The tolerance is set from that scale: 5e-4 = 4e-6 of the largest element.
        expectClose(resampler.latents.grad, f["grad_latents"], rtol: 1e-4, atol: 5e-4, "gradient on the latents")
    }

    @Test func latentsStartSmall() {
        manualSeed(3)
        let resampler = PerceiverResampler(dim: 64, depth: 1, numLatents: 256, numHeads: 4)
        let std = resampler.latents.std().item()
        #expect(abs(std - 0.02) < 0.002, "latents ~ N(0, 0.02²), measured std \(std)")
    }

    @Test func paddedInputTokensChangeNothing() {
        manualSeed(4)
        let resampler = PerceiverResampler(dim: 16, depth: 2, numLatents: 4, numHeads: 2)
        let x = Tensor.randn([1, 5, 16])
        let padded = Tensor.cat([x, Tensor.randn([1, 3, 16]) * 100.0], dim: 1)  // (1, 8, 16)
        let mask = Tensor.arange(8).reshape(1, 8) .>= Tensor([5]).reshape(1, 1)
        expectClose(resampler(padded, keyPaddingMask: mask), resampler(x), rtol: 0, atol: 1e-6, "masked padding")
    }
}
