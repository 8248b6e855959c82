import Foundation

/// How to turn text into a text tower's input without Lab: written into `export.json` by
/// ``ModelExport`` when the exported model's training step had a tokenizer among its inputs.
public struct TokenizerDescription: Codable, Equatable, Sendable {
    /// `word` (``Tokenizer``) or `wordpiece` (``WordPieceTokenizer``, BERT's).
    public var kind: String
    /// Token id → token.
    public var vocabulary: [String]
    public var paddingID: Int
    public var unknownID: Int
    /// The rules, in words, that a reimplementation follows.
    public var rules: String

    public init(kind: String, vocabulary: [String], paddingID: Int, unknownID: Int, rules: String) {
        self.kind = kind
        self.vocabulary = vocabulary
        self.paddingID = paddingID
        self.unknownID = unknownID
        self.rules = rules
    }
}

/// A tokenizer that can describe itself for an export.
public protocol DescribableTokenizer {
    var exportDescription: TokenizerDescription { get }
}

extension Tokenizer: DescribableTokenizer {
    public var exportDescription: TokenizerDescription {
        TokenizerDescription(kind: "word", vocabulary: vocabulary, paddingID: 0, unknownID: 1, rules:
            "lower-case the text; a word is a run of letters, digits, '-' and '''; every other non-space character is a token of its own; "
            + "a word outside the vocabulary is id 1; pad with id 0 to the model's length (extra words are cut)")
    }
}

extension WordPieceTokenizer: DescribableTokenizer {
    public var exportDescription: TokenizerDescription {
        TokenizerDescription(kind: "wordpiece", vocabulary: tokens, paddingID: paddingID, unknownID: unknownID, rules:
            "BERT's: \(lowercase ? "lower-case, " : "")\(stripAccents ? "strip accents, " : "")split on whitespace and punctuation"
            + "\(splitsChineseCharacters ? " and around CJK characters" : ""); greedy longest-match WordPiece with continuation prefix "
            + "'\(continuationPrefix)' (a word over \(maxCharactersPerWord) characters is [UNK]); [CLS]=\(classID) first, [SEP]=\(separatorID) last")
    }
}
