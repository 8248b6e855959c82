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
        var tensors: [Tensor] = []
        for (i, input) in inputs.enumerated() {
            switch input.dtype {
            case .int64:
                var values: [Int64] = []
                values.reserveCapacity(n * input.shape.reduce(1, *))
                for sample in samples { if case .int(let v) = sample[i] { values += v } }
                tensors.append(Tensor(values, shape: [n] + input.shape))
            default:
                var values: [Float] = []
                values.reserveCapacity(n * input.shape.reduce(1, *))
                for sample in samples { if case .float(let v) = sample[i] { values += v } }
                tensors.append(Tensor(values, shape: [n] + input.shape))
            }
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
