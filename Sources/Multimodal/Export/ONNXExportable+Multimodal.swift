import Foundation
import Torch

// The ONNX forms of Multimodal's encoders, adapters and int8 layers (evaluation mode).

extension ImageEncoder: ONNXModel {
    /// (batch, inChannels, imageSize, imageSize) float32.
    public var onnxInputs: [ONNXValueInfo] {
        [ONNXValueInfo("images", .float32, [.batch, .fixed(convs[0].weight.size(1)), .fixed(imageSize), .fixed(imageSize)])]
    }
    public var onnxOutputs: [ONNXValueInfo] { [ONNXValueInfo("embeddings", .float32, [.batch, .fixed(projection.outFeatures)])] }

    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        var h = inputs[0]
        for (i, (conv, pool)) in zip(convs, pools).enumerated() {
            h = graph.op("Relu", try graph.emit(conv, h, prefix: graph.key(prefix, "convs.\(i)")))
            if pool { h = graph.op("MaxPool", h, attributes: [.ints("kernel_shape", [2, 2]), .ints("strides", [2, 2])]) }
        }
        return [try graph.emit(projection, graph.op("Flatten", h, attributes: [.int("axis", 1)]), prefix: graph.key(prefix, "projection"))]
    }
}

extension TextEncoder: ONNXModel {
    /// (batch, tokens) int64 ids, `padID` marking padding; `tokens` ≤ `maxLength`.
    public var onnxInputs: [ONNXValueInfo] { [ONNXValueInfo("tokens", .int64, [.batch, .named("tokens")])] }
    public var onnxOutputs: [ONNXValueInfo] { [ONNXValueInfo("embeddings", .float32, [.batch, .fixed(projection.outFeatures)])] }

    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        let tokens = inputs[0]
        let padding = graph.op("Equal", tokens, graph.initializer(Tensor([Int64(padID)], shape: []), name: graph.key(prefix, "pad_id")))
        // Positions 0 ..< T: Range over the length of dimension 1, as a scalar.
        let length = graph.op("Squeeze", graph.size(tokens, axis: 1, prefix: prefix), graph.ints([0], name: graph.key(prefix, "squeeze_axis")))
        let positions = graph.op("Range", graph.initializer(Tensor([Int64(0)], shape: []), name: graph.key(prefix, "start")), length,
                                 graph.initializer(Tensor([Int64(1)], shape: []), name: graph.key(prefix, "step")))
        var x = graph.op("Add", try graph.emit(tokenEmbedding, tokens, prefix: graph.key(prefix, "tokenEmbedding")),
                         try graph.emit(positionEmbedding, positions, prefix: graph.key(prefix, "positionEmbedding")))
        for (i, layer) in layers.enumerated() {
            x = try graph.emit(layer, [x, padding], prefix: graph.key(prefix, "layers.\(i)"))[0]
        }
        x = try graph.emit(finalNorm, x, prefix: graph.key(prefix, "finalNorm"))
        let pooled: String
        switch pooling {
        case .first:
            pooled = graph.op("Gather", x, graph.initializer(Tensor([Int64(0)], shape: []), name: graph.key(prefix, "first")), attributes: [.int("axis", 1)])
        case .mean:
            let keep = graph.op("Unsqueeze", graph.op("Cast", graph.op("Not", padding), attributes: [.int("to", 1)]),
                                graph.ints([-1], name: graph.key(prefix, "keep_axis")))                         // (B, T, 1)
            let axis = graph.ints([1], name: graph.key(prefix, "token_axis"))
            let counts = graph.op("Max", graph.op("ReduceSum", keep, axis, attributes: [.int("keepdims", 0)]), graph.scalar(1, name: graph.key(prefix, "one")))
            pooled = graph.op("Div", graph.op("ReduceSum", graph.op("Mul", x, keep), axis, attributes: [.int("keepdims", 0)]), counts)
        }
        return [try graph.emit(projection, pooled, prefix: graph.key(prefix, "projection"))]
    }
}

extension AudioEncoder: ONNXModel {
    /// (batch, melCount, frames) float32 log-mel spectrograms. Lab pools in time only while at
    /// least two frames remain; the graph pools after every block, so frames must be at least
    /// 2^blocks (which every clip a Lab experiment makes is).
    public var onnxInputs: [ONNXValueInfo] {
        [ONNXValueInfo("spectrograms", .float32, [.batch, .fixed(convs[0].weight.size(1)), .named("frames")])]
    }
    public var onnxOutputs: [ONNXValueInfo] { [ONNXValueInfo("embeddings", .float32, [.batch, .fixed(projection.outFeatures)])] }

    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        var h = inputs[0]
        for (i, conv) in convs.enumerated() {
            h = graph.op("Relu", try graph.emit(conv, h, prefix: graph.key(prefix, "convs.\(i)")))
            h = graph.op("MaxPool", h, attributes: [.ints("kernel_shape", [2]), .ints("strides", [2])])
        }
        let pooled = graph.op("ReduceMean", h, attributes: [.ints("axes", [2]), .int("keepdims", 0)])
        return [try graph.emit(projection, pooled, prefix: graph.key(prefix, "projection"))]
    }
}

extension LoRALinear: ONNXExportable {
    /// One MatMul with the merged weight W + (α/r)·B·A (the adapter folded in, as a deployed
    /// LoRA model is): equal to the two-path forward up to float rounding.
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        let weight = withNoGrad { isMerged ? base.weight.detached() : base.weight.detached() + loraB.detached().matmul(loraA.detached()) * scaling }
        return [graph.linear(inputs[0], weight: weight, bias: base.bias?.detached(), prefix: prefix)]
    }
}

extension ONNXGraph {
    /// An int8 weight with per-output-channel scales, dequantized in the graph
    /// (DequantizeLinear along axis 0): the file stores 8 bits a weight.
    func dequantized(_ weight: Int8Weight, prefix: String) -> String {
        let q = initializer(weight.values, name: key(prefix, "weight_int8"))
        let scale = initializer(weight.scales.to(.float32), name: key(prefix, "weight_scale"))
        let zero = initializer(Tensor.zeros([weight.scales.count], dtype: .int8), name: key(prefix, "weight_zero_point"))
        return add("DequantizeLinear", [q, scale, zero], [.int("axis", 0)], name: key(prefix, "dequantize"))[0]
    }

    /// A calibrated input's fake quantization, clamp(round(x / s), −127, 127) · s, as
    /// QuantizeLinear → Clip → DequantizeLinear (the int8 values Lab's kernel sees).
    func fakeQuantized(_ x: String, _ calibration: ActivationCalibration, prefix: String) -> String {
        guard let s = calibration.scale else { return x }
        let scale = scalar(Float(s), name: key(prefix, "input_scale"))
        let zero = initializer(Tensor.zeros([], dtype: .int8), name: key(prefix, "input_zero_point"))
        let q = op("QuantizeLinear", x, scale, zero)
        let low = initializer(Tensor([Int8(-127)], shape: []), name: key(prefix, "int8_min"))
        let high = initializer(Tensor([Int8(127)], shape: []), name: key(prefix, "int8_max"))
        return op("DequantizeLinear", op("Clip", q, low, high), scale, zero)
    }
}

extension QuantizedLinear: ONNXExportable {
    /// int8 weights dequantized in the graph, then MatMul in float32: Lab's `.dequantized`
    /// kernel exactly. A `.dynamic` layer quantizes its activations per batch in fbgemm; the
    /// file computes with float activations, so its outputs differ from that kernel's by the
    /// activation rounding.
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        guard kernel != .int8WeightMatmul else {
            throw MultimodalError.notExportable(module: "QuantizedLinear", path: prefix, reason: "the int8WeightMatmul kernel has no ONNX form; use .dequantized or .dynamic")
        }
        let x = kernel == .dynamic ? inputs[0] : graph.fakeQuantized(inputs[0], input, prefix: prefix)
        let w = graph.op("Transpose", graph.dequantized(weight, prefix: prefix), attributes: [.ints("perm", [1, 0])])
        let y = graph.op("MatMul", x, w)
        guard let bias else { return [y] }
        return [graph.op("Add", y, graph.initializer(bias, name: graph.key(prefix, "bias")))]
    }
}

extension QuantizedConv2d: ONNXExportable {
    /// int8 weights dequantized in the graph, calibrated inputs fake-quantized, then Conv.
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        let x = graph.fakeQuantized(inputs[0], input, prefix: prefix)
        let b = bias.map { graph.initializer($0, name: graph.key(prefix, "bias")) }
        return [graph.conv2d(x, weight: graph.dequantized(weight, prefix: prefix), bias: b,
                             kernel: (weightInt8.size(2), weightInt8.size(3)), stride: stride, padding: padding,
                             dilation: dilation, groups: groups, prefix: prefix)]
    }
}

extension MBConvBlock {
    /// The block on a (N, C, size, size) input: TensorFlow "same" padding becomes the
    /// depthwise Conv's asymmetric pads.
    func emitONNX(_ graph: ONNXGraph, _ x: String, size: Int, prefix: String) throws -> String {
        func clipped(_ y: String) -> String {
            graph.op("Clip", y, graph.scalar(0, name: graph.key(prefix, "min")), graph.scalar(6, name: graph.key(prefix, "max")))
        }
        var h = x
        if let expand {
            h = clipped(try graph.emit(expand.norm, try graph.emit(expand.conv, h, prefix: graph.key(prefix, "_expand_conv")), prefix: graph.key(prefix, "_bn0")))
        }
        h = clipped(try graph.emit(depthwiseNorm, Self.samePaddedConv(graph, h, depthwise, size: size, prefix: graph.key(prefix, "_depthwise_conv")),
                                   prefix: graph.key(prefix, "_bn1")))
        h = try graph.emit(projectNorm, try graph.emit(project, h, prefix: graph.key(prefix, "_project_conv")), prefix: graph.key(prefix, "_bn2"))
        return residual ? graph.op("Add", h, x) : h
    }

    /// A bias-free convolution of a square input of `size` with TensorFlow "same" pads.
    static func samePaddedConv(_ graph: ONNXGraph, _ x: String, _ conv: Conv2d, size: Int, prefix: String) -> String {
        let k = conv.weight.size(2), s = conv.stride.0
        let out = (size + s - 1) / s
        let total = max((out - 1) * s + k - size, 0)
        let (before, after) = (total / 2, total - total / 2)
        let w = graph.initializer(conv.weight, name: graph.key(prefix, "weight"))
        return graph.add("Conv", [x, w], [
            .ints("kernel_shape", [k, k]), .ints("strides", [s, s]), .ints("pads", [before, before, after, after]),
            .ints("dilations", [1, 1]), .int("group", conv.groups),
        ], name: graph.key(prefix, "conv"))[0]
    }
}

extension EfficientNetLite: ONNXModel {
    /// (batch, 3, 224, 224) float32, preprocessed (``preprocess(_:size:)``): the "same" pads
    /// are fixed for this size.
    public var onnxInputs: [ONNXValueInfo] {
        [ONNXValueInfo("images", .float32, [.batch, .fixed(3), .fixed(Self.imageSize), .fixed(Self.imageSize)])]
    }
    public var onnxOutputs: [ONNXValueInfo] { [ONNXValueInfo("logits", .float32, [.batch, .fixed(classifier.outFeatures)])] }

    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        func clipped(_ y: String) -> String {
            graph.op("Clip", y, graph.scalar(0, name: graph.key(prefix, "min")), graph.scalar(6, name: graph.key(prefix, "max")))
        }
        var size = Self.imageSize
        var h = clipped(try graph.emit(stemNorm, MBConvBlock.samePaddedConv(graph, inputs[0], stem, size: size, prefix: graph.key(prefix, "_conv_stem")),
                                       prefix: graph.key(prefix, "_bn0")))
        size = (size + 1) / 2
        for (i, block) in blocks.enumerated() {
            h = try block.emitONNX(graph, h, size: size, prefix: graph.key(prefix, "_blocks.\(i)"))
            size = (size + block.stride - 1) / block.stride
        }
        h = clipped(try graph.emit(headNorm, try graph.emit(head, h, prefix: graph.key(prefix, "_conv_head")), prefix: graph.key(prefix, "_bn1")))
        let pooled = graph.op("Flatten", graph.op("GlobalAveragePool", h), attributes: [.int("axis", 1)])
        return [try graph.emit(classifier, pooled, prefix: graph.key(prefix, "_fc"))]
    }
}
