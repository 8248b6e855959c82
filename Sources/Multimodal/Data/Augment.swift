import Foundation
import Torch

/// Data augmentations. Each draws its randomness from libtorch's generator (seeded per step
/// by the runner, or with `manualSeed`) or from a seeded `SplitMix64`, so the same seed gives
/// the same augmented data.
public enum Augment {
    /// Small random affine moves of images (N, C, H, W): rotation up to ±`degrees`, translation
    /// up to ±`shift` pixels, scaling in `1 ± scale`; bilinear sampling, zeros outside.
    /// (Random crops with padding are translations; this covers them.)
    public static func affine(_ images: Tensor, degrees: Double = 10, shift: Double = 2, scale: Double = 0.1) -> Tensor {
        let n = images.size(0), h = Double(images.size(2)), w = Double(images.size(3))
        let angle = (Tensor.rand([n]) * 2 - 1) * (degrees * .pi / 180)          // (N)
        let s = 1.0 + (Tensor.rand([n]) * 2 - 1) * scale                        // (N)
        // Translations in the normalized [-1, 1] coordinates affine_grid uses.
        let tx = (Tensor.rand([n]) * 2 - 1) * (2 * shift / w)
        let ty = (Tensor.rand([n]) * 2 - 1) * (2 * shift / h)
        let cos = angle.cos() / s, sin = angle.sin() / s
        let theta = Tensor.stack([Tensor.stack([cos, -sin, tx], dim: 1),
                                  Tensor.stack([sin, cos, ty], dim: 1)], dim: 1)     // (N, 2, 3)
        let grid = Ops.call("aten::affine_grid_generator", [.tensor(theta.to(images.dtype)), .ints(images.shape), .bool(false)]).tensor(0)
        // grid_sampler(input, grid, interpolation 0 = bilinear, padding 0 = zeros, align_corners)
        return Ops.call("aten::grid_sampler", [.tensor(images), .tensor(grid), .int(0), .int(0), .bool(false)]).tensor(0)
    }

    /// Each word of `caption` that has synonyms in `table` is replaced, with probability `p`,
    /// by a random one of them (the word's group, e.g. sneaker → gym shoe).
    public static func synonyms(_ caption: String, table: [[String]], p: Double, rng: inout SplitMix64) -> String {
        var text = caption
        for group in table {
            for word in group where text.contains(word) {
                if Double(rng.next() % 1_000_000) / 1_000_000 < p {
                    text = text.replacingOccurrences(of: word, with: group[Int(rng.next() % UInt64(group.count))])
                }
                break
            }
        }
        return text
    }

    /// Waveforms (N, T) shifted in time by up to ±`maxShift` samples (zeros fill the gap).
    public static func timeShift(_ audio: Tensor, maxShift: Int) -> Tensor {
        let n = audio.size(0), t = audio.size(1)
        let shifts = Tensor.randint(-maxShift, maxShift + 1, [n]).asArray(Int.self)
        let rows = (0..<n).map { i -> Tensor in
            let s = shifts[i], row = audio[i]
            if s == 0 { return row }
            let zeros = Tensor.zeros([abs(s)], dtype: audio.dtype)
            return s > 0 ? Tensor.cat([zeros, row[0..<(t - s)]]) : Tensor.cat([row[(-s)...], zeros])
        }
        return Tensor.stack(rows)
    }

    /// Waveforms mixed with Gaussian noise at a signal-to-noise ratio of `snr` decibels.
    public static func noise(_ audio: Tensor, snr: Double) -> Tensor {
        let power = audio.square().mean(dim: 1, keepDim: true)                  // (N, 1)
        let noisePower = power / pow(10, snr / 10)
        return audio + Tensor.randn(audio.shape, dtype: audio.dtype) * noisePower.sqrt()
    }
}
