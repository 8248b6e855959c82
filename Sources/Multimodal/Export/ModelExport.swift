import Foundation
import Torch

/// Writes a trained module out of Lab, into a folder a consumer can use without Lab.
///
/// - `safetensors`: `model.safetensors`, the module's `stateDict()` under PyTorch's names.
/// - `onnx`: one ONNX file per model: `model.onnx` for a module that describes its inputs
///   (``ONNXModel``), or `<modality>.onnx` for each tower of a ``CLIP`` (the tower followed
///   by L2 normalization: the embedding ``CLIP/embed(_:_:)`` returns).
///
/// Either way `export.json` lists the files with their inputs and outputs (names, element
/// types, shapes with `batch` free) and the caller's metadata (Lab writes the run, step,
/// config and commit there), plus CLIP's logit scale.
public enum ModelExport {
    /// What ``write(_:format:to:metadata:)`` writes.
    public enum Format: String, CaseIterable, Sendable {
        case onnx, torchscript, safetensors
    }

    /// The description written to `export.json`.
    public struct Manifest: Codable, Equatable, Sendable {
        /// One written file and, for ONNX, its graph's inputs and outputs.
        public struct File: Codable, Equatable, Sendable {
            public var path: String
            public var inputs: [Value]?
            public var outputs: [Value]?
            public init(path: String, inputs: [Value]?, outputs: [Value]?) {
                self.path = path
                self.inputs = inputs
                self.outputs = outputs
            }
        }
        /// A graph input or output: `shape` holds sizes, or names of free dimensions.
        public struct Value: Codable, Equatable, Sendable {
            public var name: String
            public var dtype: String
            public var shape: [String]
            public init(name: String, dtype: String, shape: [String]) {
                self.name = name
                self.dtype = dtype
                self.shape = shape
            }
        }
        public var format: String
        /// The module's type (`CLIP`, `ImageEncoder`, …).
        public var module: String
        public var files: [File]
        /// CLIP's learned temperature, exp(logit scale) as its loss uses it.
        public var logitScale: Double?
        /// How text becomes the text tower's tokens, when known.
        public var tokenizer: TokenizerDescription?
        /// The most tokens the text input takes (its position table's length), when it has a limit.
        public var maxTokens: Int?
        /// How pixels become the image input, when the training data said.
        public var images: ImagePreprocessing?
        /// Output index → class or answer name, when the training data named them.
        public var labels: [String]?
        public var metadata: [String: String]
    }

    /// Writes `module` as `format` into `folder` (created if needed) and returns the manifest;
    /// `tokenizer`, `images` and `labels`, when given, are described in it (labels only when
    /// they are as many as the model's classes or answers).
    /// - Throws: ``MultimodalError/notExportable(module:path:reason:)`` naming the first
    ///   module that has no ONNX form; file errors.
    @discardableResult
    public static func write(_ module: Module, format: Format, to folder: URL, metadata: [String: String] = [:],
                             tokenizer: TokenizerDescription? = nil, images: ImagePreprocessing? = nil,
                             labels: [String]? = nil) throws -> Manifest {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let type = String(describing: Swift.type(of: module))
        var manifest = Manifest(format: format.rawValue, module: type, files: [], logitScale: nil, tokenizer: tokenizer,
                                maxTokens: maxTokens(module), images: images, labels: nil, metadata: metadata)
        if let clip = module as? CLIP { manifest.logitScale = withNoGrad { clip.scale.item() } }
        if let labels, labels.count == outputClasses(module) { manifest.labels = labels }
        switch format {
        case .safetensors:
            let tensors = module.stateDict().mapValues { $0.detached().contiguous() }
            try Safetensors.save(tensors, metadata: metadata.merging(["format": "pt"]) { a, _ in a },
                                 to: folder.appendingPathComponent("model.safetensors").path)
            manifest.files = [.init(path: "model.safetensors", inputs: nil, outputs: nil)]
        case .onnx, .torchscript:
            for (stem, graph, inputs, outputs, docString) in try graphs(module) {
                let name = stem + (format == .onnx ? ".onnx" : ".pt")
                let path = folder.appendingPathComponent(name)
                if format == .onnx {
                    try graph.model(name: stem, docString: docString, metadata: metadata.merging(["file": stem]) { a, _ in a }).write(to: path)
                } else {
                    try graph.writeTorchScript(to: path.path)
                }
                manifest.files.append(.init(path: name, inputs: inputs.map(describe), outputs: outputs.map(describe)))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: folder.appendingPathComponent("export.json"))
        return manifest
    }

    /// Each graph's file stem, graph, inputs, outputs and description.
    static func graphs(_ module: Module) throws -> [(String, ONNXGraph, [ONNXValueInfo], [ONNXValueInfo], String)] {
        let wasTraining = module.isTraining
        module.eval()
        defer { if wasTraining { module.train() } }
        if let clip = module as? CLIP {
            return try zip(clip.modalities, clip.towers).map { modality, tower in
                guard let model = tower as? any ONNXModel else {
                    throw MultimodalError.notExportable(module: String(describing: Swift.type(of: tower)), path: "towers.\(modality)",
                                                        reason: "it does not describe its inputs (ONNXModel), so no graph can start from it")
                }
                let outputs = model.onnxOutputs.map { ONNXValueInfo("embeddings", $0.dtype, $0.shape) }
                let graph = ONNXGraph()
                let names = model.onnxInputs.map { graph.input($0) }
                let z = try graph.emit(model, names, prefix: "towers.\(modality)")[0]
                graph.output(graph.l2Normalized(z, prefix: "normalize"), outputs[0])
                return (modality, graph, model.onnxInputs, outputs, "Lab CLIP tower '\(modality)': L2-normalized embeddings")
            }
        }
        guard let model = module as? any ONNXModel else {
            throw MultimodalError.notExportable(module: String(describing: Swift.type(of: module)), path: "",
                                                reason: "it does not describe its inputs (ONNXModel): export a module that does (an encoder, CLIP, EfficientNetLite) or call ONNXExport.model(_:inputs:outputs:name:) with them")
        }
        return [("model", try ONNXExport.graph(model, inputs: model.onnxInputs, outputs: model.onnxOutputs),
                 model.onnxInputs, model.onnxOutputs, String(describing: Swift.type(of: module)))]
    }

    /// The text input's length limit: a text encoder's position table.
    static func maxTokens(_ module: Module) -> Int? {
        switch module {
        case let text as TextEncoder: return text.maxLength
        case let clip as CLIP: return clip.towers.lazy.compactMap { ($0 as? TextEncoder)?.maxLength }.first
        case let vqa as VQAModel: return vqa.question.maxLength
        default: return nil
        }
    }

    /// The number of classes or answers the model's last dimension holds, for its labels.
    static func outputClasses(_ module: Module) -> Int? {
        guard let model = module as? any ONNXModel, let first = model.onnxOutputs.first,
              first.name == "logits", case .fixed(let n)? = first.shape.last else { return nil }
        return n
    }

    static func describe(_ info: ONNXValueInfo) -> Manifest.Value {
        Manifest.Value(name: info.name, dtype: info.dtype.description, shape: info.shape.map(\.description))
    }
}
