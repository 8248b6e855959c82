import Foundation
import Torch

/// One sample's value for one model input, flattened in row-major order.
enum SampleValue: Sendable {
    case float([Float])
    case int([Int64])
}

/// A TorchScript module run on batches: samples are stacked along a new first dimension,
/// and each output is split back into one row per sample.
final class BatchedModel: @unchecked Sendable {
    /// What it is called in metrics and errors (`image`, `text`, `answer`, `classifier`).
    let name: String
    let module: ScriptModule
    /// Per input, its element type and one sample's shape (the model's shape without the batch).
    let inputs: [(dtype: DType, shape: [Int])]

    init(name: String, module: ScriptModule, inputs: [(dtype: DType, shape: [Int])]) {
        self.name = name
        self.module = module
        self.inputs = inputs
    }

    /// Runs `samples` (each one value per input) as one batch; per sample, per output, the
    /// output's row as floats. Called from the inference thread only.
    func run(_ samples: [[SampleValue]]) throws -> [[[Float]]] {
        let n = samples.count
        /// Input `i` of every sample, one after another, as a (n, shape…) tensor.
        func stacked<T: TensorElement>(_ i: Int, _ values: (SampleValue) -> [T]) -> Tensor {
            var flat: [T] = []
            flat.reserveCapacity(n * inputs[i].shape.reduce(1, *))
            for sample in samples { flat += values(sample[i]) }
            return Tensor(flat, shape: [n] + inputs[i].shape)
        }
        let tensors = inputs.indices.map { i in
            inputs[i].dtype == .int64
                ? stacked(i) { if case .int(let v) = $0 { v } else { [] } }
                : stacked(i) { if case .float(let v) = $0 { v } else { [Float]() } }
        }
        let outputs = try module.forward(tensors).map { $0.contiguous().to(.float32).asArray(Float.self) }
        return (0..<n).map { s in
            outputs.map { flat in
                let row = flat.count / n
                return Array(flat[(s * row)..<((s + 1) * row)])
            }
        }
    }
}
