import Torch

/// The inverted-residual block of MobileNetV2 and EfficientNet-Lite ("MBConv", Sandler et al.
/// 2018, [arXiv:1801.04381](https://arxiv.org/abs/1801.04381)), without squeeze-excitation:
/// a 1×1 expansion to `expandRatio`·C channels (absent when the ratio is 1), a k×k depthwise
/// convolution with TensorFlow's "same" padding, a 1×1 linear projection, each followed by
/// BatchNorm, the first two by ReLU6; the input is added back when the block keeps its shape.
///
/// State-dict keys are those of the `efficientnet_pytorch` family: `_expand_conv`, `_bn0`,
/// `_depthwise_conv`, `_bn1`, `_project_conv`, `_bn2`.
public final class MBConvBlock: Module, Layer {
    /// The 1×1 expansion and its norm; nil when the expansion ratio is 1.
    public let expand: (conv: Conv2d, norm: BatchNorm2d)?
    /// The depthwise k×k convolution (one group per channel) and its norm.
    public let depthwise: Conv2d, depthwiseNorm: BatchNorm2d
    /// The 1×1 projection to the output channels and its norm.
    public let project: Conv2d, projectNorm: BatchNorm2d
    /// The depthwise convolution's kernel size and stride.
    public let kernelSize: Int, stride: Int
    /// Whether the input is added to the output (stride 1 and as many channels out as in).
    public let residual: Bool

    /// A block from `input` to `output` channels; `eps` and `momentum` are the norms' (EfficientNet: 1e-3 and 0.01).
    public init(input: Int, output: Int, kernelSize: Int, stride: Int, expandRatio: Int,
                eps: Double = 1e-3, momentum: Double = 0.01) {
        let hidden = input * expandRatio
        expand = expandRatio == 1 ? nil
            : (Conv2d(input, hidden, kernelSize: 1, bias: false), BatchNorm2d(hidden, eps: eps, momentum: momentum))
        depthwise = Conv2d(hidden, hidden, kernelSize: kernelSize, stride: stride, groups: hidden, bias: false)
        depthwiseNorm = BatchNorm2d(hidden, eps: eps, momentum: momentum)
        project = Conv2d(hidden, output, kernelSize: 1, bias: false)
        projectNorm = BatchNorm2d(output, eps: eps, momentum: momentum)
        self.kernelSize = kernelSize
        self.stride = stride
        residual = stride == 1 && input == output
    }

    public override func namedChildren() -> [(String, Module)] {
        var children: [(String, Module)] = []
        if let expand { children += [("_expand_conv", expand.conv), ("_bn0", expand.norm)] }
        return children + [("_depthwise_conv", depthwise), ("_bn1", depthwiseNorm),
                           ("_project_conv", project), ("_bn2", projectNorm)]
    }

    /// x: (N, Cin, H, W) → (N, Cout, ⌈H / stride⌉, ⌈W / stride⌉).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        if let expand { h = F.relu6(expand.norm(expand.conv(h))) }
        h = F.relu6(depthwiseNorm(Self.samePaddedConv(h, depthwise)))
        h = projectNorm(project(h))
        return residual ? h + x : h
    }

    /// x padded as TensorFlow's "same" convolution pads it, so that a convolution with no
    /// padding gives ⌈size / stride⌉: the total ((⌈size / stride⌉ − 1)·stride + k − size) split
    /// with the extra row and column at the bottom and right (so stride 2 with an even size pads
    /// asymmetrically, which no symmetric `padding` of `Conv2d` reproduces).
    /// `conv` (no padding of its own) applied with TensorFlow "same" padding: symmetric
    /// amounts go to the convolution's own `padding`, which saves a padded copy of the input
    /// (all stride-1 layers); only asymmetric ones pad explicitly (``samePadded(_:kernelSize:stride:)``).
    public static func samePaddedConv(_ x: Tensor, _ conv: Conv2d) -> Tensor {
        let k = conv.weight.size(2), s = conv.stride.0
        func amounts(_ size: Int) -> (Int, Int) {
            let total = max(((size + s - 1) / s - 1) * s + k - size, 0)
            return (total / 2, total - total / 2)
        }
        let (top, bottom) = amounts(x.size(-2)), (left, right) = amounts(x.size(-1))
        guard top == bottom && left == right else { return conv(samePadded(x, kernelSize: k, stride: s)) }
        return F.conv2d(x, weight: conv.weight, bias: conv.bias, stride: conv.stride, padding: (top, left),
                        dilation: conv.dilation, groups: conv.groups)
    }

    public static func samePadded(_ x: Tensor, kernelSize: Int, stride: Int) -> Tensor {
        func amounts(_ size: Int) -> (Int, Int) {
            let out = (size + stride - 1) / stride
            let total = max((out - 1) * stride + kernelSize - size, 0)
            return (total / 2, total - total / 2)
        }
        let (top, bottom) = amounts(x.size(-2)), (left, right) = amounts(x.size(-1))
        if top == 0 && bottom == 0 && left == 0 && right == 0 { return x }
        return F.pad(x, [left, right, top, bottom])
    }
}
