import Foundation
import Torch

/// Captions for labelled images: templates × synonyms, so a class is described in varied
/// words ("a photo of a sneaker", "a picture of a gym shoe"), as CLIP's prompt ensembles
/// (Radford et al. 2021, §3.1.4) and its noisy web captions are.
public enum Captions {
    /// Templates with `{}` for the class word.
    public static let templates = [
        "a photo of a {}", "a picture of a {}", "an image of a {}", "a black and white photo of a {}",
        "a small photo of the {}", "a {} on a plain background", "a low resolution photo of a {}", "a photo of the {}",
    ]

    /// The prompt used for zero-shot classification of class `c`: the first template, the class's own name.
    public static func prompt(_ c: Int, synonyms: [[String]] = fashionSynonyms) -> String {
        fill(templates[0], synonyms[c][0])
    }

    /// One caption per label, the template and synonym drawn with a generator seeded by `seed`
    /// (the same seed gives the same captions).
    public static func sample(labels: [Int], seed: UInt64, synonyms: [[String]] = fashionSynonyms,
                              templates: [String] = templates) -> [String] {
        var rng = SplitMix64(seed: seed)
        return labels.map { label in
            let words = synonyms[label]
            return fill(templates[Int(rng.next() % UInt64(templates.count))], words[Int(rng.next() % UInt64(words.count))])
        }
    }

    /// `template` with `{}` replaced by `word`, "a" turned into "an" before a vowel.
    public static func fill(_ template: String, _ word: String) -> String {
        let article = template.contains("a {}") && "aeiou".contains(word.first ?? "x") ? "an {}" : nil
        let t = article.map { template.replacingOccurrences(of: "a {}", with: $0) } ?? template
        return t.replacingOccurrences(of: "{}", with: word)
    }
}

/// A small, fast, seedable generator (Steele et al. 2014), for reproducible sampling in Swift
/// code that does not go through libtorch's generator.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    /// A generator starting from `seed`.
    public init(seed: UInt64) { state = seed }
    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
