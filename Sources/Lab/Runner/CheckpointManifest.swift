import Foundation

/// The index of a training step's checkpoint, `checkpoint.json` in its folder: which file
/// holds the last finished epoch and the size and SHA-256 that file must have. Written
/// (atomically, by rename) only after that file is complete and fsync'd, so a kill at any
/// moment leaves either the previous checkpoint or the new one, never half of one.
struct CheckpointManifest: Codable, Equatable {
    /// Bumped when the checkpoint's contents change meaning; another format is discarded.
    static let currentFormat = 2
    static let fileName = "checkpoint.json"

    var format: Int
    /// The step's cache key (also the folder's name).
    var key: String
    var step: String
    var experiment: String
    /// The last finished epoch the file holds.
    var epoch: Int
    /// The checkpoint file's name inside the folder (`epoch-<k>.safetensors`).
    var file: String
    var bytes: Int64
    var sha256: String
    var savedAt: Date

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    static func decode(_ data: Data) throws -> CheckpointManifest {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(CheckpointManifest.self, from: data)
    }

    /// What is wrong with the checkpoint in `folder` (named `key`), or nil when its manifest
    /// is readable and its file matches the recorded size and SHA-256. Returns the manifest too.
    static func check(folder: URL, key: String) -> (manifest: CheckpointManifest?, problem: String?) {
        let url = folder.appendingPathComponent(fileName)
        let manifest: CheckpointManifest
        do {
            guard let info = try FileIO.status(url.path) else { return (nil, "\(fileName): missing") }
            guard FileIO.isRegularFile(info) else { return (nil, "\(fileName): not a regular file") }
            manifest = try decode(Data(contentsOf: url))
        } catch {
            return (nil, "\(fileName): unreadable (\(CacheStore.brief(error)))")
        }
        guard manifest.format == currentFormat else {
            return (manifest, "\(fileName): format \(manifest.format), this Lab writes \(currentFormat)")
        }
        guard manifest.key == key else { return (manifest, "\(fileName): names key \(manifest.key), not the folder's key") }
        guard CacheStore.isSafeRelativePath(manifest.file), !manifest.file.contains("/") else {
            return (manifest, "\(fileName): names an invalid file '\(manifest.file)'")
        }
        let file = folder.appendingPathComponent(manifest.file)
        guard let info = try? FileIO.status(file.path) else { return (manifest, "\(manifest.file): missing") }
        guard FileIO.isRegularFile(info) else { return (manifest, "\(manifest.file): not a regular file") }
        if Int64(info.st_size) != manifest.bytes {
            return (manifest, "\(manifest.file): \(info.st_size) bytes, \(fileName) says \(manifest.bytes)")
        }
        guard let digest = try? FileIO.sha256(of: file) else { return (manifest, "\(manifest.file): unreadable") }
        if digest != manifest.sha256 {
            return (manifest, "\(manifest.file): SHA-256 \(digest), \(fileName) says \(manifest.sha256)")
        }
        return (manifest, nil)
    }
}
