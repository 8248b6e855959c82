import Foundation

/// `--explain` and `--dry-run`: per step, whether its key has a cache entry and, when it has
/// not, why — against the entry the step would most plausibly have used, not against
/// whichever run happened to be last.
extension Runner {
    /// How far back `--explain` looks for a step's earlier entries.
    static var explainRunsSearched: Int { 200 }

    /// Prints one line per step: a hit names the run that computed its entry; a miss names
    /// the parts of its key that differ from the closest earlier record of the same step
    /// whose entry is still cached (else the closest record at all): fewest differing parts,
    /// then fewest differing config fields, then newest. For `config` it names the fields
    /// whose values differ, for `upstream` the inputs whose keys differ.
    func explain(heading: String) {
        var runs: [RunRecord] = []
        var stepsByRun: [String: [StepRecord]] = [:]
        store.reading("earlier runs, for --explain") {
            runs = try store.runs(experiment: experiment.name, limit: Self.explainRunsSearched)
            for run in runs { stepsByRun[run.id] = try store.steps(runId: run.id) }
        }
        let configs = Dictionary(runs.map { run in
            (run.id, (try? JSONSerialization.jsonObject(with: Data(run.config.utf8)) as? [String: Any]) ?? [:])
        }, uniquingKeysWith: { a, _ in a })
        let currentConfig = (try? config.jsonObject()) ?? [:]
        func cached(_ key: String) -> Bool { FileManager.default.fileExists(atPath: cache.entryURL(key).path) }
        print(heading)
        for node in experiment.nodes {
            let key = keys[node.index]!
            // Earlier records of this step, newest first.
            let earlier = runs.compactMap { run in stepsByRun[run.id]?.first { $0.name == node.name }.map { (run, $0) } }
            let hit = !options.noCache && cached(key.hex)
            var line = "  \(pad(node.name))  \(hit ? "hit " : "miss")"
            if hit {
                if let maker = earlier.first(where: { $0.1.key == key.hex && !$0.1.cacheHit }) ?? earlier.first(where: { $0.1.key == key.hex }) {
                    line += "  (entry from run \(maker.0.id))"
                } else if let maker = try? store.runsComputing(key: key.hex).first, let run = try? store.run(id: maker) {
                    // The same computation in another experiment file: one key, one entry.
                    line += "  (entry from run \(run.id) of \(run.experiment))"
                } else {
                    line += "  (entry made by a run no longer in the store)"
                }
            } else if let (run, old, changed) = closest(earlier.filter { $0.1.key != key.hex && cached($0.1.key) }, to: key,
                                                         node: node, configs: configs, current: currentConfig)
                        ?? closest(earlier.filter { $0.1.key != key.hex }, to: key, node: node, configs: configs, current: currentConfig) {
                let described = changed.map { part -> String in
                    switch part {
                    case "config":
                        let fields = differingFields(node: node, key: key, previous: configs[run.id] ?? [:], current: currentConfig)
                        return fields.isEmpty ? "config (the set of fields it reads)" : "config (\(fields.joined(separator: ", ")))"
                    case "upstream":
                        let before = stepsByRun[run.id] ?? []
                        let inputs = node.inputs.filter { input in
                            let name = experiment.nodes[input].name
                            return before.first(where: { $0.name == name })?.key != keys[input]!.hex
                        }.map { experiment.nodes[$0].name }
                        return "upstream (\(inputs.joined(separator: ", ")))"
                    case "source": return describeSource(old: old, key: key)
                    case "scheme": return "key scheme (a newer Lab makes keys differently)"
                    case "library": return "library (Lab or libtorch changed)"
                    case "mode": return "mode (--smoke)"
                    case "seed": return "seed"
                    default: return part
                    }
                }
                let against = cached(old.key) ? "the cached entry of run \(run.id)" : "run \(run.id) (its entry is gone)"
                line += changed.isEmpty ? "  (same key as run \(run.id); entry missing or evicted)"
                    : "  changed against \(against): " + described.joined(separator: "; ")
            } else if earlier.first(where: { $0.1.key == key.hex }) != nil {
                line += "  (key unchanged; entry missing or evicted)"
            } else {
                line += "  (no earlier run of this step)"
            }
            if options.noCache { line += "  [--no-cache]" }
            print(line)
        }
    }

    /// The candidate whose key is closest to `key` (fewest differing parts, then fewest
    /// differing config fields; the newest on a tie), with the parts that differ.
    private func closest(_ candidates: [(RunRecord, StepRecord)], to key: CacheKey, node: Node,
                         configs: [String: [String: Any]], current: [String: Any]) -> (RunRecord, StepRecord, [String])? {
        var best: (RunRecord, StepRecord, [String])?
        var bestScore = (Int.max, Int.max)
        for (run, step) in candidates {   // newest first: a later candidate must be strictly closer
            let parts = (try? JSONSerialization.jsonObject(with: Data(step.keyParts.utf8)) as? [String: String]) ?? [:]
            let changed = CacheKey.partNames.filter { parts[$0] != key.parts[$0] }
            let fields = changed.contains("config")
                ? differingFields(node: node, key: key, previous: configs[run.id] ?? [:], current: current).count : 0
            if (changed.count, fields) < bestScore { best = (run, step, changed); bestScore = (changed.count, fields) }
        }
        return best
    }

    /// `source (…)`: the pieces of the step's source whose digests differ from the earlier
    /// record's (`(step)` for its own declaration, else the declarations' names), and a note
    /// when either key covered the whole file.
    func describeSource(old: StepRecord, key: CacheKey) -> String {
        let parts = (try? JSONSerialization.jsonObject(with: Data(old.keyParts.utf8)) as? [String: String]) ?? [:]
        var changed = ReportStatus.changedPieces(parts["source.pieces"], key.sourcePieces.joined(separator: ", "))
        if let own = changed.firstIndex(of: "(step)") { changed.remove(at: own); changed.insert("this step's own code", at: 0) }
        if let coarse = key.coarse, parts["source.coarse"] == nil {
            return "source (now keyed on the whole file: \(coarse))"
        }
        var text = parts["source.pieces"] == nil ? "source (recorded before keys named declarations)"
            : changed.isEmpty ? "source" : "source (\(changed.joined(separator: ", ")))"
        if let coarse = key.coarse { text += " [whole file: \(coarse)]" }
        return text
    }

    /// The config fields this step's key covers whose values differ between two configs.
    private func differingFields(node: Node, key: CacheKey, previous: [String: Any], current: [String: Any]) -> [String] {
        (key.configFields ?? current.keys.sorted()).filter {
            ConfigParsing.json(previous[$0] ?? NSNull()) != ConfigParsing.json(current[$0] ?? NSNull())
        }
    }
}
