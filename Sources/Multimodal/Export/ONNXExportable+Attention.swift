import Foundation
import Torch

// The ONNX forms of the patch encoder, cross-modal attention, the Perceiver resampler and
// the VQA model (evaluation mode).

extension PatchEncoder: ONNXModel {
    /// (batch, inChannels, S, S) float32 with S = gridSize · 2^pooled.
    public var onnxInputs: [ONNXValueInfo] {
        let side = gridSize << pooled
        return [ONNXValueInfo("images", .float32, [.batch, .fixed(convs[0].weight.size(1)), .fixed(side), .fixed(side)])]
    }
    public var onnxOutputs: [ONNXValueInfo] { [ONNXValueInfo("tokens", .float32, [.batch, .fixed(gridSize * gridSize), .fixed(dim)])] }

    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        var h = inputs[0]
        for (i, conv) in convs.enumerated() {
            h = graph.op("Relu", try graph.emit(conv, h, prefix: graph.key(prefix, "convs.\(i)")))
            if i < pooled { h = graph.op("MaxPool", h, attributes: [.ints("kernel_shape", [2, 2]), .ints("strides", [2, 2])]) }
        }
        let flat = graph.op("Reshape", h, graph.ints([0, 0, -1], name: graph.key(prefix, "flatten")))        // (B, C, s²)
        let tokens = graph.op("Transpose", flat, attributes: [.ints("perm", [0, 2, 1])])                       // (B, s², C)
        let projected = try graph.emit(projection, tokens, prefix: graph.key(prefix, "projection"))
        return [graph.op("Add", projected, graph.initializer(positions, name: graph.key(prefix, "positions")))]
    }
}

extension CrossModalAttention: ONNXExportable {
    /// Inputs: query (B, Tq, Dq), context (B, Tk, Dc), optionally a (B, Tk) bool key padding
    /// mask. Outputs: the attended queries (B, Tq, E) and the weights (B, H, Tq, Tk).
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        let q0 = try queryNorm.map { try graph.emit($0, inputs[0], prefix: graph.key(prefix, "queryNorm")) } ?? inputs[0]
        let c0 = try contextNorm.map { try graph.emit($0, inputs[1], prefix: graph.key(prefix, "contextNorm")) } ?? inputs[1]
        let (merged, weights) = graph.attention(
            query: try graph.emit(queryProj, q0, prefix: graph.key(prefix, "queryProj")),
            key: try graph.emit(keyProj, c0, prefix: graph.key(prefix, "keyProj")),
            value: try graph.emit(valueProj, c0, prefix: graph.key(prefix, "valueProj")),
            heads: numHeads, width: embedDim, paddingMask: inputs.count > 2 ? inputs[2] : nil, prefix: prefix)
        return [try graph.emit(outProj, merged, prefix: graph.key(prefix, "outProj")), weights]
    }
}

extension PerceiverResampler: ONNXExportable {
    /// Input: media tokens (B, T, E) → (B, numLatents, E). (No key padding mask.)
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        let x = inputs[0]
        // The latents repeated over the batch: Expand to (B, N, E) with B from the input.
        let shape = graph.op("Concat", graph.size(x, axis: 0, prefix: prefix), graph.ints([numLatents, dim], name: graph.key(prefix, "latent_shape")),
                             attributes: [.int("axis", 0)])
        let latents = graph.op("Unsqueeze", graph.initializer(self.latents, name: graph.key(prefix, "latents")), graph.ints([0], name: graph.key(prefix, "batch_axis")))
        var h = graph.op("Expand", latents, shape)
        for (i, layer) in layers.enumerated() {
            let p = graph.key(prefix, "layers.\(i)")
            let queries = try graph.emit(layer.latentNorm, h, prefix: graph.key(p, "latentNorm"))
            let context = graph.op("Concat", try graph.emit(layer.mediaNorm, x, prefix: graph.key(p, "mediaNorm")), queries, attributes: [.int("axis", 1)])
            let attended = graph.op("Add", h, try graph.emit(layer.attention, [queries, context], prefix: graph.key(p, "attention"))[0])
            h = graph.op("Add", attended, try graph.emit(layer.feedForward, attended, prefix: graph.key(p, "feedForward")))
        }
        return [try graph.emit(norm, h, prefix: graph.key(prefix, "norm"))]
    }
}

extension VQAModel: ONNXModel {
    /// Images (batch, 1, S, S) float32 and questions (batch, questions, tokens) int64 ids.
    public var onnxInputs: [ONNXValueInfo] {
        image.onnxInputs + [ONNXValueInfo("questions", .int64, [.batch, .named("questions"), .named("tokens")])]
    }
    /// Answer logits (batch, questions, answers) and attention weights (batch, heads, questions, visual tokens).
    public var onnxOutputs: [ONNXValueInfo] {
        let visual: ONNXDim
        switch reduction {
        case .none: visual = .fixed(image.gridSize * image.gridSize)
        case .mean: visual = .fixed(1)
        case .perceiver(let latents, _): visual = .fixed(latents)
        }
        let answers = (head.layers.last as? Linear)?.outFeatures ?? 0
        return [ONNXValueInfo("logits", .float32, [.batch, .named("questions"), .fixed(answers)]),
                ONNXValueInfo("attention", .float32, [.batch, .fixed(attention.numHeads), .named("questions"), visual])]
    }

    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        var visual = try graph.emit(image, inputs[0], prefix: graph.key(prefix, "image"))                    // (B, T, E)
        switch reduction {
        case .none: break
        case .mean: visual = graph.op("ReduceMean", visual, attributes: [.ints("axes", [1]), .int("keepdims", 1)])
        case .perceiver: visual = try graph.emit(resampler!, visual, prefix: graph.key(prefix, "resampler"))
        }
        // Questions (B, Q, L) → (B·Q, L) through the text encoder → (B, Q, E).
        let questions = inputs[1]
        let shape = graph.op("Shape", questions)
        let rows = graph.op("Concat", graph.ints([-1], name: graph.key(prefix, "rows")),
                            graph.op("Slice", shape, graph.ints([2], name: graph.key(prefix, "from")), graph.ints([3], name: graph.key(prefix, "to"))),
                            attributes: [.int("axis", 0)])
        let embedded = try graph.emit(question, graph.op("Reshape", questions, rows), prefix: graph.key(prefix, "question"))
        let back = graph.op("Concat", graph.op("Slice", shape, graph.ints([0], name: graph.key(prefix, "from0")), graph.ints([2], name: graph.key(prefix, "to2"))),
                            graph.ints([-1], name: graph.key(prefix, "last")), attributes: [.int("axis", 0)])
        let query = graph.op("Reshape", embedded, back)
        let attended = try graph.emit(attention, [query, visual], prefix: graph.key(prefix, "attention"))
        let joined = graph.op("Concat", query, attended[0], graph.op("Mul", query, attended[0]), attributes: [.int("axis", -1)])
        return [try graph.emit(head, joined, prefix: graph.key(prefix, "head")), attended[1]]
    }
}
