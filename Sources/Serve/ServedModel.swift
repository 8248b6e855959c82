import Foundation
import Multimodal
import Torch

/// An exported model as `lab serve` serves it: a TorchScript export folder (`export.json`
/// and its `.pt` files, as `lab export --format torchscript` writes them), loaded into
/// libtorch's JIT, and what it can answer.
///
/// The endpoints follow from the files: an `images → embeddings` file embeds images, a
/// `tokens → embeddings` file embeds text, both together (a CLIP) classify zero-shot; an
/// `images → logits` file classifies into its labels; an `images, questions → logits`
/// file (a VQA model) answers questions.
public final class ServedModel: Sendable {
    public let folder: URL
    public let manifest: ModelExport.Manifest

    /// A model's image input: channels and size, and how pixels become it.
    struct ImageInput: Sendable {
        let channels: Int, height: Int, width: Int
        let preprocessing: ImagePreprocessing?
    }

    let image: ImageInput?
    let tokenizer: Tokenizer?
    /// Tokens per text: the manifest's limit (the position table), else 64.
    let textLength: Int
    let models: [BatchedModel]
    let imageEmbedder: Int?, textEmbedder: Int?, answerer: Int?, classifier: Int?

    /// Loads the export in `folder`.
    /// - Throws: ``ServeError`` (status 0: not a request's fault) naming what is missing or
    ///   not servable: no `export.json`, an export that is not TorchScript, a file whose
    ///   inputs no endpoint reads.
    public init(folder: URL, optimize: Bool = false) throws {
        self.folder = folder
        let manifestURL = folder.appendingPathComponent("export.json")
        guard let data = try? Data(contentsOf: manifestURL) else {
            throw ServeError(0, "\(manifestURL.path) does not exist: serve a folder written by `lab export RUN --format torchscript`, or a run (`lab serve RUN`)")
        }
        let manifest: ModelExport.Manifest
        do { manifest = try JSONDecoder().decode(ModelExport.Manifest.self, from: data) } catch {
            throw ServeError(0, "\(manifestURL.path) is not an export manifest: \(error)")
        }
        guard manifest.format == ModelExport.Format.torchscript.rawValue else {
            throw ServeError(0, "\(folder.path) holds a \(manifest.format) export; lab serve runs TorchScript: `lab export RUN --format torchscript`")
        }
        self.manifest = manifest
        let tokenizer: Tokenizer?
        if let description = manifest.tokenizer {
            guard description.kind == "word" else {
                throw ServeError(0, "\(folder.path): lab serve tokenizes with the word tokenizer only; this export's is '\(description.kind)'")
            }
            do { tokenizer = try Tokenizer(vocabulary: description.vocabulary) } catch {
                throw ServeError(0, "\(manifestURL.path): its tokenizer vocabulary is unusable: \(error)")
            }
        } else {
            tokenizer = nil
        }
        let textLength = manifest.maxTokens ?? 64
        self.tokenizer = tokenizer
        self.textLength = textLength

        var models: [BatchedModel] = []
        var image: ImageInput?
        var imageEmbedder: Int?, textEmbedder: Int?, answerer: Int?, classifier: Int?
        for file in manifest.files {
            let inputs = file.inputs ?? [], outputs = file.outputs ?? []
            let names = inputs.map(\.name)
            func sampleShape(_ value: ModelExport.Manifest.Value) throws -> [Int] {
                try value.shape.dropFirst().map { dim in
                    if let n = Int(dim) { return n }
                    if dim == "tokens" { return textLength }
                    if dim == "questions" { return 1 }
                    throw ServeError(0, "\(file.path): input '\(value.name)' has a free dimension '\(dim)' that lab serve cannot fill")
                }
            }
            func imageInput(_ value: ModelExport.Manifest.Value) throws -> ImageInput {
                let shape = try sampleShape(value)
                guard shape.count == 3, shape[0] == 1 || shape[0] == 3 else {
                    throw ServeError(0, "\(file.path): input '\(value.name)' is \(value.shape); lab serve takes images of 1 or 3 channels (batch, C, H, W)")
                }
                return ImageInput(channels: shape[0], height: shape[1], width: shape[2], preprocessing: manifest.images)
            }
            let kind: String
            switch (names, outputs.first?.name) {
            case (["images"], "embeddings"): kind = "image"
            case (["tokens"], "embeddings"): kind = "text"
            case (["images"], "logits"): kind = "classifier"
            case (["images", "questions"], "logits"): kind = "answer"
            default:
                throw ServeError(0, "\(file.path) takes \(names.joined(separator: ", ")) and gives \(outputs.map(\.name).joined(separator: ", ")): "
                                 + "no lab serve endpoint reads such a model (it serves image/text embedders, image classifiers and VQA models)")
            }
            if names.contains("images") { image = try imageInput(inputs[0]) }
            if names.contains("tokens") || names.contains("questions"), tokenizer == nil {
                throw ServeError(0, "\(file.path) reads text, but \(manifestURL.path) describes no tokenizer (export from a run whose training data holds one)")
            }
            let module: ScriptModule
            do { module = try ScriptModule(contentsOf: folder.appendingPathComponent(file.path).path, optimize: optimize) } catch {
                throw ServeError(0, "\(folder.appendingPathComponent(file.path).path) does not load: \(error)")
            }
            let specs = try inputs.map { (dtype: $0.dtype == "int64" ? DType.int64 : DType.float32, shape: try sampleShape($0)) }
            models.append(BatchedModel(name: kind, module: module, inputs: specs))
            switch kind {
            case "image": imageEmbedder = models.count - 1
            case "text": textEmbedder = models.count - 1
            case "classifier": classifier = models.count - 1
            default: answerer = models.count - 1
            }
        }
        self.image = image
        self.models = models
        self.imageEmbedder = imageEmbedder
        self.textEmbedder = textEmbedder
        self.answerer = answerer
        self.classifier = classifier
    }

    /// The endpoints this model answers, besides `/health`, `/metrics`, `/v1/model` and `/openapi.json`.
    public var endpoints: [String] {
        var out: [String] = []
        if imageEmbedder != nil || textEmbedder != nil { out.append("/v1/embed") }
        if (imageEmbedder != nil && textEmbedder != nil) || classifier != nil { out.append("/v1/classify") }
        if answerer != nil { out.append("/v1/answer") }
        return out
    }

    /// `text`'s token ids, cut or padded with 0 to ``textLength``, and whether it was cut.
    func tokens(_ text: String) -> (ids: [Int64], truncated: Bool) {
        let ids = tokenizer!.encode(text)
        let kept = ids.prefix(textLength).map(Int64.init)
        return (kept + [Int64](repeating: 0, count: textLength - kept.count), ids.count > textLength)
    }
}
