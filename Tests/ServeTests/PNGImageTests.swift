import CPNG
import Foundation
import Testing
@testable import Serve

/// PNG decoding through libpng: PNGs written by libpng's own writer in several colour types.
@Suite struct PNGImageTests {
    @Test func decodesGrayExactly() throws {
        let pixels = ServeFixture.pixels(28, 28, seed: 4)
        let image = try PNGImage(decoding: ServeFixture.png(width: 28, height: 28, pixels: pixels), channels: 1, expectedWidth: 28, expectedHeight: 28)
        #expect(image.width == 28 && image.height == 28 && image.channels == 1)
        #expect(image.pixels == pixels)
    }

    @Test func convertsColourTypes() throws {
        // RGB with equal channels reads back as that gray; gray reads back as RGB triples.
        let gray = ServeFixture.pixels(4, 3, seed: 1)
        let rgb = gray.flatMap { [$0, $0, $0] }
        let fromRGB = try PNGImage(decoding: ServeFixture.png(width: 4, height: 3, pixels: rgb, format: PNG_FORMAT_RGB), channels: 1)
        #expect(fromRGB.pixels == gray)
        let toRGB = try PNGImage(decoding: ServeFixture.png(width: 4, height: 3, pixels: gray), channels: 3)
        #expect(toRGB.pixels == rgb)
        // Opaque alpha changes nothing; fully transparent composites onto black.
        let opaque: [UInt8] = gray.flatMap { [$0, 255] }, clear: [UInt8] = gray.flatMap { [$0, 0] }
        #expect(try PNGImage(decoding: ServeFixture.png(width: 4, height: 3, pixels: opaque, format: PNG_FORMAT_GA), channels: 1).pixels == gray)
        #expect(try PNGImage(decoding: ServeFixture.png(width: 4, height: 3, pixels: clear, format: PNG_FORMAT_GA), channels: 1).pixels
            == [UInt8](repeating: 0, count: 12))
    }

    @Test func refusesWhatItCannotUse() throws {
        #expect(throws: PNGImage.DecodeError.notPNG) { try PNGImage(decoding: Array("hello".utf8), channels: 1) }
        let png = ServeFixture.png(width: 32, height: 30, pixels: ServeFixture.pixels(32, 30))
        #expect(throws: PNGImage.DecodeError.wrongSize(width: 32, height: 30, expectedWidth: 28, expectedHeight: 28)) {
            try PNGImage(decoding: png, channels: 1, expectedWidth: 28, expectedHeight: 28)
        }
        do {
            _ = try PNGImage(decoding: Array(png.prefix(png.count / 2)), channels: 1)
            Issue.record("a truncated PNG decoded")
        } catch let error as PNGImage.DecodeError {
            guard case .malformed(let message) = error else { Issue.record("\(error)"); return }
            #expect(!message.isEmpty)
        }
    }
}
