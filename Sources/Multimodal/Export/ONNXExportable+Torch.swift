import Foundation
import Torch

// The ONNX forms of Torch's layers, in evaluation mode. Each writes exactly what its
// `callAsFunction` computes: the tests run each export in onnxruntime against Lab.

extension Linear: ONNXExportable {
    /// MatMul with the transposed weight, then Add; a replacement (LoRA, int8) writes its own.
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        if let replacement { return try graph.emit(replacement as Module, inputs, prefix: prefix) }
        return [graph.linear(inputs[0], weight: weight, bias: bias, prefix: prefix)]
    }
}

extension Conv1d: ONNXExportable {
    /// Conv over (B, C, L).
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        let w = graph.initializer(weight, name: graph.key(prefix, "weight"))
        let b = bias.map { graph.initializer($0, name: graph.key(prefix, "bias")) }
        return graph.add("Conv", [inputs[0], w] + (b.map { [$0] } ?? []), [
            .ints("kernel_shape", [weight.size(2)]), .ints("strides", [stride]), .ints("pads", [padding, padding]),
            .ints("dilations", [dilation]), .int("group", groups),
        ], name: graph.key(prefix, "conv"))
    }
}

extension Conv2d: ONNXExportable {
    /// Conv over (B, C, H, W).
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        let w = graph.initializer(weight, name: graph.key(prefix, "weight"))
        let b = bias.map { graph.initializer($0, name: graph.key(prefix, "bias")) }
        return [graph.conv2d(inputs[0], weight: w, bias: b, kernel: (weight.size(2), weight.size(3)), stride: stride,
                             padding: padding, dilation: dilation, groups: groups, prefix: prefix)]
    }
}

extension ONNXGraph {
    /// A 2-D convolution node over already-named weight and bias values.
    public func conv2d(_ x: String, weight: String, bias: String?, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int),
                       dilation: (Int, Int), groups: Int, prefix: String) -> String {
        add("Conv", [x, weight] + (bias.map { [$0] } ?? []), [
            .ints("kernel_shape", [kernel.0, kernel.1]), .ints("strides", [stride.0, stride.1]),
            .ints("pads", [padding.0, padding.1, padding.0, padding.1]), .ints("dilations", [dilation.0, dilation.1]),
            .int("group", groups),
        ], name: key(prefix, "conv"))[0]
    }
}

extension ReLU: ONNXExportable {
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        [graph.op("Relu", inputs[0], name: graph.key(prefix, "relu"))]
    }
}

extension ReLU6: ONNXExportable {
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        [graph.op("Clip", inputs[0], graph.scalar(0, name: graph.key(prefix, "min")), graph.scalar(6, name: graph.key(prefix, "max")))]
    }
}

extension GELU: ONNXExportable {
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        [approximate ? graph.geluTanh(inputs[0], prefix: prefix) : graph.gelu(inputs[0], prefix: prefix)]
    }
}

extension Tanh: ONNXExportable {
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        [graph.op("Tanh", inputs[0])]
    }
}

extension Identity: ONNXExportable {
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] { inputs }
}

extension Dropout: ONNXExportable {
    /// The identity: exports are of evaluation mode.
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] { [inputs[0]] }
}

extension Flatten: ONNXExportable {
    /// ONNX's Flatten keeps dimensions before `start` and joins the rest, so only `end` = −1 (the default) is written.
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        guard end == -1, start >= 0 else {
            throw MultimodalError.notExportable(module: "Flatten", path: prefix,
                                                reason: "only Flatten(start: s ≥ 0, end: -1) has an ONNX form (this one has start \(start), end \(end))")
        }
        return [graph.op("Flatten", inputs[0], attributes: [.int("axis", start)])]
    }
}

extension MaxPool2d: ONNXExportable {
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        [graph.op("MaxPool", inputs[0], attributes: [.ints("kernel_shape", [kernelSize, kernelSize]), .ints("strides", [stride, stride]),
                                                     .ints("pads", [padding, padding, padding, padding])])]
    }
}

extension AvgPool2d: ONNXExportable {
    /// Average pooling that counts padded zeros, as PyTorch's default `count_include_pad`.
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        [graph.op("AveragePool", inputs[0], attributes: [.ints("kernel_shape", [kernelSize, kernelSize]), .ints("strides", [stride, stride]),
                                                         .ints("pads", [padding, padding, padding, padding]), .int("count_include_pad", 1)])]
    }
}

extension AdaptiveAvgPool2d: ONNXExportable {
    /// Only the global form, output size (1, 1), has an ONNX op.
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        guard outputSize == (1, 1) else {
            throw MultimodalError.notExportable(module: "AdaptiveAvgPool2d", path: prefix,
                                                reason: "only output size (1, 1) has an ONNX form (GlobalAveragePool); this one has \(outputSize)")
        }
        return [graph.op("GlobalAveragePool", inputs[0])]
    }
}

extension LayerNorm: ONNXExportable {
    /// LayerNormalization over the last `normalizedShape.count` axes (opset 17).
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        let scale = graph.initializer(weight ?? Tensor.ones(normalizedShape), name: graph.key(prefix, "weight"))
        var operands = [inputs[0], scale]
        if let bias { operands.append(graph.initializer(bias, name: graph.key(prefix, "bias"))) }
        return graph.add("LayerNormalization", operands, [.int("axis", -normalizedShape.count), .float("epsilon", Float(eps))],
                         name: graph.key(prefix, "layer_norm"))
    }
}

extension BatchNorm2d: ONNXExportable {
    /// BatchNormalization with the running statistics (evaluation mode).
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        let channels = runningMean.size(0)
        let scale = graph.initializer(weight ?? Tensor.ones([channels]), name: graph.key(prefix, "weight"))
        let shift = graph.initializer(bias ?? Tensor.zeros([channels]), name: graph.key(prefix, "bias"))
        let mean = graph.initializer(runningMean, name: graph.key(prefix, "running_mean"))
        let variance = graph.initializer(runningVar, name: graph.key(prefix, "running_var"))
        return graph.add("BatchNormalization", [inputs[0], scale, shift, mean, variance], [.float("epsilon", Float(eps))],
                         name: graph.key(prefix, "batch_norm"))
    }
}

extension Embedding: ONNXExportable {
    /// Gather rows of the table by int64 ids of any shape.
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        [graph.op("Gather", graph.initializer(weight, name: graph.key(prefix, "weight")), inputs[0], attributes: [.int("axis", 0)],
                  name: graph.key(prefix, "gather"))]
    }
}

extension Sequential: ONNXExportable {
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        var x = inputs
        for (i, layer) in layers.enumerated() { x = try graph.emit(layer as Module, x, prefix: graph.key(prefix, String(i))) }
        return x
    }
}

extension MultiheadAttention: ONNXExportable {
    /// Scaled dot-product attention, batch first. Inputs: query, key, value, and optionally a
    /// (B, S) bool key padding mask (true = ignore); two inputs are a query and one value for
    /// key and value, one input attends to itself. Self-attention (one value for all three)
    /// projects once with the packed weight, as Lab does.
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        guard batchFirst else {
            throw MultimodalError.notExportable(module: "MultiheadAttention", path: prefix, reason: "only batchFirst attention is written")
        }
        let weight = effectiveInProjWeight.detached()
        let (query, key, value) = inputs.count >= 3 ? (inputs[0], inputs[1], inputs[2])
            : inputs.count == 2 ? (inputs[0], inputs[1], inputs[1]) : (inputs[0], inputs[0], inputs[0])
        let q: String, k: String, v: String
        if query == key && key == value {
            let qkv = graph.linear(query, weight: weight, bias: inProjBias, prefix: prefix, weightName: "in_proj_weight")
            let parts = graph.add("Split", [qkv, graph.ints([embedDim, embedDim, embedDim], name: graph.key(prefix, "split"))],
                                  [.int("axis", -1)], count: 3, name: graph.key(prefix, "split"))
            (q, k, v) = (parts[0], parts[1], parts[2])
        } else {
            let w = weight.chunk(3, dim: 0), b = inProjBias?.detached().chunk(3, dim: 0)
            q = graph.linear(query, weight: w[0], bias: b?[0], prefix: prefix, weightName: "in_proj_weight.q")
            k = graph.linear(key, weight: w[1], bias: b?[1], prefix: prefix, weightName: "in_proj_weight.k")
            v = graph.linear(value, weight: w[2], bias: b?[2], prefix: prefix, weightName: "in_proj_weight.v")
        }
        let merged = graph.attention(query: q, key: k, value: v, heads: numHeads, width: embedDim,
                                     paddingMask: inputs.count > 3 ? inputs[3] : nil, prefix: prefix).merged
        return [try graph.emit(outProj, merged, prefix: graph.key(prefix, "out_proj"))]
    }
}

extension TransformerEncoderLayer: ONNXExportable {
    /// Pre- or post-norm self-attention and feed-forward. Inputs: x (B, T, E) and optionally a
    /// (B, T) bool key padding mask.
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        let x = inputs[0]
        let mask = inputs.count > 1 ? [inputs[1]] : []
        func attention(_ y: String) throws -> String {
            try graph.emit(selfAttn, [y, y, y] + mask, prefix: graph.key(prefix, "self_attn"))[0]
        }
        func feedForward(_ y: String) throws -> String {
            let hidden = try graph.emit(linear1, y, prefix: graph.key(prefix, "linear1"))
            let activated = activation == .relu ? graph.op("Relu", hidden) : graph.gelu(hidden, prefix: graph.key(prefix, "activation"))
            return try graph.emit(linear2, activated, prefix: graph.key(prefix, "linear2"))
        }
        func norm(_ layer: LayerNorm, _ name: String, _ y: String) throws -> String { try graph.emit(layer, y, prefix: graph.key(prefix, name)) }
        if normFirst {
            let h = graph.op("Add", x, try attention(try norm(norm1, "norm1", x)))
            return [graph.op("Add", h, try feedForward(try norm(norm2, "norm2", h)))]
        }
        let h = try norm(norm1, "norm1", graph.op("Add", x, try attention(x)))
        return [try norm(norm2, "norm2", graph.op("Add", h, try feedForward(h)))]
    }
}
