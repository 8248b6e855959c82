import Foundation

/// Text embeddings by token ids, least recently used evicted first: zero-shot
/// classification sends the same prompts with every image, and a text tower's output for
/// given tokens never changes while a model is served.
final class EmbeddingCache: @unchecked Sendable {
    let capacity: Int
    private let lock = NSLock()
    private var entries: [[Int64]: (embedding: [Float], used: UInt64)] = [:]
    private var clock: UInt64 = 0

    /// A cache of at most `capacity` embeddings (0: caches nothing).
    init(capacity: Int) { self.capacity = capacity }

    func get(_ tokens: [Int64]) -> [Float]? {
        guard capacity > 0 else { return nil }
        return lock.withLock {
            guard let entry = entries[tokens] else { return nil }
            clock += 1
            entries[tokens] = (entry.embedding, clock)
            return entry.embedding
        }
    }

    func put(_ tokens: [Int64], _ embedding: [Float]) {
        guard capacity > 0 else { return }
        lock.withLock {
            clock += 1
            entries[tokens] = (embedding, clock)
            guard entries.count > capacity else { return }
            // Evict the least recently used eighth at once, so a full cache sorts rarely.
            let evicted = entries.sorted { $0.value.used < $1.value.used }.prefix(max(1, capacity / 8))
            for (key, _) in evicted { entries.removeValue(forKey: key) }
        }
    }

    var count: Int { lock.withLock { entries.count } }
}
