internal import CZlib
import Foundation
import Torch

/// Reads IDX files (the format of MNIST and Fashion-MNIST), gzip-compressed or not.
///
/// An IDX file is a 4-byte magic number (0, 0, type code, number of dimensions), one
/// big-endian UInt32 per dimension, then the values in row-major order. Only unsigned
/// bytes (type code 0x08) are supported, which is what these data sets use.
public enum IDX {
    /// The file's dimensions and its bytes.
    public static func read(_ path: String) throws -> (shape: [Int], bytes: [UInt8]) {
        let data = try gunzip(path)
        guard data.count >= 4, data[0] == 0, data[1] == 0 else {
            throw MultimodalError.corruptFile(path: path, reason: "not an IDX file (bad magic number)")
        }
        guard data[2] == 0x08 else {
            throw MultimodalError.corruptFile(path: path, reason: "element type 0x\(String(data[2], radix: 16)) is not unsigned byte (0x08)")
        }
        let rank = Int(data[3])
        guard data.count >= 4 + 4 * rank else { throw MultimodalError.corruptFile(path: path, reason: "truncated header") }
        var shape: [Int] = []
        for i in 0..<rank {
            let o = 4 + 4 * i
            shape.append(Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3]))
        }
        let count = shape.reduce(1, *)
        let start = 4 + 4 * rank
        guard data.count == start + count else {
            throw MultimodalError.corruptFile(path: path, reason: "\(data.count - start) value bytes, the header says \(count)")
        }
        return (shape, Array(data[start...]))
    }

    /// The whole file, decompressed when it is gzip (zlib reads plain files as they are).
    static func gunzip(_ path: String) throws -> [UInt8] {
        guard let file = gzopen(path, "rb") else {
            throw MultimodalError.missingFile(path: path, hint: nil)
        }
        defer { gzclose(file) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = gzread(file, &buffer, UInt32(buffer.count))
            if n < 0 { throw MultimodalError.corruptFile(path: path, reason: "gzip stream is damaged") }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<Int(n)])
        }
        return out
    }
}
