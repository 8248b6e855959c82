import Foundation
import Torch

/// A sentence-transformers text encoder: a ``BertModel``, its ``WordPieceTokenizer``, and
/// mean pooling over the attention mask followed by L2 normalization (all-MiniLM-L6-v2's
/// `1_Pooling` and `Normalize` modules). As a `Layer` it maps token ids (B, T), padded with
/// the tokenizer's `[PAD]` id, to unit embeddings (B, H), so it can be a `CLIP` tower.
///
/// ```swift
/// let encoder = try SentenceEncoder.pretrained("all-MiniLM-L6-v2")
/// let e = encoder.embed(["The weather is lovely today.", "It's so sunny outside!"])   // (2, 384)
/// let cosine = (e[0] * e[1]).sum().item()                                             // 0.6660
/// ```
public final class SentenceEncoder: Module, Layer {
    /// The transformer.
    public let bert: BertModel
    /// Its tokenizer.
    public let tokenizer: WordPieceTokenizer
    /// The longest input, in tokens ([CLS] and [SEP] included); longer texts are cut.
    public let maxLength: Int

    /// An encoder of `bert` with `tokenizer`, cutting texts at `maxLength` tokens.
    public init(bert: BertModel, tokenizer: WordPieceTokenizer, maxLength: Int = 256) {
        self.bert = bert
        self.tokenizer = tokenizer
        self.maxLength = min(maxLength, bert.config.maxPositions)
    }

    /// The transformer's tensors under its own keys (`embeddings.…`, `encoder.layer.…`).
    public override func namedChildren() -> [(String, Module)] { [("", bert)] }

    /// Reads a sentence-transformers folder: `config.json`, `model.safetensors`,
    /// `tokenizer.json` (or `vocab.txt`) and, when present, `sentence_bert_config.json` for
    /// the maximum length. Its pooling must be the mean (`1_Pooling/config.json`).
    /// - Throws: ``MultimodalError`` naming the file and what is wrong with it.
    public static func load(folder: String) throws -> SentenceEncoder {
        let pooling = folder + "/1_Pooling/config.json"
        if let data = FileManager.default.contents(atPath: pooling),
           let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           json["pooling_mode_mean_tokens"] as? Bool != true {
            throw MultimodalError.corruptFile(path: pooling, reason: "its pooling is not the mean over tokens, the only pooling supported")
        }
        var maxLength = 256
        if let data = FileManager.default.contents(atPath: folder + "/sentence_bert_config.json"),
           let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let length = json["max_seq_length"] as? Int { maxLength = length }
        return SentenceEncoder(bert: try BertModel.load(folder: folder), tokenizer: try WordPieceTokenizer(folder: folder),
                               maxLength: maxLength)
    }

    /// ``load(folder:)`` from the folder ``PretrainedModels/folder(_:)`` finds for `name`.
    public static func pretrained(_ name: String) throws -> SentenceEncoder {
        try load(folder: PretrainedModels.folder(name))
    }

    /// Token ids and masks for `texts` (``WordPieceTokenizer/batch(_:maxLength:)`` at this
    /// encoder's `maxLength`).
    public func tokenize(_ texts: [String]) -> (ids: Tensor, mask: Tensor) { tokenizer.batch(texts, maxLength: maxLength) }

    /// Mean of the last hidden states over the tokens `mask` marks, L2-normalized: (B, H).
    public func callAsFunction(ids: Tensor, mask: Tensor) -> Tensor {
        let hidden = bert(ids: ids, mask: mask)                                  // (B, T, H)
        let keep = mask.to(hidden.dtype).unsqueeze(-1)                           // (B, T, 1)
        let pooled = (hidden * keep).sum(dim: 1) / keep.sum(dim: 1).clamp(min: 1e-9)   // (B, H)
        return pooled.normalized(dim: -1)
    }

    /// ids: (B, T) int64, `[PAD]` marking padding → (B, H) unit rows.
    public func callAsFunction(_ ids: Tensor) -> Tensor {
        callAsFunction(ids: ids, mask: (ids .!= tokenizer.paddingID).to(.int64))
    }

    /// The embeddings of `texts`, (B, H), in evaluation mode without gradients (the model's
    /// mode is restored after), `batchSize` texts at a time.
    public func embed(_ texts: [String], batchSize: Int = 64) -> Tensor {
        let wasTraining = isTraining
        eval()
        defer { if wasTraining { train() } }
        return withNoGrad {
            Tensor.cat(stride(from: 0, to: texts.count, by: batchSize).map { start in
                let batch = tokenize(Array(texts[start..<min(start + batchSize, texts.count)]))
                return self(ids: batch.ids, mask: batch.mask)
            })
        }
    }
}
