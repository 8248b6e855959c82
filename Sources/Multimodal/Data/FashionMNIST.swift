import Foundation
import Torch

/// Grayscale images with integer class labels.
public struct LabeledImages: Codable {
    /// (N, 1, H, W) float32 in [0, 1].
    public var images: Tensor
    /// (N) int64 class indices.
    public var labels: Tensor
    /// Class index → name.
    public var classNames: [String]

    /// A labelled set from its parts: images (N, 1, 28, 28) float32, labels (N) int64.
    public init(images: Tensor, labels: Tensor, classNames: [String]) {
        self.images = images; self.labels = labels; self.classNames = classNames
    }

    /// Number of examples.
    public var count: Int { labels.size(0) }
}

/// Fashion-MNIST (Xiao et al. 2017, arXiv:1708.07747; MIT licence): 60,000 training and
/// 10,000 test images of 28×28 clothing items in 10 classes, read from Debian's
/// `dataset-fashion-mnist` package (nothing is fetched at run time).
public enum FashionMNIST {
    /// The 60,000 training or the 10,000 test images.
    public enum Split: String, Sendable { case train, test }

    /// Where the files are read from: `LAB_FASHION_MNIST` when set (a copy of the same four
    /// files, for a machine without Debian's package, such as one a bundle runs on), else where
    /// Debian's `dataset-fashion-mnist` package installs them.
    public static var defaultDirectory: String {
        ProcessInfo.processInfo.environment["LAB_FASHION_MNIST"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "/usr/share/datasets/fashion-mnist"
    }

    /// The class names in label order, as the data set defines them.
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// Loads a split; `limit` keeps the first n examples (for smoke runs).
    /// - Throws: ``MultimodalError/missingFile(path:hint:)`` naming the Debian package when the
    ///   files are absent, or ``MultimodalError/corruptFile(path:reason:)``.
    public static func load(_ split: Split, limit: Int? = nil, directory: String = defaultDirectory) throws -> LabeledImages {
        let prefix = split == .train ? "train" : "t10k"
        let imagesPath = "\(directory)/\(prefix)-images-idx3-ubyte.gz"
        let labelsPath = "\(directory)/\(prefix)-labels-idx1-ubyte.gz"
        for path in [imagesPath, labelsPath] where !FileManager.default.fileExists(atPath: path) {
            throw MultimodalError.missingFile(path: path, hint: "Fashion-MNIST is not installed; run `sudo apt-get install dataset-fashion-mnist` (scripts/install-deps does), or set LAB_FASHION_MNIST to a folder with its four .gz files")
        }
        let images = try IDX.read(imagesPath)
        let labels = try IDX.read(labelsPath)
        guard images.shape.count == 3, labels.shape.count == 1, images.shape[0] == labels.shape[0] else {
            throw MultimodalError.corruptFile(path: imagesPath, reason: "shapes \(images.shape) and \(labels.shape) do not match")
        }
        let n = min(limit ?? images.shape[0], images.shape[0])
        let (h, w) = (images.shape[1], images.shape[2])
        let pixels = Tensor(Array(images.bytes[0..<(n * h * w)]), shape: [n, 1, h, w]).to(.float32) / 255.0  // (N, 1, 28, 28)
        let classes = Tensor(Array(labels.bytes[0..<n]), shape: [n]).to(.int64)                              // (N)
        return LabeledImages(images: pixels, labels: classes, classNames: classNames)
    }
}
