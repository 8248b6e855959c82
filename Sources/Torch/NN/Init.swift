import Foundation

/// Weight initializations, as `torch.nn.init`. Each fills a tensor in place without
/// recording gradients, drawing from the global generator in the same order as PyTorch,
/// so the same seed gives the same weights.
public enum Init {
    /// (fan_in, fan_out) of a weight: (in, out) for a Linear weight (out, in), and
    /// (in·k, out·k) for a convolution weight (out, in, k…), as PyTorch computes them.
    public static func fans(_ t: Tensor) -> (fanIn: Int, fanOut: Int) {
        let s = t.shape
        guard s.count >= 2 else { return (s.first ?? 0, s.first ?? 0) }
        let receptive = s.dropFirst(2).reduce(1, *)
        return (s[1] * receptive, s[0] * receptive)
    }

    /// U(−b, b) with b = gain·√(3/fan_in), gain = √(2/(1+a²)) (He et al. 2015, leaky-ReLU gain).
    public static func kaimingUniform_(_ t: Tensor, a: Double = 0) {
        let fanIn = Double(fans(t).fanIn)
        let gain = (2.0 / (1 + a * a)).squareRoot()
        let bound = gain * (3.0 / fanIn).squareRoot()
        withNoGrad { t.uniform_(-bound, bound) }
    }

    /// U(−b, b) with b = gain·√(6/(fan_in + fan_out)) (Glorot & Bengio 2010).
    public static func xavierUniform_(_ t: Tensor, gain: Double = 1) {
        let (fanIn, fanOut) = fans(t)
        let std = gain * (2.0 / Double(fanIn + fanOut)).squareRoot()
        let a = 3.0.squareRoot() * std
        withNoGrad { t.uniform_(-a, a) }
    }

    /// Fills `t` with samples of U(low, high).
    public static func uniform_(_ t: Tensor, _ low: Double, _ high: Double) { withNoGrad { t.uniform_(low, high) } }
    /// Fills `t` with samples of N(mean, std²).
    public static func normal_(_ t: Tensor, mean: Double = 0, std: Double = 1) { withNoGrad { t.normal_(mean: mean, std: std) } }
    /// Sets every element of `t` to `value`.
    public static func constant_(_ t: Tensor, _ value: Double) { withNoGrad { t.fill_(value) } }
    /// Sets every element of `t` to 0.
    public static func zeros_(_ t: Tensor) { constant_(t, 0) }
    /// Sets every element of `t` to 1.
    public static func ones_(_ t: Tensor) { constant_(t, 1) }

    /// A parameter: an uninitialized tensor that requires gradients.
    static func parameter(_ shape: [Int], dtype: DType, device: Device) -> Tensor {
        Tensor.empty(shape, dtype: dtype, device: device).requiringGrad()
    }

    /// PyTorch's default for Linear and Conv: weight kaiming_uniform(a=√5), bias U(±1/√fan_in).
    static func resetLinearLike(weight: Tensor, bias: Tensor?) {
        kaimingUniform_(weight, a: 5.0.squareRoot())
        if let bias {
            let fanIn = Double(fans(weight).fanIn)
            let bound = fanIn > 0 ? 1 / fanIn.squareRoot() : 0
            uniform_(bias, -bound, bound)
        }
    }
}
