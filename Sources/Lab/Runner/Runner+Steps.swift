import Foundation

/// A step's failure as the run records it: the step to blame, the message, `file:line`.
struct StepFailure {
    var step: String
    var message: String
    var location: String
}

/// A step whose cache entry could not be decoded failed when recomputed for a consumer:
/// the failure is that step's, not the consumer's.
struct UpstreamFailure: Error, CustomStringConvertible {
    let node: Node
    let error: Error
    var description: String { "\(error)" }
}

extension Runner {
    /// Runs one step or takes it from the cache, holding the entry's lock from lookup to
    /// commit: a second run of the same step waits for the first and then takes its entry,
    /// instead of computing it again (or adopting the other run's live checkpoint).
    /// - Returns: the failure to record, or nil when the step succeeded or was a hit.
    func runStep(_ node: Node, runId: String, logger: MetricLogger) -> StepFailure? {
        let key = keys[node.index]!
        let started = Date()
        var step = StepRecord(runId: runId, name: node.name, kind: node.kind.rawValue, key: key.hex, cacheHit: false,
                              status: "succeeded", seconds: 0, keyParts: keyPartsJSON(key), sourceLine: node.line)
        do {
            try cache.withLock(key: key.hex, onWait: {
                print("  … \(self.pad(node.name))  another run is computing this step; waiting for its result")
            }) {
                let lookup = options.noCache ? CacheStore.Lookup.miss : cache.lookup(key: key.hex)
                if case .corrupt(let reason) = lookup {
                    print("  ! \(pad(node.name))  cache entry corrupt (\(reason)): evicted, recomputing")
                }
                if case .hit(let folder) = lookup {
                    if restoreRecording(from: folder, step: node.name, runId: runId, logger: logger) {
                        _ = try ranks?.agree(.cached, entry: key.hex)
                        hits[node.index] = folder
                        step.cacheHit = true
                        step.seconds = Date().timeIntervalSince(started)
                        store.recording("step '\(node.name)' (\(step.status))") { try store.record(step) }
                        print(String(format: "  ✓ %@  cached", pad(node.name)))
                        return
                    }
                    _ = try? cache.remove(key: key.hex)
                    print("  ! \(pad(node.name))  cache entry corrupt (recording.json: cannot be decoded): evicted, recomputing")
                }
                // Early cut-off: the same own parts and byte-identical inputs made an entry before.
                let alias = options.noCache ? nil : cutoffAlias(node, key: key)
                if let alias, let (earlier, folder) = cache.lookup(alias: alias), earlier != key.hex,
                   restoreRecording(from: folder, step: node.name, runId: runId, logger: logger) {
                    _ = try ranks?.agree(.cached, entry: earlier)
                    hits[node.index] = folder
                    step.cacheHit = true
                    step.seconds = Date().timeIntervalSince(started)
                    store.recording("step '\(node.name)' (\(step.status))") { try store.record(step) }
                    print(String(format: "  ✓ %@  inputs byte-identical to those of entry %@…: cached",
                                 pad(node.name), String(earlier.prefix(10))))
                    return
                }
                step.status = "running"   // what a crash leaves behind: the step it happened in
                store.recording("step '\(node.name)' (\(step.status))") { try store.record(step) }
                // Data parallel: a training step runs on every rank, any other on this one (rank 0) alone.
                _ = try ranks?.agree(node.kind == .train ? .everyRank : .leaderOnly, entry: key.hex)
                try execute(node, key: key, runId: runId, logger: logger)
                _ = try ranks?.outcome(true)
                if let alias = alias ?? cutoffAlias(node, key: key) { cache.recordAlias(alias, for: key.hex) }
                step.status = "succeeded"
                step.seconds = Date().timeIntervalSince(started)
                store.recording("step '\(node.name)' (\(step.status))") { try store.record(step) }
                print(String(format: "  ✓ %@  %.2f s", pad(node.name), step.seconds))
            }
            return nil
        } catch let upstream as UpstreamFailure {
            // A cached input could not be decoded and failed when recomputed: blame it.
            step.status = "not run"
            store.recording("step '\(node.name)' (\(step.status))") { try store.record(step) }
            let producer = upstream.node
            let producerKey = keys[producer.index]!
            let failed = StepRecord(runId: runId, name: producer.name, kind: producer.kind.rawValue, key: producerKey.hex,
                                    cacheHit: false, status: "failed", seconds: 0, keyParts: keyPartsJSON(producerKey),
                                    sourceLine: producer.line)
            store.recording("step '\(producer.name)' (failed)") { try store.record(failed) }
            let location = location(of: producer)
            print("  ✗ \(pad(producer.name))  failed at \(location): \(upstream.error)")
            return StepFailure(step: producer.name, message: "\(upstream.error)", location: location)
        } catch {
            step.status = "failed"
            step.seconds = Date().timeIntervalSince(started)
            store.recording("step '\(node.name)' (\(step.status))") { try store.record(step) }
            let location = location(of: node)
            print("  ✗ \(pad(node.name))  failed at \(location): \(error)")
            return StepFailure(step: node.name, message: "\(error)", location: location)
        }
    }

    /// The early cut-off alias of a step (see ``CacheStore``'s `alias(parts:inputDigests:)`):
    /// nil when it has no inputs (its key already says everything) or an input's entry is
    /// not in the cache (so its bytes are unknown).
    func cutoffAlias(_ node: Node, key: CacheKey) -> String? {
        guard !node.inputs.isEmpty else { return nil }
        var digests: [String] = []
        for input in node.inputs {
            let folder = hits[input] ?? cache.entryURL(keys[input]!.hex)
            guard let digest = cache.outputDigest(of: folder) else { return nil }
            digests.append(digest)
        }
        return CacheStore.alias(parts: key.parts, inputDigests: digests)
    }

    /// Recomputes a step outside the run's loop (its entry could not be decoded) and
    /// records it as computed, not cached.
    func executeRecorded(_ node: Node, key: CacheKey, streamLogs: Bool) throws {
        guard let logger else { fatalError("a step was recomputed before the run was recorded") }
        let started = Date()
        try execute(node, key: key, runId: runId, logger: logger, streamLogs: streamLogs)
        let step = StepRecord(runId: runId, name: node.name, kind: node.kind.rawValue, key: key.hex, cacheHit: false,
                              status: "succeeded", seconds: Date().timeIntervalSince(started), keyParts: keyPartsJSON(key),
                              sourceLine: node.line)
        store.recording("step '\(node.name)' (\(step.status))") { try store.record(step) }
        print(String(format: "  ✓ %@  %.2f s  (recomputed)", pad(node.name), step.seconds))
    }

    /// `file:line` of a step's declaration.
    func location(of node: Node) -> String {
        "\((node.file as NSString).lastPathComponent):\(node.line)"
    }
}
