import Foundation

/// The fields of a Hugging Face BERT `config.json` that the architecture depends on.
public struct BertConfig: Codable, Sendable, Equatable {
    /// The token-table size (30,522 for BERT's uncased English vocabulary).
    public var vocabularySize: Int
    /// H, the width of every hidden state.
    public var hiddenSize: Int
    /// The number of encoder layers.
    public var layers: Int
    /// The number of attention heads; H / heads dimensions each.
    public var heads: Int
    /// The feed-forward block's inner width.
    public var intermediateSize: Int
    /// The longest sequence the position table covers.
    public var maxPositions: Int
    /// The number of token types (segments A and B).
    public var typeVocabularySize: Int
    /// Every LayerNorm's epsilon (BERT's 1e-12).
    public var layerNormEps: Double
    /// Dropout on embeddings and block outputs, in training mode.
    public var hiddenDropout: Double
    /// Dropout on the attention weights, in training mode.
    public var attentionDropout: Double

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", hiddenSize = "hidden_size", layers = "num_hidden_layers"
        case heads = "num_attention_heads", intermediateSize = "intermediate_size", maxPositions = "max_position_embeddings"
        case typeVocabularySize = "type_vocab_size", layerNormEps = "layer_norm_eps"
        case hiddenDropout = "hidden_dropout_prob", attentionDropout = "attention_probs_dropout_prob"
    }

    /// A configuration given field by field.
    public init(vocabularySize: Int, hiddenSize: Int, layers: Int, heads: Int, intermediateSize: Int, maxPositions: Int = 512,
                typeVocabularySize: Int = 2, layerNormEps: Double = 1e-12, hiddenDropout: Double = 0.1, attentionDropout: Double = 0.1) {
        self.vocabularySize = vocabularySize; self.hiddenSize = hiddenSize; self.layers = layers; self.heads = heads
        self.intermediateSize = intermediateSize; self.maxPositions = maxPositions; self.typeVocabularySize = typeVocabularySize
        self.layerNormEps = layerNormEps; self.hiddenDropout = hiddenDropout; self.attentionDropout = attentionDropout
    }

    /// Reads `config.json`, checking that it describes what ``BertModel`` computes: a `bert`
    /// model with absolute positions, exact GELU, and heads dividing the width.
    /// - Throws: ``MultimodalError`` naming the file and what is missing or unsupported.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MultimodalError.missingFile(path: path, hint: "a Hugging Face model folder has a config.json")
        }
        guard let raw = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw MultimodalError.corruptFile(path: path, reason: "not a JSON object")
        }
        let type = raw["model_type"] as? String ?? "none"
        guard type == "bert" else {
            throw MultimodalError.corruptFile(path: path, reason: "model_type is \"\(type)\": only BERT encoders (model_type \"bert\") are supported")
        }
        if let act = raw["hidden_act"] as? String, act != "gelu" {
            throw MultimodalError.corruptFile(path: path, reason: "hidden_act is \"\(act)\": only \"gelu\" (exact, erf) is supported")
        }
        if let positions = raw["position_embedding_type"] as? String, positions != "absolute" {
            throw MultimodalError.corruptFile(path: path, reason: "position_embedding_type is \"\(positions)\": only \"absolute\" is supported")
        }
        do {
            self = try JSONDecoder().decode(BertConfig.self, from: data)
        } catch DecodingError.keyNotFound(let key, _) {
            throw MultimodalError.corruptFile(path: path, reason: "it has no \"\(key.stringValue)\"")
        } catch {
            throw MultimodalError.corruptFile(path: path, reason: "\(error)")
        }
        guard hiddenSize % heads == 0 else {
            throw MultimodalError.corruptFile(path: path, reason: "hidden_size \(hiddenSize) is not divisible by num_attention_heads \(heads)")
        }
    }
}
