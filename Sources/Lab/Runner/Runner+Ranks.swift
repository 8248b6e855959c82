import Foundation

extension Runner {
    /// A rank other than 0 of a data-parallel run: for every step, rank 0's decision
    /// (``Ranks/Decision``): read its entry, run a training step with the others, or wait
    /// while rank 0 runs the step alone. Nothing is recorded or committed here; a failure is
    /// written for `lab run` (``Ranks/recordFailure(step:message:location:)``).
    /// - Returns: the exit status: 0, or 1 when a step failed here or on rank 0.
    func follow(_ ranks: Ranks) -> Int32 {
        keys = computeKeys()
        print("rank \(ranks.rank) of \(ranks.worldSize)  \(experiment.name)")
        for node in experiment.nodes {
            let key = keys[node.index]!
            do {
                let (decision, entry) = try ranks.agree(.cached, entry: "")
                switch decision {
                case .cached:
                    try adopt(node, entry: entry)
                    print(String(format: "  ✓ %@  cached", pad(node.name)))
                case .everyRank:
                    let started = Date()
                    try executeFollowing(node, key: key, ranks: ranks)
                    guard try ranks.outcome(true) else { return 1 }
                    print(String(format: "  ✓ %@  %.2f s", pad(node.name), Date().timeIntervalSince(started)))
                case .leaderOnly:
                    guard try ranks.outcome(true) else { return 1 }
                    try adopt(node, entry: key.hex)
                    print(String(format: "  ✓ %@  computed by rank 0", pad(node.name)))
                }
            } catch {
                let location = location(of: node)
                print("  ✗ \(pad(node.name))  failed at \(location): \(error)")
                ranks.recordFailure(step: node.name, message: "\(error)", location: location)
                return 1
            }
        }
        return 0
    }

    /// Takes rank 0's entry for `node` (read when a later step here needs it).
    private func adopt(_ node: Node, entry: String) throws {
        guard case .hit(let folder) = cache.lookup(key: entry, verify: false) else {
            throw LabError.entryNotShared(step: node.name, entry: String(entry.prefix(10)), folder: cache.root.path)
        }
        hits[node.index] = folder
    }

    /// Runs a training step as one of its ranks: the same body, gradients averaged with the
    /// others, rank 0's checkpoint restored but never written; the output stays in memory.
    private func executeFollowing(_ node: Node, key: CacheKey, ranks: Ranks) throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("lab-rank\(ranks.rank)-\(getpid())-\(node.index)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let recorder = StepRecorder(artifactFolder: scratch, onLog: { _, _, _ in })
        let checkpoints = CheckpointStore(root: labFolder.appendingPathComponent("checkpoints"), key: key.hex, step: node.name,
                                          experiment: experiment.name, recorder: recorder)
        checkpoints.writes = false
        let inputs = try node.inputs.map { try value(of: $0) }
        let env = environment(for: node, recorder: recorder, checkpoints: checkpoints)
        let output = try withError { () -> Any in
            manualSeed(env.seed)
            return try node.run(env, inputs)
        }
        values[node.index] = output
    }
}
