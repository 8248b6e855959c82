import Foundation
import Torch

/// The log-mel spectrogram of a waveform, computed on the engine: a short-time Fourier
/// transform with a periodic Hann window, the power of each bin, an HTK-style triangular
/// mel filter bank, then `log(mel + 1e-6)`.
///
/// **STFT.** `aten::stft` (through ``Ops/call(_:overload:_:)``, overload `center`) with
/// `return_complex: true`, centred frames and reflect padding, as `torch.stft`. The engine's
/// `DType` has no complex type, so the complex result never reaches Swift code: it goes
/// straight into `aten::view_as_real`, giving a real (…, 2) tensor whose squares summed are
/// the power. Both ops are differentiable, so gradients flow back to the waveform. (The
/// alternative, framing plus a matmul with a DFT matrix, costs O(n²) per frame against
/// the FFT's O(n log n) and a (nFFT × nFFT) matrix per dtype.)
///
/// **Mel scale.** HTK's: `mel(f) = 2595 · log10(1 + f / 700)`
/// ([Young et al., The HTK Book](https://htk.eng.cam.ac.uk/)), with triangles whose corners
/// are evenly spaced in mel and peak at 1 (no area normalization), as `torchaudio`'s
/// `melscale_fbanks(mel_scale="htk", norm=None)`. Slaney's scale (librosa's default) is
/// linear below 1 kHz; the two differ little at 16 kHz, and HTK's has a closed form.
///
/// Output frames: `1 + samples / hopLength` (integer division), because centring pads
/// `nFFT / 2` samples on each side.
///
/// ```swift
/// let mel = MelSpectrogram(sampleRate: 16_000)
/// let features = mel(waveforms)   // (B, 8000) float32 → (B, 40, 51)
/// ```
public final class MelSpectrogram: Module, Layer {
    /// Samples per second of the input.
    public let sampleRate: Int
    /// The STFT's window and FFT length, in samples.
    public let nFFT: Int
    /// Samples between frames.
    public let hopLength: Int
    /// The number of mel bands (output rows).
    public let melCount: Int
    /// The lowest band edge, in Hz.
    public let minFrequency: Double
    /// The highest band edge, in Hz.
    public let maxFrequency: Double
    /// Added to the mel energies before the logarithm, so silence gives log(1e-6) ≈ −13.8
    /// instead of −∞.
    public static let floor = 1e-6

    /// (nFFT): the periodic Hann window (a non-persistent buffer, like the filters: derived
    /// from the configuration, so kept out of state dicts), 0.5 − 0.5·cos(2πn/nFFT).
    @Buffer public var window: Tensor
    /// (nFFT/2 + 1, melCount): column m is the m-th triangular filter over the FFT bins.
    @Buffer public var filters: Tensor

    /// - Parameters:
    ///   - sampleRate: samples per second of the input.
    ///   - nFFT: the window and FFT size. 400 samples is 25 ms at 16 kHz, the speech-recognition
    ///     standard (Kaldi, Whisper): long enough to resolve pitch harmonics, short enough that
    ///     a phoneme is roughly stationary inside it.
    ///   - hopLength: the step between frames; 160 samples is 10 ms at 16 kHz, the same standard.
    ///   - melCount: the number of mel bands. 40 at nFFT 400 (bins 40 Hz apart) keeps the
    ///     lowest HTK triangle wider than one bin; many more would leave low filters empty.
    ///   - minFrequency, maxFrequency: the band edges in Hz (default 0 and the Nyquist frequency).
    ///   - dtype: float32 or float64; the window and filters are built in float64 and converted.
    public init(sampleRate: Int = 16_000, nFFT: Int = 400, hopLength: Int = 160, melCount: Int = 40,
                minFrequency: Double = 0, maxFrequency: Double? = nil, dtype: DType = .float32) {
        self.sampleRate = sampleRate
        self.nFFT = nFFT
        self.hopLength = hopLength
        self.melCount = melCount
        self.minFrequency = minFrequency
        self.maxFrequency = maxFrequency ?? Double(sampleRate) / 2
        let n = Tensor.arange(0, Double(nFFT), dtype: .float64)
        _window = Buffer(wrappedValue: (0.5 - 0.5 * (n * (2 * Double.pi / Double(nFFT))).cos()).to(dtype), persistent: false)
        _filters = Buffer(wrappedValue: Self.melFilterBank(frequencyBins: nFFT / 2 + 1, melCount: melCount,
                                                           sampleRate: Double(sampleRate), minFrequency: minFrequency,
                                                           maxFrequency: self.maxFrequency).to(dtype),
                          persistent: false)
        super.init()
    }

    /// HTK's mel scale: 2595 · log10(1 + hz / 700).
    public static func hzToMel(_ hz: Double) -> Double { 2595 * Foundation.log10(1 + hz / 700) }
    /// The inverse of ``hzToMel(_:)``: 700 · (10^(mel / 2595) − 1).
    public static func melToHz(_ mel: Double) -> Double { 700 * (Foundation.pow(10, mel / 2595) - 1) }

    /// Triangular filters on HTK's mel scale, as `torchaudio.functional.melscale_fbanks`
    /// with `mel_scale="htk"`, `norm=None`.
    ///
    /// The FFT bins sit at `linspace(0, sampleRate/2, frequencyBins)`; the `melCount + 2`
    /// corner frequencies are evenly spaced in mel from `minFrequency` to `maxFrequency`;
    /// filter m rises from corner m to corner m+1 and falls to corner m+2, peaking at 1.
    /// - Returns: (frequencyBins, melCount) float64.
    public static func melFilterBank(frequencyBins: Int, melCount: Int, sampleRate: Double,
                                     minFrequency: Double, maxFrequency: Double) -> Tensor {
        let bins = (0..<frequencyBins).map { Double($0) * (sampleRate / 2) / Double(max(frequencyBins - 1, 1)) }
        let low = hzToMel(minFrequency), high = hzToMel(maxFrequency)
        let corners = (0..<(melCount + 2)).map { melToHz(low + (high - low) * Double($0) / Double(melCount + 1)) }
        var values = [Double](repeating: 0, count: frequencyBins * melCount)
        for (k, f) in bins.enumerated() {
            for m in 0..<melCount {
                let rising = (f - corners[m]) / (corners[m + 1] - corners[m])
                let falling = (corners[m + 2] - f) / (corners[m + 2] - corners[m + 1])
                values[k * melCount + m] = max(0, min(rising, falling))
            }
        }
        return Tensor(values, shape: [frequencyBins, melCount])
    }

    /// The log-mel spectrogram of `waveform`.
    /// - Parameter waveform: (samples) or (B, samples), float32 or float64 (the dtype given at init).
    ///   Needs more than nFFT/2 samples (reflect padding).
    /// - Returns: (B, melCount, 1 + samples / hopLength) in the waveform's dtype; (melCount, frames)
    ///   for a 1-D waveform.
    public func callAsFunction(_ waveform: Tensor) -> Tensor {
        let batched = waveform.rank == 2
        let x = batched ? waveform : waveform.unsqueeze(0)  // (B, L)
        let spectrum = Ops.call("aten::stft", overload: "center", [
            .tensor(x), .int(nFFT), .int(hopLength), .int(nFFT), .tensor(window),
            .bool(true),  // center: frame t is centred on sample t·hop
            .string("reflect"),  // pad by mirroring the signal, as torch.stft and librosa do
            .bool(false),  // normalized: no 1/√nFFT scaling
            .bool(true),  // onesided: only the nFFT/2 + 1 non-negative frequencies of a real signal
            .bool(true),  // return_complex (the real-pair form is deprecated)
        ]).tensor(0)  // (B, F, frames) complex
        let pairs = Ops.call("aten::view_as_real", [.tensor(spectrum)]).tensor(0)  // (B, F, frames, 2)
        let power = pairs.square().sum(dim: -1)  // (B, F, frames): re² + im²
        let mel = filters.T.matmul(power)  // (M, F) · (B, F, frames) → (B, M, frames)
        let logMel = (mel + Self.floor).log()
        return batched ? logMel : logMel.squeeze(0)
    }
}
