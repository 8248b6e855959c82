import Foundation

/// How 8-bit image pixels become an image tower's input, written into `export.json` by
/// ``ModelExport`` when the exported model's training data describes itself
/// (``DescribableImages``): `input = (pixel × scale − mean[c]) / std[c]`, channels first.
public struct ImagePreprocessing: Codable, Equatable, Sendable {
    /// Multiplies each 8-bit sample (1/255: samples in [0, 1]).
    public var scale: Double
    /// Subtracted per channel after scaling (one value: every channel).
    public var mean: [Double]
    /// Divides per channel after the mean is subtracted (one value: every channel).
    public var std: [Double]

    public init(scale: Double = 1.0 / 255.0, mean: [Double] = [0], std: [Double] = [1]) {
        self.scale = scale
        self.mean = mean
        self.std = std
    }

    /// Samples in [0, 1], nothing else: Fashion-MNIST's and the composites' images.
    public static let unitInterval = ImagePreprocessing()

    /// `pixels` (height × width × channels, interleaved, as a PNG holds them) → the model's
    /// planar floats (channels × height × width).
    public func apply(_ pixels: [UInt8], channels: Int) -> [Float] {
        let count = pixels.count / channels
        var out = [Float](repeating: 0, count: pixels.count)
        for c in 0..<channels {
            let m = mean.count == 1 ? mean[0] : mean[c], s = std.count == 1 ? std[0] : std[c]
            let a = Float(scale / s), b = Float(-m / s)
            for i in 0..<count { out[c * count + i] = Float(pixels[i * channels + c]) * a + b }
        }
        return out
    }
}

/// Training data that says how its images were made from pixels.
public protocol DescribableImages {
    var imagePreprocessing: ImagePreprocessing { get }
}

/// Training data that names the classes (or answers) a model's outputs stand for.
public protocol DescribableLabels {
    /// Output index → name.
    var exportLabels: [String] { get }
}

extension LabeledImages: DescribableImages, DescribableLabels {
    public var imagePreprocessing: ImagePreprocessing { .unitInterval }
    public var exportLabels: [String] { classNames }
}

extension CaptionedImages: DescribableImages {
    public var imagePreprocessing: ImagePreprocessing { .unitInterval }
}

extension Composites.Set: DescribableImages {
    public var imagePreprocessing: ImagePreprocessing { .unitInterval }
}
