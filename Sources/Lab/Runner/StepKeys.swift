import Foundation

/// Every step's cache key for one experiment, config, root seed and mode, computed from the
/// source file alone: nothing runs, nothing is read from the cache or the run store. The
/// runner keys its steps with it, and `lab status` asks an experiment binary for them
/// (`BINARY keys`) to tell whether a committed report is still what the code would compute.
struct StepKeys<C: ExperimentConfig> {
    let experiment: Experiment<C>
    let config: C
    let source: SourceFile
    let fingerprint: String
    let seed: UInt64
    let smoke: Bool
    /// Where the steps compute: results differ in the last bits between devices, so it is a key part.
    var device: Device = .cpu

    /// The key of each step, by the step's index in the experiment.
    func compute() -> [Int: CacheKey] {
        let fieldNames = Set(config.fields.map(\.name))
        let analysis = StepAnalysis(text: source.lines.joined(separator: "\n"), configType: String(describing: C.self),
                                    fields: fieldNames)
        let configObject = (try? config.jsonObject()) ?? [:]
        var result: [Int: CacheKey] = [:]
        for node in experiment.nodes {
            let dependencies = analysis.dependencies(line: node.line, inputTypes: node.inputs.map { experiment.nodes[$0].outputType })
            let reads = dependencies.configReads
            let covered = (reads.map { Array($0) } ?? Array(fieldNames)).sorted()
            let configText = covered.map { "\($0)=\(ConfigParsing.json(configObject[$0] ?? NSNull()))" }.joined(separator: "\n")
            let upstream = node.inputs.map { "\(experiment.nodes[$0].name)=\(result[$0]!.hex)" }.joined(separator: "\n")
            let parts: [String: String] = [
                "scheme": sha256Hex(CacheKey.schemeText),
                "step": sha256Hex("\(node.kind.rawValue) \(node.name)"),
                "source": sha256Hex(dependencies.text),
                "config": sha256Hex(configText),
                "upstream": sha256Hex(upstream),
                "seed": sha256Hex(String(stepSeed(root: node.seedScope.root(seed), step: node.name))),
                "mode": sha256Hex("smoke=\(smoke) device=\(device)"),
                "library": sha256Hex(fingerprint),
            ]
            result[node.index] = CacheKey(parts: parts, configFields: reads == nil ? nil : covered,
                                          sourcePieces: dependencies.pieces.map { "\($0.label)=\($0.digest)" },
                                          coarse: dependencies.coarse)
        }
        return result
    }

    /// The keys as `BINARY keys` prints them: the experiment's name, its config as JSON, the
    /// library fingerprint and, per step in declaration order, its name, kind, key, the key's
    /// parts (with `config.fields`, the fields the key covers, `*` for all, as the run store
    /// and `results.json` keep them), its inputs' names and its line.
    func json() -> String {
        let keys = compute()
        let steps: [[String: Any]] = experiment.nodes.map { node in
            let key = keys[node.index]!
            return ["name": node.name, "kind": node.kind.rawValue, "key": key.hex, "parts": key.recordedParts,
                    "inputs": node.inputs.map { experiment.nodes[$0].name }, "line": node.line]
        }
        let object: [String: Any] = [
            "experiment": experiment.name, "config": (try? config.jsonObject()) ?? [:], "library": fingerprint,
            "seed": String(seed), "smoke": smoke, "steps": steps,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
