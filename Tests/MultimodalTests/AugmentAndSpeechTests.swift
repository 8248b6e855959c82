import Foundation
import Testing
@testable import Multimodal
import Torch

@Suite(.serialized) struct AugmentAndSpeechTests {
    @Test func affineMovesAreSeededAndSmall() throws {
        let images = try FashionMNIST.load(.test, limit: 8).images
        manualSeed(5); let a = Augment.affine(images)
        manualSeed(5); let b = Augment.affine(images)
        #expect(a.shape == images.shape && a.asArray(Float.self) == b.asArray(Float.self), "same seed, same result")
        manualSeed(6)
        #expect(Augment.affine(images).asArray(Float.self) != a.asArray(Float.self))
        let identity = Augment.affine(images, degrees: 0, shift: 0, scale: 0)
        #expect((identity - images).abs().max().item() < 1e-5, "no move is the identity")
        #expect((a - images).abs().mean().item() < 0.2, "moves are small")
    }

    @Test func synonymReplacementUsesTheTable() {
        var rng = SplitMix64(seed: 1)
        let out = (0..<20).map { _ in Augment.synonyms("a photo of a sneaker", table: Captions.fashionSynonyms, p: 1, rng: &rng) }
        #expect(Set(out).isSubset(of: ["a photo of a sneaker", "a photo of a gym shoe", "a photo of a tennis shoe"]))
        #expect(Set(out).count > 1)
        var never = SplitMix64(seed: 1)
        #expect(Augment.synonyms("a photo of a sneaker", table: Captions.fashionSynonyms, p: 0, rng: &never) == "a photo of a sneaker")
    }

    @Test func audioShiftAndNoise() {
        manualSeed(1)
        let audio = Tensor.arange(1, 11, dtype: .float32).reshape(1, 10)
        let shifted = Augment.timeShift(audio, maxShift: 3)
        #expect(shifted.shape == [1, 10] && shifted.sum().item() <= audio.sum().item())
        let loud = Tensor.randn([4, 4000])
        let noisy = Augment.noise(loud, snr: 20)
        let ratio = loud.square().mean().item() / (noisy - loud).square().mean().item()
        #expect(ratio > 70 && ratio < 140, "20 dB ≈ 100×: \(ratio)")
    }

    @Test func espeakSpeaksDigitsInSeveralVoices() throws {
        let a = try Speech.synthesize("seven", voice: "en-us")
        let b = try Speech.synthesize("seven", voice: "en-gb-scotland", wordsPerMinute: 120)
        #expect(a.count > Speech.sampleRate / 10 && b.count > a.count / 2, "a word lasts a few tenths of a second")
        #expect(a.map(abs).max()! > 0.05 && a.map(abs).max()! <= 1)
        #expect(a.count != b.count || a != b, "two voices differ")
        for voice in Speech.voices { #expect(try !Speech.synthesize("one", voice: voice).isEmpty, "\(voice)") }
        #expect(throws: MultimodalError.badArgument("espeak-ng has no voice 'no-such-voice'; `espeak-ng --voices` lists them")) {
            _ = try Speech.synthesize("x", voice: "no-such-voice")
        }
        #expect(Speech.batch([a, b], length: 8000).shape == [2, 8000])
    }
}
