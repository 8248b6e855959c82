import Foundation
import Testing
@testable import Reports

/// The PNG encoder: signature, chunk layout, checksums recomputed here independently,
/// and the pixels read back through Python's zlib when it is available.
@Suite struct PNGEncoderTests {
    /// A bit-by-bit CRC-32 (no table), written apart from the encoder's.
    static func referenceCRC32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 0 ? 0 : 0xEDB8_8320) }
        }
        return ~crc
    }

    /// Adler-32 straight from its definition, with 64-bit sums reduced at every byte.
    static func referenceAdler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt64 = 1, b: UInt64 = 0
        for byte in bytes { a = (a + UInt64(byte)) % 65521; b = (b + a) % 65521 }
        return UInt32(b << 16 | a)
    }

    struct Chunk { let type: String; let data: [UInt8]; let crc: UInt32 }

    static func chunks(_ png: [UInt8]) throws -> [Chunk] {
        func u32(_ at: Int) -> UInt32 { png[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        var chunks: [Chunk] = []
        var offset = 8
        while offset < png.count {
            try #require(offset + 12 <= png.count, "truncated chunk at \(offset)")
            let length = Int(u32(offset))
            try #require(offset + 12 + length <= png.count, "chunk runs past the end")
            let type = String(decoding: png[offset + 4..<offset + 8], as: UTF8.self)
            chunks.append(Chunk(type: type, data: Array(png[offset + 8..<offset + 8 + length]), crc: u32(offset + 8 + length)))
            offset += 12 + length
        }
        return chunks
    }

    static func image(width: Int, height: Int) -> [UInt8] {
        (0..<width * height).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ $0 / width) }
    }

    /// The scanlines the IDAT must inflate to: filter byte 0, then each row.
    static func scanlines(width: Int, height: Int, pixels: [UInt8]) -> [UInt8] {
        (0..<height).flatMap { [0] + pixels[$0 * width..<($0 + 1) * width] }
    }

    @Test func checksumsMatchKnownValues() {
        #expect(PNGEncoder.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(PNGEncoder.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        let long = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        #expect(PNGEncoder.adler32(long) == Self.referenceAdler32(long))
        #expect(PNGEncoder.crc32(long) == Self.referenceCRC32(long))
    }

    @Test(arguments: [(28, 28), (1, 1), (300, 300)])
    func pngHasValidStructure(width: Int, height: Int) throws {
        let pixels = Self.image(width: width, height: height)
        let png = PNGEncoder.grayscale(width: width, height: height, pixels: pixels)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let chunks = try Self.chunks(png)
        #expect(chunks.map(\.type) == ["IHDR", "IDAT", "IEND"])
        for chunk in chunks {
            #expect(chunk.crc == Self.referenceCRC32(Array(chunk.type.utf8) + chunk.data), "CRC of \(chunk.type)")
        }
        let header = chunks[0].data
        #expect(header == [0, 0, UInt8(width >> 8), UInt8(width & 0xFF), 0, 0, UInt8(height >> 8), UInt8(height & 0xFF),
                           8, 0, 0, 0, 0])

        // Inflate the stored blocks by hand and check the Adler-32 trailer.
        let zlib = chunks[1].data
        #expect((UInt16(zlib[0]) << 8 | UInt16(zlib[1])) % 31 == 0 && zlib[0] & 0x0F == 8)
        var raw: [UInt8] = [], offset = 2, final = false
        while !final {
            final = zlib[offset] & 1 == 1
            #expect(zlib[offset] >> 1 & 3 == 0, "stored block")
            let length = Int(zlib[offset + 1]) | Int(zlib[offset + 2]) << 8
            let complement = Int(zlib[offset + 3]) | Int(zlib[offset + 4]) << 8
            #expect(length ^ complement == 0xFFFF)
            raw += zlib[offset + 5..<offset + 5 + length]
            offset += 5 + length
        }
        #expect(raw == Self.scanlines(width: width, height: height, pixels: pixels))
        let trailer = zlib[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        #expect(trailer == Self.referenceAdler32(raw))
        #expect(offset + 4 == zlib.count)
    }

    /// Python's zlib — an independent inflater — must read the IDAT back to the pixels.
    @Test(arguments: [(28, 28), (300, 300)])
    func pythonZlibDecodesThePixels(width: Int, height: Int) throws {
        guard let python = SVGTool.path("python3"), (try? SVGTool.run(python, ["-c", "import zlib"]))?.status == 0 else {
            return  // No Python with zlib here: the hand-inflation test above still checks the stream.
        }
        let pixels = Self.image(width: width, height: height)
        let png = PNGEncoder.grayscale(width: width, height: height, pixels: pixels)
        let idat = try #require(try Self.chunks(png).first { $0.type == "IDAT" })
        let file = try SVGTool.temporaryFile(Data(idat.data), suffix: ".zlib")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let script = "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(open(sys.argv[1], 'rb').read()))"
        let result = try SVGTool.run(python, ["-c", script, file])
        #expect(result.status == 0, "python zlib: \(result.error)")
        #expect(Array(result.output) == Self.scanlines(width: width, height: height, pixels: pixels))
    }

    @Test func shortPixelArraysArePaddedWithBlack() throws {
        let png = PNGEncoder.grayscale(width: 2, height: 2, pixels: [255])
        let raw = try Self.chunks(png)[1].data
        // zlib header 2 + block header 5, then the scanlines.
        #expect(Array(raw[7..<13]) == [0, 255, 0, 0, 0, 0])
    }
}
