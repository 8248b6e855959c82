import Foundation

/// One committed cache entry as `lab cache ls` lists it; read from its manifest without
/// verifying its files.
public struct CacheEntry: Equatable, Sendable {
    /// The entry's key.
    public var key: String
    /// The step that produced it.
    public var step: String
    /// The experiment that step belongs to.
    public var experiment: String
    /// Bytes the entry occupies: its files plus its manifest.
    public var bytes: Int64
    /// When it was committed.
    public var createdAt: Date
    /// When a lookup last returned it as a hit (its commit time until then).
    public var lastUsedAt: Date
    /// The free-form facts the runner stored with it.
    public var meta: [String: String]
    /// The entry's folder.
    public var url: URL
}
