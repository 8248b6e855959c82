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

    /// A PNG from another encoder (Pillow 13, zlib level 6): the 64×64 composite of Fashion-MNIST
    /// test items 0, 1, 2 and 7 that lab serve's first real VQA request sent. Its pixel sum
    /// and samples were read with Pillow.
    @Test func decodesAPillowPNG() throws {
        let data = try #require(Data(base64Encoded: Self.pillowComposite))
        let image = try PNGImage(decoding: [UInt8](data), channels: 1, expectedWidth: 64, expectedHeight: 64)
        #expect(image.pixels.reduce(0) { $0 + Int($1) } == 233_736)
        #expect(image.pixels[40 * 64 + 40] == 31 && image.pixels[0] == 0)
    }

    static let pillowComposite = "iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAAAAACPAi4CAAAG9ElEQVR4nOWWW2xcRxnH/zPntnv2vutdrx3bu7bjW11nnUQhcdI2ah1KVSCFNkKAVKAtQsADSBXQqogHKiHal/JWiYuK0kptkapGBZqkQDANJqapberasR07ThxfYnu93ov34t0958zwkK692WNozAtCfE9H38z/N/9vrgf4nwpHLwDsa/3P1JanR+Y21jjnG/HVNx7Yuf75hJ6OLsYzueSN5UReO1/Kk9vUf+PnywYnkgHORXDdqDvz2Z0BViwZGkSioNsscWoopGhvjgEA6G0CXKDBF7udRp04p9K6YkqyNt2m8qPgyWXuAl/rA8a544c8qj/577oLBFDQspWQeTzB3wLnePZ7kXs7W3is8PL2UkKx64Tt5vdTW+kwj2X5IPgJtNSFUOPgscLAzRbTHDDcfeQJAAg8mt7K+gFJ20XxLs7OD33iyjsZqgdvtoiV5vUDHSstp+LW6z7nwlZ6FwhyQUbanmvGRHvo2z3x4q5tAVS3nShYHISSzvlEWZsfTBAzP5Huj9zpaH/uN90QmFQBIJxyLhj45ko+ZFkRWLboVGzZUmsNGBVTzyC1cgeW/XlwgUEwyuaAgINxwcCXgssZ91pUEyVQW0uZAxTPqQvXczSdFldi10bsDOHySeSgIoGBxyPzPrd13cFyGuH41CbADfvCSbtslagoclGxvgmgaqsECk4YA2oftk7bFV+RqzAKRpYd2QR4ubqagCZyAFzg8nvgG7QEEAwGcPjDbTXFdbdTUlhISmqMbgjpzkslBwVLpgO6BA4Qzt0chG46MFAdstmsjaqWoS6rruYK8pJLTdg92aBvc3U5LjeDU04ALhRcUQjEv1nCsVrdLxh62h4kSoLahWwmFQASzKroJYBoYOoeiCCEg1AdCws+2EuA+5+YXErTokDSMnMQK5OC1XfIFFk1n4mWAHkDrF2jAEA5M7B7OVhUS4CLh7qOQE/H4ymZ+NpUJ498OHtM4dAX1x0lgC5A8uUEABxgAh6a3cs9JUDyWdgPth0O77ERzuKjfzqdB37bEEun9cJUCWBY0C4XREZACIeA8IcnuFS2EzPnzr2I8jiOW6NI4LEWGRg454SkeqbAreUb6eNC28ALG1ZRlERREGXROfJ7GHKZg48N1dCkWMsMBQgI073RGIzQTgAXevJTt7wnTWnL+zsBXFSL7JaEpMiZnQAWh/NZiEbpESDGlbddf7896f9BlL2NhPd+54PgFbtHa/r8dl0pMfCVHjEx+RIIBwg3dUA/5zyl8Sz/zL8Ybg//W3+fJpSPW7aVGSLxqcXc/PQNtG8rbz+qHVwnua/f8yN5a/Rb9oE95qQFQSmgfhv5/s/VXHDHLwdyI/L6D96diJkdoBoagwDG1wNm/fO+WN8weXSi/9JxMkGPPVa68ssd3AnNahiUCIUqk77r+FOz+tVZz6+brN3vqTcWu5/8lhkQKeZVxRnnRMmaAPsfePyh2GTbcWc40BptbV6beHsbBweYqruGuxMFdd4EuO/aB6nMWGj5z81SV6x6RURdlfkXp0Nj9qVDCqVi3ARw1ueWtGRKm16dKTgSM78I7P7oyi8HuHRm/wsgGJBNgKTnwebdocZwuCPcNLXkPHrYrphLCOQ4XkPBuwbVBBg6ebjJW+Oxux1CVV2LWjWYjJsdqExEHwaKAtYq9V1flKmYyqRkWcJaSmfFs7P3mh0Akl7A7F0EqUqALfi1B388tSLtGjBW49NRz6mOyNArZgCXZoAFajolwPgzf1h9JLXAvny1uebuRL2Dn+4bN5cAXRkDTuvbXPUtrb0BQbBa6ju7G4jU0Dy+Iu3ZpgRKrgEjsgTTRmrJS194+lKS5l7dm288M+D92V5VcycrAQsquwHoEMyA/XFfm37fZfvRf7S6fed7inN7F6v8ycoSVqjQChRhmJdx4ORUf8IjUyLkJCpKyCijg1HTHLwvFyIAoKBQCeiu6l6sqasNNdQ1NlRXNwSmVhdym6/zZpx/TNsHwBDAKgGfJt99Z4gN11+8RFPiiDfhf6G99qezlYALeT0KIE3MT+73B+wzbimfXF6ktU4+b5F/1U/7TQ6uryuWpqvQRAiVgKa8cLn34X21X/XUd1hqu71/9FfL7tVKABRBabqKpXDcBLD5/YPD0/2Rjdc7h4VXB71nO+020/8BwSmZ3AVkQRKVAEfd7twRlxic4LnR9WRUqkk3hCxmwFui/gggcm5ahdE3BjSH5Drk/OSe4MFQfdh5/vrATCWA4kxCY8CYQmoqAXO9DSxSqzZSKlmtDrWeFKrTiUqAAcz5Wg9DsDhNl+rosQN4OWPY17xcVZmcmAx0eW+eubJJ5MAvJ1+/gFdcmb9WAvQ3lzA2hpeGpMXZpfHZ32GIzW9zaP8r8U9S7dGaDBeUMQAAAABJRU5ErkJggg=="

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
