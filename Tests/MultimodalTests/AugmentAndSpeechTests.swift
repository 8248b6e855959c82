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

    /// A 16-bit mono WAV file of `samples` at `rate`.
    func wav(_ samples: [Int16], rate: Int, channels: Int = 1) -> Data {
        func le(_ v: Int, _ n: Int) -> [UInt8] { (0..<n).map { UInt8((v >> (8 * $0)) & 0xff) } }
        let body = samples.flatMap { le(Int(UInt16(bitPattern: $0)), 2) }
        let fmt = le(1, 2) + le(channels, 2) + le(rate, 4) + le(rate * 2 * channels, 4) + le(2 * channels, 2) + le(16, 2)
        let chunks = Array("fmt ".utf8) + le(16, 4) + fmt + Array("LIST".utf8) + le(3, 4) + [1, 2, 3, 0] + Array("data".utf8) + le(body.count, 4) + body
        return Data(Array("RIFF".utf8) + le(4 + chunks.count, 4) + Array("WAVE".utf8) + chunks)
    }

    @Test func readsWavAndRawFilesAndNamesWhatIsWrong() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lab-wav-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("a.wav").path
        FileManager.default.createFile(atPath: good, contents: wav([0, 16384, -32768, 32767], rate: 8000))
        let (samples, rate) = try Speech.read(good)
        #expect(rate == 8000 && samples == [0, 0.5, -1, Float(32767) / 32768], "an odd-sized chunk before data is skipped with its pad byte")
        let raw = folder.appendingPathComponent("b.raw").path
        FileManager.default.createFile(atPath: raw, contents: Data([0x00, 0x40, 0x00, 0xc0]))
        #expect(try Speech.read(raw).samples == [0.5, -0.5] && Speech.read(raw, rawSampleRate: 8000).sampleRate == 8000)
        let stereo = folder.appendingPathComponent("c.wav").path
        FileManager.default.createFile(atPath: stereo, contents: wav([1, 2], rate: 8000, channels: 2))
        #expect(throws: MultimodalError.corruptFile(path: stereo, reason:
            "Lab reads 16-bit mono PCM; this file has format 1, 2 channels, 16 bits (convert it, e.g. with sox)")) { try Speech.read(stereo) }
        let text = folder.appendingPathComponent("d.wav").path
        FileManager.default.createFile(atPath: text, contents: Data("hello".utf8))
        #expect(throws: MultimodalError.corruptFile(path: text, reason: "not a RIFF/WAVE file (headerless samples need a .raw name)")) {
            try Speech.read(text)
        }
        #expect(throws: MultimodalError.missingFile(path: folder.path + "/none.wav", hint: nil)) { try Speech.read(folder.path + "/none.wav") }
    }

    @Test func resamplesLinearly() {
        let up = Speech.resample([0, 1, 2, 3], from: 2, to: 4)
        #expect(up == [0, 0.5, 1, 1.5, 2, 2.5, 3, 3], "half steps; the last sample is held")
        #expect(Speech.resample([1, 2], from: 16_000, to: 16_000) == [1, 2])
        #expect(Speech.resample([Float](repeating: 0, count: 16_000), from: 16_000, to: 22_050).count == 22_050)
    }

    @Test func cutsSpeechAtPauses() {
        // Two 200 ms tones at 1 kHz, 100 ms apart, then a 30 ms gap that does not split.
        let rate = 10_000
        func tone(_ seconds: Double) -> [Float] { (0..<Int(seconds * Double(rate))).map { Float(sin(Double($0) * 2 * .pi / 10)) } }
        func silence(_ seconds: Double) -> [Float] { [Float](repeating: 0, count: Int(seconds * Double(rate))) }
        let audio = silence(0.1) + tone(0.2) + silence(0.1) + tone(0.2) + silence(0.03) + tone(0.1) + silence(0.1)
        #expect(Speech.voicedSegments(audio, sampleRate: rate) == [1000..<3000, 4000..<7300])
        #expect(Speech.voicedSegments(silence(0.5), sampleRate: rate).isEmpty)
        // A 50 ms pause is shorter than the 60 ms that splits; 60 ms splits.
        #expect(Speech.voicedSegments(tone(0.1) + silence(0.05) + tone(0.1), sampleRate: rate) == [0..<2500])
        #expect(Speech.voicedSegments(tone(0.1) + silence(0.06) + tone(0.1), sampleRate: rate) == [0..<1000, 1600..<2600])
    }

    @Test func readsPocketsphinxRecordings() throws {
        let (samples, rate) = try Speech.read(Speech.pocketsphinxData + "/cards/003.wav")   // "seven of clubs"
        #expect(rate == 16_000 && abs(Double(samples.count) / 16_000 - 1.54) < 0.01)
        let words = Speech.voicedSegments(samples, sampleRate: rate)
        #expect(words.count == 3, "seven / of / clubs: \(words)")
        let (numbers, numbersRate) = try Speech.read(Speech.pocketsphinxData + "/tidigits/dhd.2934z.raw")
        #expect(numbersRate == 16_000 && numbers.count == 38_400)
    }
}
