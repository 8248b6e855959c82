import Foundation
import Testing
import Torch
@testable import Multimodal

/// The engine's log-mel spectrogram against an independent numpy implementation (framing,
/// np.fft.rfft, the HTK filter bank) of a 440 Hz + 1 kHz mix, 0.5 s at 16 kHz.
@Suite(.serialized) struct MelSpectrogramTests {
    @Test func filterBankMatchesNumpy() {
        let bank = MelSpectrogram.melFilterBank(frequencyBins: 201, melCount: 40, sampleRate: 16_000,
                                                minFrequency: 0, maxFrequency: 8_000)
        expectWithin(bank, EncoderFixture.tensor("mel.filters"), atol: 1e-12, "mel filter bank")
        // Every filter covers at least one bin: 40 bands at 40 Hz bins leave none empty.
        #expect((bank.max(dims: [0]) .> 0).all().item() != 0)
    }

    @Test func htkScaleRoundTrips() {
        #expect(abs(MelSpectrogram.hzToMel(700) - 2595 * log10(2.0)) < 1e-9)
        #expect(abs(MelSpectrogram.melToHz(MelSpectrogram.hzToMel(1234.5)) - 1234.5) < 1e-9)
    }

    /// float64 on the engine checks the algorithm: agreement to rounding.
    @Test func float64MatchesNumpy() {
        let mel = MelSpectrogram(sampleRate: 16_000, nFFT: 400, hopLength: 160, melCount: 40, dtype: .float64)
        let out = mel(EncoderFixture.tensor("mel.wave"))
        #expect(out.shape == [40, 51])
        expectWithin(out, EncoderFixture.tensor("mel.logmel"), atol: 1e-9, "log-mel float64")
    }

    /// float32, the training dtype: measured max |difference| 3.6e-5 in log units (values span
    /// −13.8 … 8.0); the tolerance leaves room for another FFT backend's rounding.
    @Test func float32MatchesNumpyWithinTolerance() {
        let mel = MelSpectrogram()
        let out = mel(EncoderFixture.tensor("mel.wave").to(.float32).unsqueeze(0))  // (1, 8000)
        #expect(out.shape == [1, 40, 51])
        #expect(out.dtype == .float32)
        expectWithin(out.squeeze(0), EncoderFixture.tensor("mel.logmel"), atol: 2e-4, "log-mel float32")
    }

    /// The tones land in the bands that contain them: the loudest band of a middle frame holds
    /// 440 Hz or 1 kHz.
    @Test func energyLiesAtTheTones() {
        let out = MelSpectrogram(dtype: .float64)(EncoderFixture.tensor("mel.wave"))  // (40, 51)
        let loudest = out.select(dim: 1, index: 25).argmax().item(Int.self)
        let corners = (0..<42).map { MelSpectrogram.melToHz(MelSpectrogram.hzToMel(8000) * Double($0) / 41) }
        let band = corners[loudest]...corners[loudest + 2]
        #expect(band.contains(440) || band.contains(1000), "loudest band \(loudest) spans \(band)")
    }

    @Test func gradientsReachTheWaveform() {
        let wave = Tensor.randn([1, 1600]).requiringGrad()
        MelSpectrogram()(wave).mean().backward()
        let g = wave.grad
        #expect(g != nil && g!.shape == [1, 1600] && g!.isfinite().all().item() != 0 && g!.abs().sum().item() > 0)
    }

    @Test func buffersStayOutOfTheStateDict() {
        #expect(MelSpectrogram().stateDict().isEmpty)
    }
}
