import Foundation
import Torch

/// A word-level tokenizer trained on captions.
///
/// Word-level, not byte-pair: the captions come from a closed vocabulary of templates and
/// synonyms (a few dozen words), so every word fits in the vocabulary, sequences stay short,
/// and a token is a word a reader can recognise in an attention map. Byte-pair encoding pays
/// off on open text, which these experiments do not have; an unseen word maps to `<unk>`.
public struct Tokenizer: Codable, Sendable, Equatable {
    /// The padding token (id 0) and the token for words outside the vocabulary (id 1).
    public static let pad = "<pad>", unknown = "<unk>"
    /// Token id → word; 0 is padding, 1 is unknown.
    public private(set) var vocabulary: [String]
    private var ids: [String: Int]

    /// Builds the vocabulary from `texts`, most frequent words first (ties alphabetical).
    public init(training texts: [String]) {
        var counts: [String: Int] = [:]
        for text in texts { for word in Tokenizer.words(text) { counts[word, default: 0] += 1 } }
        let sorted = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
        vocabulary = [Tokenizer.pad, Tokenizer.unknown] + sorted
        ids = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
    }

    /// The tokenizer with this vocabulary (token id → word), as ``vocabulary`` gives it and
    /// an export's `export.json` records it.
    /// - Throws: ``MultimodalError/corruptFile(path:reason:)`` when ids 0 and 1 are not
    ///   `<pad>` and `<unk>` or a word appears twice.
    public init(vocabulary: [String]) throws {
        guard vocabulary.count >= 2, vocabulary[0] == Tokenizer.pad, vocabulary[1] == Tokenizer.unknown else {
            throw MultimodalError.corruptFile(path: "vocabulary", reason: "a word tokenizer's ids 0 and 1 are \(Tokenizer.pad) and \(Tokenizer.unknown)")
        }
        var ids: [String: Int] = [:]
        for (id, word) in vocabulary.enumerated() {
            guard ids.updateValue(id, forKey: word) == nil else {
                throw MultimodalError.corruptFile(path: "vocabulary", reason: "'\(word)' appears twice")
            }
        }
        self.vocabulary = vocabulary
        self.ids = ids
    }

    /// Lower-cased words and punctuation marks.
    static func words(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for ch in text.lowercased() {
            if ch.isLetter || ch.isNumber || ch == "-" || ch == "'" { current.append(ch); continue }
            if !current.isEmpty { out.append(current); current = "" }
            if !ch.isWhitespace { out.append(String(ch)) }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// The vocabulary size, special tokens included.
    public var count: Int { vocabulary.count }

    /// Token ids of `text`, unknown words as 1.
    public func encode(_ text: String) -> [Int] { Tokenizer.words(text).map { ids[$0] ?? 1 } }

    /// The words of `ids`, without padding.
    public func decode(_ tokens: [Int]) -> String {
        tokens.filter { $0 != 0 }.map { $0 < vocabulary.count ? vocabulary[$0] : Tokenizer.unknown }.joined(separator: " ")
    }

    /// (N, length) int64 token ids, truncated or padded with 0.
    public func batch(_ texts: [String], length: Int) -> Tensor {
        var flat: [Int64] = []
        flat.reserveCapacity(texts.count * length)
        for text in texts {
            let t = encode(text).prefix(length)
            flat += t.map(Int64.init) + [Int64](repeating: 0, count: length - t.count)
        }
        return Tensor(flat, shape: [texts.count, length])
    }

    /// Writes the vocabulary as JSON.
    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted]
        try encoder.encode(vocabulary).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads a vocabulary written by ``save(to:)``.
    public init(contentsOf path: String) throws {
        let words = try JSONDecoder().decode([String].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        guard words.count >= 2, words[0] == Tokenizer.pad, words[1] == Tokenizer.unknown else {
            throw MultimodalError.corruptFile(path: path, reason: "a vocabulary starts with \"<pad>\", \"<unk>\"")
        }
        vocabulary = words
        ids = Dictionary(words.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }
}
