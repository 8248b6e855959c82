import CPNG
import Foundation

/// A decoded PNG: 8-bit samples, row-major, `channels` per pixel (1: gray, 3: RGB).
///
/// Decoding goes through libpng's simplified API (`png_image_*`), which reads every PNG
/// colour type and bit depth and converts it to the requested format (gray or RGB, alpha
/// composited onto black). The header is read first, so an image larger than the caller
/// allows is refused before any pixel is decompressed.
public struct PNGImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// `height × width × channels` samples.
    public var pixels: [UInt8]

    /// Why a PNG could not be read.
    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case notPNG
        case malformed(String)
        case wrongSize(width: Int, height: Int, expectedWidth: Int, expectedHeight: Int)
        public var description: String {
            switch self {
            case .notPNG: return "the image is not a PNG (it does not start with the PNG signature)"
            case .malformed(let message): return "the PNG could not be decoded: \(message)"
            case .wrongSize(let w, let h, let ew, let eh):
                return "the image is \(w)×\(h) pixels; this model takes \(ew)×\(eh): resize it before sending"
            }
        }
    }

    /// Decodes `data` to `channels` (1 or 3) channels, requiring exactly
    /// `expectedWidth × expectedHeight` pixels when given; the size is checked from the
    /// header, before decompression.
    public init(decoding data: [UInt8], channels: Int, expectedWidth: Int? = nil, expectedHeight: Int? = nil) throws {
        precondition(channels == 1 || channels == 3, "PNGImage: channels must be 1 or 3")
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard data.count >= 8, Array(data[0..<8]) == signature else { throw DecodeError.notPNG }
        // libpng reads `data` during both calls, so both run inside one withUnsafeBytes:
        // outside it Swift may free the bytes as soon as their last use has passed.
        let (width, height, pixels) = try data.withUnsafeBytes { bytes -> (Int, Int, [UInt8]) in
            var image = png_image()
            image.version = UInt32(PNG_IMAGE_VERSION)
            defer { png_image_free(&image) }
            guard png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) != 0 else {
                throw DecodeError.malformed(Self.message(image))
            }
            let width = Int(image.width), height = Int(image.height)
            if let ew = expectedWidth, let eh = expectedHeight, ew != width || eh != height {
                throw DecodeError.wrongSize(width: width, height: height, expectedWidth: ew, expectedHeight: eh)
            }
            image.format = channels == 1 ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB)
            var pixels = [UInt8](repeating: 0, count: width * height * channels)
            // Alpha is composited onto black (background nil): a transparent pixel reads as 0.
            let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(width * channels), nil) }
            guard finished != 0 else { throw DecodeError.malformed(Self.message(image)) }
            return (width, height, pixels)
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    static func message(_ image: png_image) -> String {
        var copy = image.message
        let text = withUnsafeBytes(of: &copy) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        return text.isEmpty ? "libpng gave no reason" : text
    }
}
