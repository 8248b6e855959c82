import Torch

/// A 1-D convolutional encoder over log-mel spectrograms (see ``MelSpectrogram``): the mel
/// bands are the input channels and the convolutions slide along time, as in keyword
/// spotting models ([Sainath & Parada 2015](https://www.isca-archive.org/interspeech_2015/sainath15b_interspeech.html);
/// [Choi et al. 2019, TC-ResNet](https://arxiv.org/abs/1904.03814)). Blocks of
/// `Conv1d(kernel 3, padding 1) → ReLU → MaxPool1d(2)`, then a global average over time,
/// which makes the embedding independent of the clip's length, then one `Linear`.
///
/// A block pools only while at least 2 frames remain. Parameter keys match a PyTorch
/// module with `convs = nn.ModuleList([nn.Conv1d(...)])` and `projection = nn.Linear(...)`.
///
/// ```swift
/// let encoder = AudioEncoder(melCount: 40, channels: [64, 128], embeddingDim: 128)
/// let z = encoder(logMel)   // (B, 40, frames) float32 → (B, 128)
/// ```
public final class AudioEncoder: Module, Layer {
    /// Block i maps `channels[i-1]` (`melCount` for the first) to `channels[i]` channels.
    public var convs: [Conv1d]
    /// (embeddingDim, channels.last)
    public var projection: Linear

    /// - Parameters:
    ///   - melCount: the number of mel bands of the input (its channels).
    ///   - channels: output channels of each block. Two blocks with 3-frame kernels and
    ///     pooling see 10 frames (100 ms at a 10 ms hop), about one syllable; the global
    ///     average then gathers them over the whole word.
    ///   - embeddingDim: the size of the output embedding.
    public init(melCount: Int = 40, channels: [Int] = [64, 128], embeddingDim: Int = 128) {
        precondition(!channels.isEmpty, "AudioEncoder: channels must name at least one block")
        var convs: [Conv1d] = []
        var previous = melCount
        for width in channels {
            convs.append(Conv1d(previous, width, kernelSize: 3, padding: 1))
            previous = width
        }
        self.convs = convs
        projection = Linear(previous, embeddingDim)
        super.init()
    }

    /// Encodes a batch of log-mel spectrograms.
    /// - Parameter x: (B, melCount, frames), floating point (float32 by default), frames ≥ 1.
    /// - Returns: (B, embeddingDim), not normalized.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x  // (B, M, T)
        for conv in convs {
            h = conv(h).relu()  // (B, C, T)
            if h.size(2) >= 2 { h = F.maxPool1d(h, kernel: 2) }  // (B, C, T/2)
        }
        return projection(h.mean(dim: 2))  // (B, C) → (B, embeddingDim)
    }
}
