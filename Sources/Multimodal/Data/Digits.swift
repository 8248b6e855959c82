import Foundation
import Torch

/// scikit-learn's 8×8 handwritten digits (1,797 images from the UCI "optical recognition of
/// handwritten digits" set; BSD-3-Clause, see Resources/DIGITS-LICENSE), shipped with Lab as
/// a 57 KB file: pixel values 0…16 in 8×8 blocks, labels 0…9.
public enum Digits {
    /// All 1,797 images as (N, 1, 8, 8) float32 in [0, 1] and labels (N) int64.
    public static func load(limit: Int? = nil) throws -> LabeledImages {
        guard let url = Bundle.module.url(forResource: "digits.csv", withExtension: "gz") else {
            throw MultimodalError.missingFile(path: "digits.csv.gz", hint: "the Multimodal resource bundle is missing; rebuild with `swift build`")
        }
        let text = String(decoding: try IDX.gunzip(url.path), as: UTF8.self)
        var pixels: [Float] = [], labels: [Int64] = []
        for (number, line) in text.split(separator: "\n").enumerated() {
            if let limit, labels.count >= limit { break }
            let values = line.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard values.count == 65 else {
                throw MultimodalError.corruptFile(path: url.path, reason: "line \(number + 1) has \(values.count) values, expected 65")
            }
            pixels += values[0..<64].map { Float($0) / 16 }
            labels.append(Int64(values[64]))
        }
        let n = labels.count
        return LabeledImages(images: Tensor(pixels, shape: [n, 1, 8, 8]), labels: Tensor(labels),
                             classNames: (0...9).map(String.init))
    }

    /// The English word for each digit, for captions and speech.
    public static let words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
}
