internal import CTorch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes the [safetensors](https://github.com/huggingface/safetensors) format:
/// an 8-byte little-endian header length, a JSON header (dtype, shape, byte offsets of
/// each tensor, optional string metadata under `__metadata__`), then the raw bytes.
/// Files written here load in Python's `safetensors` + PyTorch, and the reverse, with
/// identical bits.
public enum Safetensors {
    /// A loaded file.
    public struct File: Sendable {
        /// The tensors by name, on the CPU, with the dtypes and shapes the header gives.
        public var tensors: [String: Tensor]
        /// The header's `__metadata__` strings (empty when the file has none).
        public var metadata: [String: String]
    }

    static let codes: [DType: String] = [
        .float32: "F32", .float64: "F64", .float16: "F16", .bfloat16: "BF16", .int64: "I64",
        .int32: "I32", .int16: "I16", .int8: "I8", .uint8: "U8", .bool: "BOOL",
    ]
    static let dtypes: [String: DType] = Dictionary(uniqueKeysWithValues: codes.map { ($1, $0) })

    /// Writes `tensors` (moved to the CPU, made contiguous) with `metadata` to `path`,
    /// through a temporary file renamed into place, so a reader never sees a partial file.
    /// - Throws: ``TorchError/safetensors(path:reason:)`` when a tensor cannot be
    ///   read or the file cannot be written.
    public static func save(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        let data = try serialize(tensors, metadata: metadata, path: path)
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max)).tmp")
        do {
            try data.write(to: temporary)
            if rename(temporary.path, url.path) != 0 {
                throw TorchError.safetensors(path: path, reason: "cannot rename the temporary file into place: \(String(cString: strerror(errno)))")
            }
        } catch let error as TorchError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw TorchError.safetensors(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// The bytes of a safetensors file holding `tensors` and `metadata` (what ``save(_:metadata:to:)`` writes).
    /// `path` only names the destination in error messages.
    public static func serialize(_ tensors: [String: Tensor], metadata: [String: String] = [:], path: String = "<memory>") throws -> Data {
        let names = tensors.keys.sorted()
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var blobs: [Tensor] = []
        var offset = 0
        for name in names {
            let t = try withError { tensors[name]!.detached().to(.cpu).contiguous() }
            guard let code = codes[t.dtype] else {
                throw TorchError.safetensors(path: path, reason: "tensor '\(name)' has dtype \(t.dtype), which safetensors cannot store")
            }
            let bytes = t.count * t.dtype.byteSize
            header[name] = ["dtype": code, "shape": t.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
            blobs.append(t)
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
        while (json.count % 8) != 0 { json.append(0x20) }
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for t in blobs {
            let bytes = t.count * t.dtype.byteSize
            guard bytes > 0, let pointer = lt_data_ptr(t.handle) else { continue }
            data.append(UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: bytes)
        }
        return data
    }

    /// Reads a safetensors file. With `memoryMapped` (the default) the tensors share the
    /// file's pages, mapped copy-on-write: loading costs no copy, and writing to a tensor
    /// never changes the file. Replace such files by renaming a new one into place (as
    /// ``save(_:metadata:to:)`` does), never by truncating them while tensors are alive.
    ///
    /// - Throws: ``TorchError/safetensors(path:reason:)`` for a missing, truncated or
    ///   corrupt file, naming what is wrong.
    public static func load(_ path: String, memoryMapped: Bool = true) throws -> File {
        let mapping = try Mapping(path: path)
        let (entries, metadata, dataStart) = try parseHeader(mapping, path: path)
        var tensors: [String: Tensor] = [:]
        for entry in entries {
            let shape = entry.shape.map(Int64.init)
            let base = mapping.pointer.advanced(by: dataStart + entry.begin)
            let tensor: Tensor
            if memoryMapped && entry.end > entry.begin {
                let context = Unmanaged.passRetained(mapping).toOpaque()
                var out: lt_tensor?
                let status = lt_from_blob(base, shape, Int64(shape.count), entry.dtype.rawValue, context, { ctx in
                    Unmanaged<Mapping>.fromOpaque(ctx!).release()
                }, &out)
                guard status == 0, let out else {
                    Unmanaged<Mapping>.fromOpaque(context).release()
                    throw TorchError.safetensors(path: path, reason: String(cString: lt_last_error()))
                }
                tensor = Tensor(handle: out)
            } else {
                var out: lt_tensor?
                guard lt_from_data(base, shape, Int64(shape.count), entry.dtype.rawValue, &out) == 0, let out else {
                    throw TorchError.safetensors(path: path, reason: String(cString: lt_last_error()))
                }
                tensor = Tensor(handle: out)
            }
            tensors[entry.name] = tensor
        }
        return File(tensors: tensors, metadata: metadata)
    }

    struct Entry { var name: String; var dtype: DType; var shape: [Int]; var begin: Int; var end: Int }

    static func parseHeader(_ m: Mapping, path: String) throws -> ([Entry], [String: String], Int) {
        func bad(_ reason: String) -> TorchError { .safetensors(path: path, reason: reason) }
        guard m.size >= 8 else { throw bad("the file has \(m.size) bytes, fewer than the 8-byte header length") }
        var length: UInt64 = 0
        memcpy(&length, m.pointer, 8)
        length = UInt64(littleEndian: length)
        guard length <= 100_000_000 else { throw bad("the header length \(length) is implausible (corrupt file?)") }
        guard 8 + Int(length) <= m.size else {
            throw bad("truncated: the header needs \(length) bytes, the file has \(m.size - 8) after the length")
        }
        let json = Data(bytes: m.pointer.advanced(by: 8), count: Int(length))
        guard let object = try? JSONSerialization.jsonObject(with: json), let header = object as? [String: Any] else {
            throw bad("the header is not a JSON object (corrupt file?)")
        }
        let dataStart = 8 + Int(length)
        let dataSize = m.size - dataStart
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let meta = value as? [String: String] else { throw bad("__metadata__ must map strings to strings") }
                metadata = meta
                continue
            }
            guard let info = value as? [String: Any] else {
                throw bad("the entry for '\(name)' is \(Self.kind(of: value)), not an object with dtype, shape and data_offsets")
            }
            for field in ["dtype", "shape", "data_offsets"] where info[field] == nil {
                throw bad("the entry for '\(name)' has no \(field)")
            }
            guard let code = info["dtype"] as? String else {
                throw bad("tensor '\(name)' has a dtype that is \(Self.kind(of: info["dtype"]!)), not a string such as \"F32\"")
            }
            let shape = try integers(info["shape"]!, field: "shape", tensor: name, path: path)
            let offsets = try integers(info["data_offsets"]!, field: "data_offsets", tensor: name, path: path)
            guard offsets.count == 2 else {
                throw bad("tensor '\(name)' has data_offsets \(offsets), not two numbers [begin, end]")
            }
            guard let dtype = dtypes[code] else {
                throw bad("tensor '\(name)' has dtype '\(code)'; supported: \(codes.values.sorted().joined(separator: ", "))")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw bad("tensor '\(name)' has a negative dimension in \(shape)") }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end else { throw bad("tensor '\(name)' has invalid offsets [\(begin), \(end)]") }
            guard let expected = byteCount(shape: shape, dtype: dtype), stridesFit(shape) else {
                throw bad("tensor '\(name)' of shape \(shape) and dtype \(code) is too large to address: its size in bytes or a stride passes 64 bits (corrupt file?)")
            }
            guard end - begin == expected else {
                throw bad("tensor '\(name)' of shape \(shape) and dtype \(code) needs \(expected) bytes, its offsets span \(end - begin)")
            }
            guard end <= dataSize else {
                throw bad("truncated: tensor '\(name)' ends at byte \(end) of the data, which has \(dataSize) bytes")
            }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end))
        }
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var position = 0
        for e in entries where e.end > e.begin {
            guard e.begin == position else {
                throw bad(e.begin < position ? "tensor '\(e.name)' overlaps the tensor before it" : "a gap before tensor '\(e.name)'")
            }
            position = e.end
        }
        guard position == dataSize else { throw bad("\(dataSize - position) bytes after the last tensor (corrupt file?)") }
        return (entries, metadata, dataStart)
    }

    /// The bytes a tensor of `shape` and `dtype` takes, or nil when that number overflows `Int`
    /// (a corrupt header can claim `[4294967296, 4294967296]`). A zero dimension makes it 0
    /// whatever the other dimensions are.
    static func byteCount(shape: [Int], dtype: DType) -> Int? {
        if shape.contains(0) { return 0 }
        var product = dtype.byteSize
        for dimension in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            product = next
        }
        return product
    }

    /// Whether libtorch can compute the contiguous strides of `shape`: each is the product
    /// of the later dimensions (a 0 counting as 1), which must fit in `Int`, even for an
    /// empty tensor such as `[0, 2^62, 4]`.
    static func stridesFit(_ shape: [Int]) -> Bool {
        var stride = 1
        for dimension in shape.reversed() {
            let (next, overflow) = stride.multipliedReportingOverflow(by: max(dimension, 1))
            if overflow { return false }
            stride = next
        }
        return true
    }

    /// The value of a header field that must be an array of whole numbers (`shape`,
    /// `data_offsets`). JSON booleans, fractions and numbers beyond `Int` are refused by name:
    /// Foundation would read `true` as 1 and drop a fraction's digits.
    static func integers(_ value: Any, field: String, tensor: String, path: String) throws -> [Int] {
        func bad(_ what: String) -> TorchError {
            .safetensors(path: path, reason: "tensor '\(tensor)' has a \(field) that \(what); it must be an array of whole numbers")
        }
        guard let array = value as? [Any] else { throw bad("is \(kind(of: value))") }
        return try array.map { element in
            guard let number = element as? NSNumber else { throw bad("holds \(kind(of: element))") }
            let type = String(cString: number.objCType)
            if type == "c" || type == "B" { throw bad("holds the boolean \(number.boolValue)") }
            guard type != "d" && type != "f", let integer = element as? Int else {
                throw bad("holds \(number), which is not a whole number that fits in 64 bits")
            }
            return integer
        }
    }

    /// How a JSON value is named in a message: "a string", "an array", "the number 3" …
    static func kind(of value: Any) -> String {
        switch value {
        case is String: return "a string"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        case let number as NSNumber:
            let type = String(cString: number.objCType)
            return type == "c" || type == "B" ? "the boolean \(number.boolValue)" : "the number \(number)"
        default: return "\(type(of: value))"
        }
    }

    /// A whole file mapped privately (copy-on-write), unmapped when the last tensor using it is freed.
    final class Mapping {
        let pointer: UnsafeMutableRawPointer
        let size: Int
        private let mapped: Bool

        init(path: String) throws {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else {
                throw TorchError.safetensors(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
            }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0 else {
                throw TorchError.safetensors(path: path, reason: "cannot stat: \(String(cString: strerror(errno)))")
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                throw TorchError.safetensors(path: path, reason: "is a folder, not a file; give the path of a .safetensors file inside it")
            }
            size = Int(info.st_size)
            if size == 0 {
                pointer = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 8)
                mapped = false
                return
            }
            let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
            guard let p, p != MAP_FAILED else {
                throw TorchError.safetensors(path: path, reason: "cannot map: \(String(cString: strerror(errno)))")
            }
            pointer = p
            mapped = true
        }

        deinit {
            if mapped { munmap(pointer, size) } else { pointer.deallocate() }
        }
    }
}
