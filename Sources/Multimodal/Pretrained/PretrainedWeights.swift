import Foundation
import Torch

/// Reading a model folder's `model.safetensors` into a module built from its config, with an
/// error that names the first missing, mis-shaped or unexpected tensor: what ``BertModel``
/// and ``EfficientNetLite`` share.
enum PretrainedWeights {
    /// The tensors of `folder/model.safetensors`.
    /// - Throws: ``MultimodalError/missingFile(path:hint:)`` with `hint` when the file is absent,
    ///   ``MultimodalError/corruptFile(path:reason:)`` when it cannot be read.
    static func read(folder: String, hint: String) throws -> (path: String, tensors: [String: Tensor]) {
        let path = folder + "/model.safetensors"
        guard FileManager.default.fileExists(atPath: path) else { throw MultimodalError.missingFile(path: path, hint: hint) }
        do { return (path, try Safetensors.load(path).tensors) } catch {
            throw MultimodalError.corruptFile(path: path, reason: "\(error)")
        }
    }

    /// Copies `tensors` into `model` after checking them against its `stateDict()`, in key order.
    /// - Parameters:
    ///   - path: the file the tensors came from, for the error.
    ///   - needs: who needs a missing tensor ("a 6-layer BERT").
    ///   - shapedBy: what gives a tensor its expected shape ("config.json").
    ///   - lacks: what does not have an unexpected tensor ("a BERT encoder").
    /// - Throws: ``MultimodalError/corruptFile(path:reason:)`` naming the tensor.
    static func load(_ tensors: [String: Tensor], into model: Module, path: String, needs: String, shapedBy: String,
                     lacks: String) throws {
        let expected = model.stateDict()
        for (key, tensor) in expected.sorted(by: { $0.key < $1.key }) {
            guard let found = tensors[key] else {
                throw MultimodalError.corruptFile(path: path, reason: "it has no tensor '\(key)', which \(needs) needs")
            }
            guard found.shape == tensor.shape else {
                throw MultimodalError.corruptFile(path: path, reason: "'\(key)' is \(found.shape), but \(shapedBy) makes it \(tensor.shape)")
            }
        }
        if let extra = tensors.keys.sorted().first(where: { expected[$0] == nil }) {
            throw MultimodalError.corruptFile(path: path, reason: "it has a tensor '\(extra)' that \(lacks) does not have (another architecture?)")
        }
        do { try model.loadStateDict(tensors) } catch { throw MultimodalError.corruptFile(path: path, reason: "\(error)") }
    }
}
