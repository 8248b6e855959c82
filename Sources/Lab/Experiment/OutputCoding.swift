import Foundation

/// How step outputs are stored: `output.json` (the value, with each tensor replaced by a
/// reference) and, when it holds tensors, `tensors.safetensors`.
enum OutputCoding {
    static func save<O: Codable>(_ value: O, step: String, to folder: URL) throws {
        let archive = TensorArchive()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.userInfo[.tensorArchive] = archive
        let json: Data
        do {
            json = try encoder.encode(Box(value: value))
        } catch {
            throw LabError.outputNotCacheable(step: step, reason: "\(error)")
        }
        try json.write(to: folder.appendingPathComponent("output.json"))
        if !archive.tensors.isEmpty {
            try Safetensors.save(archive.tensors, to: folder.appendingPathComponent("tensors.safetensors").path)
        }
    }

    static func load<O: Codable>(_ type: O.Type, from folder: URL) throws -> O {
        let json = try Data(contentsOf: folder.appendingPathComponent("output.json"))
        let tensorsFile = folder.appendingPathComponent("tensors.safetensors")
        var tensors: [String: Tensor] = [:]
        if FileManager.default.fileExists(atPath: tensorsFile.path) {
            tensors = try Safetensors.load(tensorsFile.path).tensors
        }
        let decoder = JSONDecoder()
        decoder.userInfo[.tensorArchive] = TensorArchive(tensors: tensors)
        return try decoder.decode(Box<O>.self, from: json).value
    }

    /// Wraps top-level values so that scalars and arrays encode as JSON objects.
    struct Box<T: Codable>: Codable {
        var value: T
    }
}

