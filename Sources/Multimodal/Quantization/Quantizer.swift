import Torch

/// Post-training INT8 quantization of a network's `Linear` and `Conv2d` layers
/// (Krishnamoorthi 2018, [arXiv:1806.08342](https://arxiv.org/abs/1806.08342)): weights per
/// output channel, activations per tensor after calibration.
///
/// ``quantize(_:where:kernel:)`` quantizes any `Linear` of any module in place, as
/// `torch.ao.quantization.quantize_dynamic` does with `setattr`: each chosen layer is
/// replaced (`Linear.replace(with:)`) by its `QuantizedLinear`. The other forms remain: by
/// construction (``quantize(_:)-linear``), through key paths to slots declared `any Layer`
/// (``quantize(_:at:)``), or by rebuilding a `Sequential` (``quantize(_:targets:)``).
/// Calibration only reads the tree, so ``calibrate(_:batches:run:)`` works on any module.
public enum Quantizer {
    /// The int8 version of `linear`.
    public static func quantize(_ linear: Linear) -> QuantizedLinear { QuantizedLinear(linear) }

    /// Replaces, in place, every `Linear` of `module` for which `where(key, layer)` is true by
    /// its int8 version computing with `kernel` (``QuantizedLinear/Kernel/dynamic`` for
    /// int8 arithmetic). The float weights leave `stateDict()` and ``sizeInBytes(_:)``: each
    /// key `K.weight` becomes `K.weight_int8` and `K.weight_scale` (a saved model is 4×
    /// smaller; in memory the replaced `Linear` still holds its float weight).
    /// - Returns: the quantized layers by key, in `namedModules()` order.
    @discardableResult
    public static func quantize(_ module: Module, where choose: (String, Linear) -> Bool = { _, _ in true },
                                kernel: QuantizedLinear.Kernel = .dequantized) -> [(key: String, layer: QuantizedLinear)] {
        let chosen = module.unreplacedLinears(where: choose)
        return chosen.map { key, linear in
            let quantized = QuantizedLinear(linear, kernel: kernel)
            linear.replace(with: quantized)
            return (key, quantized)
        }
    }

    /// The int8 version of `conv`.
    public static func quantize(_ conv: Conv2d) -> QuantizedConv2d { QuantizedConv2d(conv) }

    /// A new `Sequential` in which every `Linear` and `Conv2d` whose key satisfies `targets`
    /// (`"0"`, `"3.1"`: `stateDict()` prefixes) is quantized, recursing into nested
    /// `Sequential`s; other layers are shared with the original.
    public static func quantize(_ sequential: Sequential, targets: (String) -> Bool = { _ in true }) -> Sequential {
        func rebuild(_ s: Sequential, prefix: String) -> Sequential {
            Sequential(s.layers.enumerated().map { index, layer -> any Layer in
                let key = prefix + String(index)
                if let linear = layer as? Linear, targets(key) { return QuantizedLinear(linear) }
                if let conv = layer as? Conv2d, targets(key) { return QuantizedConv2d(conv) }
                if let nested = layer as? Sequential { return rebuild(nested, prefix: key + ".") }
                return layer
            })
        }
        return rebuild(sequential, prefix: "")
    }

    /// Replaces the `Linear` or `Conv2d` at each key path of `module` (slots declared
    /// `any Layer`) by its int8 version; other slots are left as they are.
    /// - Returns: the new layers, in the order of `paths`.
    @discardableResult
    public static func quantize<M: Module>(_ module: M, at paths: [ReferenceWritableKeyPath<M, any Layer>]) -> [any Layer] {
        paths.compactMap { path -> (any Layer)? in
            let quantized: any Layer
            switch module[keyPath: path] {
            case let linear as Linear: quantized = QuantizedLinear(linear)
            case let conv as Conv2d: quantized = QuantizedConv2d(conv)
            default: return nil
            }
            module[keyPath: path] = quantized
            return quantized
        }
    }

    /// Calibrates the inputs of every quantized layer in `module`: records max|x| while
    /// `run` is called on each batch (without gradients), then fixes each layer's scale.
    /// Afterwards those layers fake-quantize their inputs to int8.
    public static func calibrate(_ module: Module, batches: [Tensor], run: (Tensor) -> Void) {
        let observers = calibrations(in: module)
        for o in observers { o.begin() }
        withNoGrad { for batch in batches { run(batch) } }
        for o in observers { o.finish() }
    }

    /// Bytes held by `module`'s parameters and buffers (float or int8 alike).
    public static func sizeInBytes(_ module: Module) -> Int {
        (module.parameters() + module.namedBuffers().map(\.1)).reduce(0) { $0 + $1.count * $1.dtype.byteSize }
    }

    static func calibrations(in module: Module) -> [ActivationCalibration] {
        module.namedModules().compactMap { _, m in
            (m as? QuantizedLinear)?.input ?? (m as? QuantizedConv2d)?.input
        }
    }
}
