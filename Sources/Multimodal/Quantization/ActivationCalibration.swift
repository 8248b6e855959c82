import Torch

/// Post-training calibration of a layer's input: records max|x| over calibration batches,
/// then fake-quantizes inputs with the per-tensor symmetric scale s = max|x|/127:
///
/// ```
/// x̂ = clamp(round(x / s), −127, 127) · s
/// ```
///
/// "Fake" quantization (Jacob et al. 2018, [arXiv:1712.05877](https://arxiv.org/abs/1712.05877),
/// §3) computes in float but with exactly the values an int8 kernel would see, so the
/// accuracy measured is that of int8 activations. Max calibration is the simplest
/// observer (PyTorch's `MinMaxObserver`); an outlier widens s for every value.
public final class ActivationCalibration {
    /// Whether `observe` records (between `begin` and `finish`).
    public private(set) var isCalibrating = false
    /// The largest |x| seen so far in this calibration.
    public private(set) var observedMax = 0.0
    /// The per-tensor scale s, once calibrated; nil means inputs pass through in float.
    public var scale: Double?

    /// An uncalibrated observer: inputs pass through in float until ``finish()``.
    public init() {}

    /// Starts recording; forgets an earlier scale.
    public func begin() {
        isCalibrating = true
        observedMax = 0
        scale = nil
    }

    /// Stops recording and fixes s = max|x|/127 (nil when nothing non-zero was seen).
    public func finish() {
        isCalibrating = false
        scale = observedMax > 0 ? observedMax / 127 : nil
    }

    /// While calibrating, records max|x| and returns x; afterwards returns x̂ (or x when
    /// never calibrated).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        if isCalibrating {
            observedMax = Swift.max(observedMax, withNoGrad { x.detached().abs().max().item() })
            return x
        }
        guard let scale else { return x }
        return (x / scale).round().clamp(min: -127, max: 127) * scale
    }
}
