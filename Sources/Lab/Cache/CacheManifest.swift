import Foundation

/// The index of one cache entry, stored as `manifest.json` beside its files: what each
/// file must hash to, and which step of which experiment produced it.
///
/// Invariant: an entry folder is only ever made visible (renamed into `objects/`) after
/// its manifest and every file it lists have been fsync'd.
package struct CacheManifest: Codable, Equatable, Sendable {
    /// The size and digest a stored file must have.
    package struct FileRecord: Codable, Equatable, Sendable {
        /// SHA-256 of the file's contents, 64 lowercase hex characters.
        package var sha256: String
        /// The file's size in bytes.
        package var bytes: Int64

        /// Creates a record.
        package init(sha256: String, bytes: Int64) {
            self.sha256 = sha256
            self.bytes = bytes
        }
    }

    /// The entry's key (also its folder name).
    package var key: String
    /// Each stored file, by its path relative to the entry folder (`output.json`,
    /// `tensors.safetensors`, `clips/0001.wav`).
    package var files: [String: FileRecord]
    /// When the entry was committed.
    package var createdAt: Date
    /// The step that produced it.
    package var step: String
    /// The experiment that step belongs to.
    package var experiment: String
    /// Free-form facts the runner wants kept with the entry (timing, library versions, …).
    package var meta: [String: String]

    /// Creates a manifest.
    package init(key: String, files: [String: FileRecord], createdAt: Date, step: String,
                experiment: String, meta: [String: String]) {
        self.key = key
        self.files = files
        self.createdAt = createdAt
        self.step = step
        self.experiment = experiment
        self.meta = meta
    }

    /// The manifest's file name inside an entry folder; reserved, so no output may use it.
    package static let fileName = "manifest.json"

    /// Pretty-printed JSON with sorted keys and ISO 8601 dates, so manifests diff cleanly.
    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        do {
            return try encoder.encode(self)
        } catch {
            throw CacheError.manifestEncoding(key: key, reason: "\(error)")
        }
    }

    static func decode(_ data: Data) throws -> CacheManifest {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(CacheManifest.self, from: data)
    }
}
