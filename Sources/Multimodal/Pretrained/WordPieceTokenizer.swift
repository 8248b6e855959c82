import Foundation
import Torch

/// BERT's tokenizer: its basic tokenization (Unicode cleanup, CJK characters split out,
/// accents stripped, lower-casing, whitespace and punctuation splitting) followed by WordPiece
/// (greedy longest-match-first sub-words, `##` marking a continuation, `[UNK]` for a word it
/// cannot spell), with `[CLS]` … `[SEP]` around each text. It reads a Hugging Face
/// `tokenizer.json` (a `BertNormalizer`, `BertPreTokenizer` and `WordPiece` model) or a plain
/// `vocab.txt`, and gives the ids the `tokenizers` package gives (checked on 3,038 strings:
/// accents, punctuation, CJK, emoji, control characters, very long words).
///
/// ```swift
/// let tokenizer = try WordPieceTokenizer(folder: "…/all-MiniLM-L6-v2")
/// tokenizer.encode("It's so sunny outside!")   // [101, 2009, 1005, 1055, 2061, 11559, 2648, 999, 102]
/// let batch = tokenizer.batch(["a photo of a coat", "a sneaker"], maxLength: 32)  // ids and mask, (2, 7)
/// ```
public struct WordPieceTokenizer: Codable, Sendable {
    /// Token → id.
    public let vocabulary: [String: Int]
    /// Id → token.
    public let tokens: [String]
    /// Whether text is lower-cased before WordPiece.
    public let lowercase: Bool
    /// Whether accents are stripped (NFD, then combining marks removed).
    public let stripAccents: Bool
    /// Whether CJK ideographs are split into single-character words.
    public let splitsChineseCharacters: Bool
    /// The prefix of a word's continuation pieces, `##`.
    public let continuationPrefix: String
    /// Words longer than this (in Unicode scalars) become `[UNK]` whole.
    public let maxCharactersPerWord: Int
    /// The ids of `[UNK]`, `[CLS]`, `[SEP]` and `[PAD]`.
    public let unknownID: Int, classID: Int, separatorID: Int, paddingID: Int
    /// Strings matched in the raw text before normalization (`[CLS]`, `[MASK]`, …), with their ids.
    public let specialTokens: [String: Int]

    /// A tokenizer over `vocabulary` (one token per line, the line number its id: BERT's `vocab.txt`).
    /// - Throws: ``MultimodalError/corruptFile(path:reason:)`` when a special token is missing.
    public init(vocabularyLines: [String], lowercase: Bool = true, path: String = "vocab.txt") throws {
        try self.init(tokens: vocabularyLines, lowercase: lowercase, stripAccents: lowercase, splitsChineseCharacters: true,
                      continuationPrefix: "##", maxCharactersPerWord: 100, unknown: "[UNK]", path: path)
    }

    /// Reads the tokenizer of a Hugging Face model folder: `tokenizer.json` when there is one, else `vocab.txt`.
    /// - Throws: ``MultimodalError/missingFile(path:hint:)`` when neither exists;
    ///   ``MultimodalError/corruptFile(path:reason:)`` naming what is wrong or not BERT's.
    public init(folder: String) throws {
        let json = folder + "/tokenizer.json", vocab = folder + "/vocab.txt"
        if FileManager.default.fileExists(atPath: json) {
            try self.init(tokenizerJSON: json)
        } else if let text = try? String(contentsOfFile: vocab, encoding: .utf8) {
            try self.init(vocabularyLines: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                .dropLast(text.hasSuffix("\n") ? 1 : 0), path: vocab)
        } else {
            throw MultimodalError.missingFile(path: json, hint: "a BERT model folder needs tokenizer.json or vocab.txt beside config.json")
        }
    }

    /// Reads a Hugging Face `tokenizer.json` whose model is WordPiece.
    public init(tokenizerJSON path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw MultimodalError.missingFile(path: path, hint: nil) }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let model = root["model"] as? [String: Any] else {
            throw MultimodalError.corruptFile(path: path, reason: "not a tokenizer.json (no \"model\" object)")
        }
        guard model["type"] as? String == "WordPiece", let vocab = model["vocab"] as? [String: Int] else {
            throw MultimodalError.corruptFile(path: path, reason: "its model is \(model["type"] ?? "unnamed"), not WordPiece: only BERT-style tokenizers are supported")
        }
        let normalizer = root["normalizer"] as? [String: Any] ?? [:]
        if let kind = normalizer["type"] as? String, kind != "BertNormalizer" {
            throw MultimodalError.corruptFile(path: path, reason: "its normalizer is \(kind), not BertNormalizer")
        }
        var tokens = [String](repeating: "", count: (vocab.values.max() ?? -1) + 1)
        for (token, id) in vocab where id >= 0 { tokens[id] = token }
        let lowercase = normalizer["lowercase"] as? Bool ?? true
        try self.init(tokens: tokens, lowercase: lowercase, stripAccents: normalizer["strip_accents"] as? Bool ?? lowercase,
                      splitsChineseCharacters: normalizer["handle_chinese_chars"] as? Bool ?? true,
                      continuationPrefix: model["continuing_subword_prefix"] as? String ?? "##",
                      maxCharactersPerWord: model["max_input_chars_per_word"] as? Int ?? 100,
                      unknown: model["unk_token"] as? String ?? "[UNK]", path: path,
                      special: ((root["added_tokens"] as? [[String: Any]]) ?? []).compactMap { entry in
                          guard let content = entry["content"] as? String, let id = entry["id"] as? Int else { return nil }
                          return (content, id)
                      })
    }

    private init(tokens: [String], lowercase: Bool, stripAccents: Bool, splitsChineseCharacters: Bool, continuationPrefix: String,
                 maxCharactersPerWord: Int, unknown: String, path: String, special: [(String, Int)]? = nil) throws {
        var vocabulary: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where vocabulary[token] == nil { vocabulary[token] = id }
        func id(_ token: String) throws -> Int {
            guard let id = vocabulary[token] else {
                throw MultimodalError.corruptFile(path: path, reason: "the vocabulary has no \(token) token")
            }
            return id
        }
        self.vocabulary = vocabulary
        self.tokens = tokens
        self.lowercase = lowercase
        self.stripAccents = stripAccents
        self.splitsChineseCharacters = splitsChineseCharacters
        self.continuationPrefix = continuationPrefix
        self.maxCharactersPerWord = maxCharactersPerWord
        unknownID = try id(unknown)
        classID = try id("[CLS]")
        separatorID = try id("[SEP]")
        paddingID = try id("[PAD]")
        specialTokens = Dictionary(special ?? ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].compactMap { token in
            vocabulary[token].map { (token, $0) }
        }, uniquingKeysWith: { first, _ in first })
    }

    /// The number of tokens in the vocabulary.
    public var count: Int { tokens.count }

    /// The ids of `text`: `[CLS]`, its WordPiece ids, `[SEP]`.
    public func encode(_ text: String) -> [Int] { [classID] + pieces(text) + [separatorID] }

    /// The WordPiece ids of `text` without `[CLS]` and `[SEP]`.
    public func pieces(_ text: String) -> [Int] {
        var ids: [Int] = []
        for (part, special) in splitSpecial(text) {
            if let special { ids.append(special); continue }
            for word in words(normalize(part)) { ids += wordPiece(word) }
        }
        return ids
    }

    /// Token ids and attention masks for `texts`: (B, L) int64 each, L the longest encoding cut
    /// to `maxLength` (a cut text keeps its `[SEP]`), shorter ones padded with `[PAD]` (mask 0).
    /// - Precondition: `maxLength ≥ 2`.
    public func batch(_ texts: [String], maxLength: Int) -> (ids: Tensor, mask: Tensor) {
        precondition(maxLength >= 2, "WordPieceTokenizer.batch: maxLength must be at least 2 ([CLS] and [SEP]), got \(maxLength)")
        let encoded = texts.map { text -> [Int] in
            let ids = encode(text)
            return ids.count <= maxLength ? ids : Array(ids.prefix(maxLength - 1)) + [separatorID]
        }
        let length = max(1, encoded.map(\.count).max() ?? 1)
        var ids: [Int64] = [], mask: [Int64] = []
        ids.reserveCapacity(texts.count * length)
        for row in encoded {
            ids += row.map(Int64.init) + [Int64](repeating: Int64(paddingID), count: length - row.count)
            mask += [Int64](repeating: 1, count: row.count) + [Int64](repeating: 0, count: length - row.count)
        }
        return (Tensor(ids, shape: [texts.count, length]), Tensor(mask, shape: [texts.count, length]))
    }

    // MARK: the steps

    /// The text cut around the special tokens (longest first), each marked with its id.
    func splitSpecial(_ text: String) -> [(String, Int?)] {
        guard !specialTokens.isEmpty, specialTokens.keys.contains(where: { text.contains($0) }) else { return [(text, nil)] }
        let ordered = specialTokens.keys.sorted { $0.count > $1.count }
        var parts: [(String, Int?)] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            var earliest: (range: Range<Substring.Index>, token: String)?
            for token in ordered {
                if let range = rest.range(of: token), earliest.map({ range.lowerBound < $0.range.lowerBound }) ?? true {
                    earliest = (range, token)
                }
            }
            guard let (range, token) = earliest else { parts.append((String(rest), nil)); break }
            if range.lowerBound > rest.startIndex { parts.append((String(rest[..<range.lowerBound]), nil)) }
            parts.append((token, specialTokens[token]))
            rest = rest[range.upperBound...]
        }
        return parts
    }

    /// BertNormalizer: control characters removed and whitespace made a space, CJK ideographs
    /// padded with spaces, accents stripped, lower-cased (each scalar on its own, as
    /// `tokenizers` does: no final-sigma rule).
    func normalize(_ text: String) -> [Unicode.Scalar] {
        var scalars: [Unicode.Scalar] = []
        for s in text.unicodeScalars {
            if s.value == 0 || s.value == 0xFFFD || Self.isControl(s) { continue }
            if Self.isWhitespace(s) {
                scalars.append(" ")
            } else if splitsChineseCharacters && Self.isChinese(s) {
                scalars += [" ", s, " "]
            } else {
                scalars.append(s)
            }
        }
        if stripAccents {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            scalars = String(view).decomposedStringWithCanonicalMapping.unicodeScalars
                .filter { $0.properties.generalCategory != .nonspacingMark }
        }
        if lowercase { scalars = scalars.flatMap { $0.properties.lowercaseMapping.unicodeScalars } }
        return scalars
    }

    /// BertPreTokenizer: words split at whitespace, each punctuation character a word of its own.
    func words(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for s in scalars {
            if s.properties.isWhitespace {
                if !current.isEmpty { words.append(current); current = [] }
            } else if Self.isPunctuation(s) {
                if !current.isEmpty { words.append(current); current = [] }
                words.append([s])
            } else {
                current.append(s)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Greedy longest-match-first WordPiece of one word; `[UNK]` when a piece cannot be matched
    /// or the word is longer than ``maxCharactersPerWord``.
    func wordPiece(_ word: [Unicode.Scalar]) -> [Int] {
        if word.count > maxCharactersPerWord { return [unknownID] }
        var ids: [Int] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int?
            while start < end {
                var view = String.UnicodeScalarView()
                view.append(contentsOf: word[start..<end])
                let piece = (start > 0 ? continuationPrefix : "") + String(view)
                if let id = vocabulary[piece] { found = id; break }
                end -= 1
            }
            guard let id = found else { return [unknownID] }
            ids.append(id)
            start = end
        }
        return ids
    }

    // MARK: character classes (those of `tokenizers`' BERT normalizer and pre-tokenizer)

    /// Control (Cc), format (Cf) and private-use (Co) scalars, which the normalizer drops; tab,
    /// newline and carriage return count as whitespace instead. Unassigned code points (Cn)
    /// are kept, as `tokenizers` keeps them (they become `[UNK]`).
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .privateUse: return true
        default: return false
        }
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool { s == "\t" || s == "\n" || s == "\r" || s.properties.isWhitespace }

    /// ASCII punctuation (symbols such as `$`, `+`, `^` included) or any Unicode P* scalar.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .closePunctuation, .finalPunctuation, .initialPunctuation,
             .otherPunctuation, .openPunctuation: return true
        default: return false
        }
    }

    /// The CJK Unified Ideographs blocks (BERT's "Chinese characters"; not kana or hangul).
    static func isChinese(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: return true
        default: return false
        }
    }
}
