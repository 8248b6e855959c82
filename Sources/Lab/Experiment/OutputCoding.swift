import Foundation

/// How step outputs are stored: `output.json` (the value, with each tensor replaced by a
/// reference) and, when it holds tensors, `tensors.safetensors`.
enum OutputCoding {
    /// Writes the files of `value` through `write(bytes, file name)`.
    static func save<O: Codable>(_ value: O, step: String, write: (Data, String) throws -> Void) throws {
        let archive = TensorArchive()
        let encoder = NonFinite.encoder()   // a NaN or infinite Double is "nan", "inf", "-inf"
        encoder.userInfo[.tensorArchive] = archive
        let json: Data
        do {
            json = try encoder.encode(Box(value: value))
        } catch {
            throw LabError.outputNotCacheable(step: step, reason: "\(error)")
        }
        try write(json, "output.json")
        if !archive.tensors.isEmpty {
            try write(try Safetensors.serialize(archive.tensors, path: "tensors.safetensors of step '\(step)'"), "tensors.safetensors")
        }
    }

    static func load<O: Codable>(_ type: O.Type, from folder: URL) throws -> O {
        let json = try Data(contentsOf: folder.appendingPathComponent("output.json"))
        let tensorsFile = folder.appendingPathComponent("tensors.safetensors")
        var tensors: [String: Tensor] = [:]
        if FileManager.default.fileExists(atPath: tensorsFile.path) {
            tensors = try Safetensors.load(tensorsFile.path).tensors
        }
        let decoder = NonFinite.decoder()
        decoder.userInfo[.tensorArchive] = TensorArchive(tensors: tensors)
        return try decoder.decode(Box<O>.self, from: json).value
    }

    /// Wraps top-level values so that scalars and arrays encode as JSON objects.
    struct Box<T: Codable>: Codable {
        var value: T
    }
}

