import CPNG
import Foundation
import Multimodal
@testable import Serve
import Torch

/// Small models, exported as TorchScript into temporary folders, and the requests the tests send.
enum ServeFixture {
    static let captions = ["a photo of a shirt", "a photo of a shoe", "a picture of a bag", "a dress", "a coat"]

    /// A seeded CLIP (28×28 gray images, 8 tokens) exported with its tokenizer and pixel scaling.
    static func clip() throws -> (clip: CLIP, tokenizer: Tokenizer, folder: URL) {
        manualSeed(7)
        let tokenizer = Tokenizer(training: captions)
        let clip = CLIP(image: ImageEncoder(imageSize: 28, channels: [4, 8], embeddingDim: 16),
                        text: TextEncoder(vocabularySize: tokenizer.count, maxLength: 8, width: 16, depth: 1, heads: 2, dropout: 0, embeddingDim: 16))
        clip.eval()
        let folder = try temporaryFolder("clip")
        try ModelExport.write(clip, format: .torchscript, to: folder, metadata: ["lab.run": "test"], tokenizer: tokenizer.exportDescription,
                              images: .unitInterval)
        return (clip, tokenizer, folder)
    }

    /// A seeded VQA model (64×64 composites, 8 tokens, 12 answers) exported with labels.
    static func vqa() throws -> (model: VQAModel, tokenizer: Tokenizer, folder: URL, labels: [String]) {
        manualSeed(11)
        let tokenizer = Tokenizer(training: ["is there a shirt ?", "what is top left ?", "is there a bag ?"])
        let model = VQAModel(image: PatchEncoder(imageSize: 64, channels: [4, 8, 8, 16], pooled: 3, dim: 16),
                             vocabularySize: tokenizer.count, maxLength: 8, answers: 12, heads: 2)
        model.eval()
        let labels = ["yes", "no"] + (0..<10).map { "class \($0)" }
        let folder = try temporaryFolder("vqa")
        try ModelExport.write(model, format: .torchscript, to: folder, tokenizer: tokenizer.exportDescription, images: .unitInterval, labels: labels)
        return (model, tokenizer, folder, labels)
    }

    static func temporaryFolder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lab-serve-tests-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Deterministic 8-bit gray pixels.
    static func pixels(_ width: Int, _ height: Int, seed: Int = 0) -> [UInt8] {
        (0..<(width * height)).map { UInt8(($0 * 37 + seed * 101 + ($0 / width) * 11) % 256) }
    }

    /// A PNG written by libpng's simplified writer (`format`: PNG_FORMAT_GRAY, _RGB, _RGBA…).
    static func png(width: Int, height: Int, pixels: [UInt8], format: UInt32 = UInt32(PNG_FORMAT_GRAY)) -> [UInt8] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = format
        let channels = pixels.count / (width * height)
        var size = 0
        _ = pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, Int32(width * channels), nil) }
        var out = [UInt8](repeating: 0, count: size)
        let ok = out.withUnsafeMutableBytes { buffer in
            pixels.withUnsafeBytes { png_image_write_to_memory(&image, buffer.baseAddress, &size, 0, $0.baseAddress, Int32(width * channels), nil) }
        }
        precondition(ok != 0, "libpng could not write the test PNG")
        return Array(out.prefix(size))
    }

    static func base64PNG(_ width: Int = 28, _ height: Int = 28, seed: Int = 0) -> String {
        Data(png(width: width, height: height, pixels: pixels(width, height, seed: seed))).base64EncodedString()
    }

    /// The tensor (1, 1, H, W) the server makes of `pixels(width, height, seed)`.
    static func imageTensor(_ width: Int = 28, _ height: Int = 28, seed: Int = 0) -> Tensor {
        Tensor(pixels(width, height, seed: seed).map { Float($0) / 255 }, shape: [1, 1, height, width])
    }

    static func json(_ object: Any) -> Data { try! JSONSerialization.data(withJSONObject: object) }
}
