import Foundation
import Torch

// The ONNX forms of the pretrained BERT encoder and the sentence encoder over it.

extension BertLayer: ONNXExportable {
    /// Inputs: x (B, T, H) and the additive mask (B, 1, 1, T) (0 at tokens, the float32
    /// minimum at padding). Post-norm attention and GELU feed-forward, as BERT.
    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        let x = inputs[0]
        let merged = graph.attention(
            query: try graph.emit(query, x, prefix: graph.key(prefix, "attention.self.query")),
            key: try graph.emit(key, x, prefix: graph.key(prefix, "attention.self.key")),
            value: try graph.emit(value, x, prefix: graph.key(prefix, "attention.self.value")),
            heads: heads, width: query.outFeatures, additiveMask: inputs.count > 1 ? inputs[1] : nil, prefix: prefix).merged
        let h = try graph.emit(attentionNorm, graph.op("Add", x, try graph.emit(attentionOutput, merged, prefix: graph.key(prefix, "attention.output.dense"))),
                               prefix: graph.key(prefix, "attention.output.LayerNorm"))
        let hidden = graph.gelu(try graph.emit(intermediate, h, prefix: graph.key(prefix, "intermediate.dense")), prefix: graph.key(prefix, "gelu"))
        return [try graph.emit(outputNorm, graph.op("Add", h, try graph.emit(output, hidden, prefix: graph.key(prefix, "output.dense"))),
                               prefix: graph.key(prefix, "output.LayerNorm"))]
    }
}

extension BertModel: ONNXModel {
    /// Token ids and the attention mask (1 at tokens, 0 at padding), (batch, tokens) int64;
    /// token types are all segment A.
    public var onnxInputs: [ONNXValueInfo] {
        [ONNXValueInfo("input_ids", .int64, [.batch, .named("tokens")]), ONNXValueInfo("attention_mask", .int64, [.batch, .named("tokens")])]
    }
    /// The last hidden state (batch, tokens, hidden).
    public var onnxOutputs: [ONNXValueInfo] {
        [ONNXValueInfo("last_hidden_state", .float32, [.batch, .named("tokens"), .fixed(config.hiddenSize)])]
    }

    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        let (ids, mask) = (inputs[0], inputs[1])
        let length = graph.op("Squeeze", graph.size(ids, axis: 1, prefix: prefix), graph.ints([0], name: graph.key(prefix, "squeeze_axis")))
        let positions = graph.op("Range", graph.initializer(Tensor([Int64(0)], shape: []), name: graph.key(prefix, "start")), length,
                                 graph.initializer(Tensor([Int64(1)], shape: []), name: graph.key(prefix, "step")))
        // Segment A everywhere: the first token-type row, broadcast over (B, T, H).
        let typeRow = graph.initializer(tokenTypeEmbeddings.weight.detached()[0], name: graph.key(prefix, "embeddings.token_type_embeddings.row0"))
        var x = graph.op("Add", graph.op("Add", try graph.emit(wordEmbeddings, ids, prefix: graph.key(prefix, "embeddings.word_embeddings")),
                                         try graph.emit(positionEmbeddings, positions, prefix: graph.key(prefix, "embeddings.position_embeddings"))), typeRow)
        x = try graph.emit(embeddingNorm, x, prefix: graph.key(prefix, "embeddings.LayerNorm"))
        let keep = graph.op("Cast", mask, attributes: [.int("to", 1)])                                               // (B, T) float
        let additive = graph.op("Mul", graph.op("Sub", graph.scalar(1, name: graph.key(prefix, "one")), keep),
                                graph.scalar(-Float.greatestFiniteMagnitude, name: graph.key(prefix, "lowest")))
        let mask4 = graph.op("Unsqueeze", additive, graph.ints([1, 2], name: graph.key(prefix, "mask_axes")))            // (B, 1, 1, T)
        for (i, layer) in layers.enumerated() { x = try graph.emit(layer, [x, mask4], prefix: graph.key(prefix, "encoder.layer.\(i)"))[0] }
        return [x]
    }
}

extension SentenceEncoder: ONNXModel {
    /// Token ids and attention mask from the WordPiece tokenizer, (batch, tokens) int64.
    public var onnxInputs: [ONNXValueInfo] { bert.onnxInputs }
    /// Mean-pooled, L2-normalized sentence embeddings (batch, hidden).
    public var onnxOutputs: [ONNXValueInfo] { [ONNXValueInfo("embeddings", .float32, [.batch, .fixed(bert.config.hiddenSize)])] }

    public func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String] {
        let hidden = try graph.emit(bert, inputs, prefix: prefix)[0]
        let keep = graph.op("Unsqueeze", graph.op("Cast", inputs[1], attributes: [.int("to", 1)]), graph.ints([-1], name: graph.key(prefix, "keep_axis")))
        let axis = graph.ints([1], name: graph.key(prefix, "token_axis"))
        let sum = graph.op("ReduceSum", graph.op("Mul", hidden, keep), axis, attributes: [.int("keepdims", 0)])
        let count = graph.op("Max", graph.op("ReduceSum", keep, axis, attributes: [.int("keepdims", 0)]), graph.scalar(1e-9, name: graph.key(prefix, "tiny")))
        return [graph.l2Normalized(graph.op("Div", sum, count), prefix: graph.key(prefix, "normalize"))]
    }
}
