import Foundation
import Multimodal
import Torch

extension Runner {
    /// `BINARY export RUN STEP --format F --out DIR`: rebuilds the network of training step
    /// STEP of the recorded run RUN — the step's factory, run with the run's config and seed,
    /// and the weights of the cache entry the run recorded for it — and writes it with
    /// ``ModelExport``. Nothing runs but the factories and entry loads; nothing is recorded.
    /// - Returns: 0 when written, 2 otherwise (the error is printed).
    func export(_ request: ExportRequest) -> Int32 {
        do {
            try exportModel(request)
            return 0
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return 2
        }
    }

    /// The first tokenizer in `value` or its stored properties, two levels down.
    static func findTokenizer(_ value: Any) -> TokenizerDescription? {
        find(value) { ($0 as? DescribableTokenizer)?.exportDescription }
    }

    /// The first value in `value` or its stored properties, two levels down (depth first,
    /// `value` itself first), for which `describe` gives a description.
    static func find<T>(_ value: Any, _ describe: (Any) -> T?) -> T? {
        func search(_ value: Any, depth: Int) -> T? {
            if let found = describe(value) { return found }
            guard depth > 0 else { return nil }
            for child in Mirror(reflecting: value).children {
                if let found = search(child.value, depth: depth - 1) { return found }
            }
            return nil
        }
        return search(value, depth: 2)
    }

    func exportModel(_ request: ExportRequest) throws {
        guard let format = ModelExport.Format(rawValue: request.format) else {
            throw ExportError("--format \(request.format): use \(ModelExport.Format.allCases.map(\.rawValue).joined(separator: " or "))")
        }
        let run = try store.run(id: request.runId)
        let recorded = Dictionary(try store.steps(runId: run.id).map { ($0.name, $0.key) }, uniquingKeysWith: { a, _ in a })
        let trainSteps = experiment.nodes.filter { $0.kind == .train }.map(\.name)
        guard let node = experiment.nodes.first(where: { $0.name == request.step }) else {
            throw ExportError("\(experiment.name) has no step '\(request.step)'; its training steps: \(trainSteps.joined(separator: ", "))")
        }
        guard node.kind == .train else {
            throw ExportError("step '\(node.name)' is a step of kind \(node.kind.rawValue); only training steps (lab.train) hold a model: \(trainSteps.joined(separator: ", "))")
        }
        keys = computeKeys()
        func load(_ index: Int) throws -> Any {
            if let value = values[index] { return value }
            let step = experiment.nodes[index]
            guard let key = recorded[step.name] else {
                throw ExportError("run \(run.id) has no record of step '\(step.name)' (it failed before it)")
            }
            guard case .hit(let folder) = cache.lookup(key: key) else {
                throw ExportError("the cache entry run \(run.id) recorded for step '\(step.name)' (\(key.prefix(12))…) is not in \(labFolder.path)/cache "
                    + "(removed by `lab cache gc`, or another clone): run the experiment again with the run's config and seed to make it")
            }
            let value = try withError { try step.load(folder, environment(for: step, recorder: nil), { try step.inputs.map(load) }) }
            values[index] = value
            return value
        }
        guard let trained = try load(node.index) as? TrainedNetwork else {
            throw ExportError("step '\(node.name)' holds no network")
        }
        if keys[node.index]?.hex != recorded[node.name] {
            print("note: step '\(node.name)' keys differently now than in run \(run.id) (the experiment or Lab changed since): "
                  + "its network is rebuilt by today's factory and given the run's weights, which matched it by name and shape")
        }
        var metadata = [
            "lab.run": run.id, "lab.experiment": experiment.name, "lab.step": node.name,
            "lab.cache_key": recorded[node.name]!, "lab.config": run.config, "lab.seed": String(UInt64(bitPattern: run.rootSeed)),
            "lab.library": fingerprint,
        ]
        if let commit = run.gitCommit { metadata["lab.commit"] = commit + (run.gitDirty == true ? " (dirty)" : "") }
        let folder = URL(fileURLWithPath: request.folder)
        // A tokenizer among the step's inputs (a field of its data, say) is how text reaches the model.
        let inputs = node.inputs.compactMap { try? load($0) }
        let tokenizer = inputs.lazy.compactMap(Self.findTokenizer).first
        // So do the data's pixel scaling and its class (or answer) names.
        let images = inputs.lazy.compactMap { Self.find($0) { ($0 as? DescribableImages)?.imagePreprocessing } }.first
        let labels = inputs.lazy.compactMap { Self.find($0) { ($0 as? DescribableLabels)?.exportLabels } }.first
        let manifest = try ModelExport.write(trained.network, format: format, to: folder, metadata: metadata, tokenizer: tokenizer,
                                             images: images, labels: labels)
        print("exported \(experiment.name) run \(run.id) step '\(node.name)' (\(manifest.module)) as \(format.rawValue) to \(folder.path):")
        for file in manifest.files + [ModelExport.Manifest.File(path: "export.json", inputs: nil, outputs: nil)] {
            let size = (try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(file.path).path)[.size] as? Int) ?? 0
            let signature = file.inputs.map { inputs in
                "  " + inputs.map { "\($0.name) \($0.dtype)[\($0.shape.joined(separator: ", "))]" }.joined(separator: ", ")
                    + " → " + (file.outputs ?? []).map { "\($0.name) \($0.dtype)[\($0.shape.joined(separator: ", "))]" }.joined(separator: ", ")
            } ?? ""
            print(String(format: "  %@  %@", file.path, ByteCountFormatter.string(fromByteCount: Int64(size), countStyle: .file)) + signature)
        }
    }
}

/// Why `lab export` cannot write a run's model; the message names what to do.
struct ExportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
