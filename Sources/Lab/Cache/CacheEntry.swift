import Foundation

/// One committed cache entry as `lab cache ls` lists it; read from its manifest without
/// verifying its files.
package struct CacheEntry: Equatable, Sendable {
    /// The entry's key.
    package var key: String
    /// The step that produced it.
    package var step: String
    /// The experiment that step belongs to.
    package var experiment: String
    /// Bytes the entry occupies: its files plus its manifest.
    package var bytes: Int64
    /// When it was committed.
    package var createdAt: Date
    /// When a lookup last returned it as a hit (its commit time until then).
    package var lastUsedAt: Date
    /// The free-form facts the runner stored with it.
    package var meta: [String: String]
    /// The entry's folder.
    package var url: URL
}
