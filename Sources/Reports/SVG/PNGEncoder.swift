import Foundation

/// A minimal PNG encoder for 8-bit grayscale images, enough for inline thumbnails.
///
/// The file is the signature, an IHDR chunk, one IDAT chunk and an IEND chunk. The IDAT
/// holds a zlib stream of deflate "stored" (uncompressed) blocks: no compressor to write or
/// trust, and for a 28×28 image the whole file is still under 1 KB. Each chunk ends with a
/// CRC-32 of its type and data; the zlib stream ends with an Adler-32 of the raw bytes.
/// Formats: PNG (ISO/IEC 15948, RFC 2083), zlib (RFC 1950), deflate (RFC 1951).
enum PNGEncoder {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The largest stored deflate block: its length field is 16 bits.
    static let maxStoredBlock = 65_535

    /// Encodes a grayscale image.
    /// - Parameters:
    ///   - width: Pixels per row, at least 1.
    ///   - height: Rows, at least 1.
    ///   - pixels: `width × height` values, row-major, 0 black … 255 white. Missing pixels
    ///     are black; extra ones are ignored.
    /// - Returns: The PNG file's bytes.
    static func grayscale(width: Int, height: Int, pixels: [UInt8]) -> [UInt8] {
        precondition(width > 0 && height > 0, "PNG dimensions must be positive")
        // Each scanline is a filter-type byte (0: none) followed by the row.
        var scanlines: [UInt8] = []
        scanlines.reserveCapacity((width + 1) * height)
        for row in 0..<height {
            scanlines.append(0)
            for column in 0..<width {
                let index = row * width + column
                scanlines.append(index < pixels.count ? pixels[index] : 0)
            }
        }

        var header: [UInt8] = []
        header += bigEndian(UInt32(width))
        header += bigEndian(UInt32(height))
        header += [8, 0, 0, 0, 0]  // bit depth 8, colour type 0 (gray), deflate, filter 0, no interlace

        var file = signature
        file += chunk("IHDR", header)
        file += chunk("IDAT", zlibStored(scanlines))
        file += chunk("IEND", [])
        return file
    }

    /// A zlib stream that stores `data` uncompressed.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        // CMF 0x78: deflate with a 32K window. FLG 0x01: no dictionary, lowest level, and
        // (0x78 << 8 | 0x01) = 30721 = 31 × 991, the multiple of 31 that RFC 1950 requires.
        var out: [UInt8] = [0x78, 0x01]
        var start = 0
        repeat {
            let length = min(maxStoredBlock, data.count - start)
            let isLast = start + length == data.count
            // Block header: BFINAL in bit 0, BTYPE 00 (stored), then LEN and its one's
            // complement NLEN, both little-endian, then the bytes.
            out.append(isLast ? 1 : 0)
            let len = UInt16(length)
            out += [UInt8(len & 0xFF), UInt8(len >> 8), UInt8(~len & 0xFF), UInt8(~len >> 8)]
            out += data[start..<start + length]
            start += length
        } while start < data.count
        out += bigEndian(adler32(data))
        return out
    }

    /// Adler-32 (RFC 1950 §8.2): two sums modulo 65521, the largest prime below 2^16.
    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        // 5552 bytes is the longest run before `b` can overflow 32 bits (zlib's NMAX).
        var index = 0
        while index < data.count {
            let end = min(index + 5552, data.count)
            for byte in data[index..<end] {
                a += UInt32(byte)
                b += a
            }
            a %= 65521
            b %= 65521
            index = end
        }
        return b << 16 | a
    }

    /// CRC-32 as PNG and zlib use it: reflected polynomial 0xEDB88320, initial value and
    /// final XOR 0xFFFFFFFF.
    static func crc32<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// The CRC of every byte value, computed once.
    private static let crcTable: [UInt32] = (0..<256).map { value in
        var c = UInt32(value)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// A chunk: data length, type, data, CRC-32 of type and data.
    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(crc32(typeBytes + data))
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
