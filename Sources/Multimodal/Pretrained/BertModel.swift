import Foundation
import Torch

/// A BERT encoder (Devlin et al. 2019, [arXiv:1810.04805](https://arxiv.org/abs/1810.04805)),
/// as Hugging Face's `BertModel` without its pooler: word, position and token-type embeddings
/// summed and normalized, then ``BertLayer``s. Keys are `transformers`' (`embeddings.word_embeddings.weight`,
/// `encoder.layer.0.attention.self.query.weight`, …), so ``load(folder:)`` reads a model
/// folder's `model.safetensors` as it is.
public final class BertModel: Module {
    /// The architecture.
    public let config: BertConfig
    /// Token ids → vectors, (vocabulary, H).
    public let wordEmbeddings: Embedding
    /// Positions 0… → vectors, (maxPositions, H).
    public let positionEmbeddings: Embedding
    /// Segment A/B → vectors, (types, H).
    public let tokenTypeEmbeddings: Embedding
    /// The LayerNorm over the summed embeddings.
    public let embeddingNorm: LayerNorm
    /// Dropout on the embeddings, in training mode.
    public let embeddingDropout: Dropout
    /// The encoder layers, first to last.
    public let layers: [BertLayer]

    /// A model shaped by `config`, randomly initialized (``load(folder:)`` gives a trained one).
    public init(_ config: BertConfig) {
        self.config = config
        wordEmbeddings = Embedding(config.vocabularySize, config.hiddenSize, paddingIndex: 0)
        positionEmbeddings = Embedding(config.maxPositions, config.hiddenSize)
        tokenTypeEmbeddings = Embedding(config.typeVocabularySize, config.hiddenSize)
        embeddingNorm = LayerNorm([config.hiddenSize], eps: config.layerNormEps)
        embeddingDropout = Dropout(config.hiddenDropout)
        layers = (0..<config.layers).map { _ in BertLayer(config) }
    }

    /// The embeddings and the layers under Hugging Face's names.
    public override func namedChildren() -> [(String, Module)] {
        [("embeddings.word_embeddings", wordEmbeddings), ("embeddings.position_embeddings", positionEmbeddings),
         ("embeddings.token_type_embeddings", tokenTypeEmbeddings), ("embeddings.LayerNorm", embeddingNorm),
         ("embeddings.dropout", embeddingDropout)]
            + layers.enumerated().map { ("encoder.layer.\($0.offset)", $0.element as Module) }
    }

    /// The hidden states after the embeddings and after each layer: `layers.count + 1`
    /// tensors (B, T, H). `ids`: (B, T) int64; `mask`: (B, T), 1 at tokens and 0 at padding
    /// (nil: every token counts); `tokenTypes`: (B, T) segment ids (nil: all segment A).
    /// - Precondition: T ≤ `config.maxPositions`.
    public func hiddenStates(ids: Tensor, mask: Tensor?, tokenTypes: Tensor? = nil) -> [Tensor] {
        let t = ids.size(1)
        precondition(t <= config.maxPositions, "BertModel: \(t) tokens exceed the \(config.maxPositions) positions of the model")
        let types = tokenTypes ?? Tensor.zeros(ids.shape, dtype: .int64)
        var x = wordEmbeddings(ids) + positionEmbeddings(Tensor.arange(t)) + tokenTypeEmbeddings(types)   // (B, T, H)
        x = embeddingDropout(embeddingNorm(x))
        // 0 where attended, the dtype's lowest value at padding (as transformers): (B, 1, 1, T).
        let additive = mask.map { m in
            (1.0 - m.to(x.dtype)).reshape(ids.size(0), 1, 1, t) * Double(-Float.greatestFiniteMagnitude)
        }
        var states = [x]
        for layer in layers {
            x = layer(x, additiveMask: additive)
            states.append(x)
        }
        return states
    }

    /// The last hidden state, (B, T, H) (see ``hiddenStates(ids:mask:tokenTypes:)``).
    public func callAsFunction(ids: Tensor, mask: Tensor?, tokenTypes: Tensor? = nil) -> Tensor {
        hiddenStates(ids: ids, mask: mask, tokenTypes: tokenTypes).last!
    }

    /// Reads a Hugging Face BERT folder's `config.json` and `model.safetensors`.
    /// Tensors the encoder does not use (`embeddings.position_ids`, the `pooler`) are skipped;
    /// a `bert.` prefix on every key is accepted.
    /// - Throws: ``MultimodalError`` naming the missing file, the unsupported setting, or the
    ///   tensor that is missing, unexpected or mis-shaped.
    public static func load(folder: String) throws -> BertModel {
        let config = try BertConfig(contentsOf: folder + "/config.json")
        let file = try PretrainedWeights.read(folder: folder,
                                              hint: "the folder has no model.safetensors (a pytorch_model.bin must be converted first)")
        var tensors: [String: Tensor] = [:]
        for (key, tensor) in file.tensors {
            let name = key.hasPrefix("bert.") ? String(key.dropFirst(5)) : key
            if name == "embeddings.position_ids" || name.hasPrefix("pooler.") { continue }
            tensors[name] = tensor
        }
        let model = BertModel(config)
        try PretrainedWeights.load(tensors, into: model, path: file.path, needs: "a \(config.layers)-layer BERT",
                                   shapedBy: "config.json", lacks: "a BERT encoder")
        return model
    }
}
