import Foundation

/// The index of one cache entry, stored as `manifest.json` beside its files: what each
/// file must hash to, and which step of which experiment produced it.
///
/// Invariant: an entry folder is only ever made visible (renamed into `objects/`) after
/// its manifest and every file it lists have been fsync'd.
public struct CacheManifest: Codable, Equatable, Sendable {
    /// The size and digest a stored file must have.
    public struct FileRecord: Codable, Equatable, Sendable {
        /// SHA-256 of the file's contents, 64 lowercase hex characters.
        public var sha256: String
        /// The file's size in bytes.
        public var bytes: Int64

        /// Creates a record.
        public init(sha256: String, bytes: Int64) {
            self.sha256 = sha256
            self.bytes = bytes
        }
    }

    /// The entry's key (also its folder name).
    public var key: String
    /// Each stored file, by its path relative to the entry folder (`output.json`,
    /// `tensors.safetensors`, `clips/0001.wav`).
    public var files: [String: FileRecord]
    /// When the entry was committed.
    public var createdAt: Date
    /// The step that produced it.
    public var step: String
    /// The experiment that step belongs to.
    public var experiment: String
    /// Free-form facts the runner wants kept with the entry (timing, library versions, …).
    public var meta: [String: String]

    /// Creates a manifest.
    public init(key: String, files: [String: FileRecord], createdAt: Date, step: String,
                experiment: String, meta: [String: String]) {
        self.key = key
        self.files = files
        self.createdAt = createdAt
        self.step = step
        self.experiment = experiment
        self.meta = meta
    }

    /// The manifest's file name inside an entry folder; reserved, so no output may use it.
    public static let fileName = "manifest.json"

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
