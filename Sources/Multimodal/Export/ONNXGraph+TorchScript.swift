import Foundation
import Torch

/// The same graph as TorchScript source: one `forward` whose statements are the graph's
/// nodes in order, float and int8 initializers as buffers, small int64 initializers (axes,
/// shapes, indices) inlined as literals, and shapes as TorchScript int lists, so every
/// dimension the ONNX graph leaves free stays free. One graph, two formats: a module's ONNX
/// form is its TorchScript form too, and the tests check both against Lab.
extension ONNXGraph {
    /// What a value is while writing the source.
    enum ScriptValue {
        case tensor(String)     // an expression of type Tensor
        case ints([Int])        // a constant int list
        case intList(String)    // an expression of type List[int]
        case int(String)        // an expression of type int
    }

    /// The TorchScript source of `forward` and the buffers it reads.
    func torchScript() throws -> (source: String, buffers: [(name: String, tensor: Tensor)]) {
        var values: [String: ScriptValue] = [:]
        var buffers: [(name: String, tensor: Tensor)] = []
        var lines: [String] = []
        var counter = 0
        func fresh() -> String { counter += 1; return "v\(counter)" }
        for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
            if tensor.dtype == .int64 && tensor.count <= 16 {
                let v = tensor.asArray(Int64.self).map(Int.init)
                values[name] = tensor.rank == 0 ? .int(String(v[0])) : .ints(v)
            } else {
                let buffer = "b\(buffers.count)"
                buffers.append((buffer, tensor))
                values[name] = .tensor("self.\(buffer)")
            }
        }
        var parameters: [String] = []
        for input in inputNames {
            let p = "x\(parameters.count)"
            parameters.append(p)
            values[input] = .tensor(p)
        }
        func value(_ name: String) throws -> ScriptValue {
            guard let v = values[name] else { throw MultimodalError.notExportable(module: "TorchScript", path: name, reason: "a node reads a value no node wrote") }
            return v
        }
        func tensor(_ name: String) throws -> String {
            switch try value(name) {
            case .tensor(let e): return e
            case .ints(let v): return "torch.tensor(\(v))"
            case .int(let e): return "torch.tensor(\(e))"
            case .intList(let e): return "torch.tensor(\(e))"
            }
        }
        func list(_ name: String) throws -> String {
            switch try value(name) {
            case .ints(let v): return "\(v)"
            case .intList(let e): return e
            case .int(let e): return "[\(e)]"
            case .tensor: throw MultimodalError.notExportable(module: "TorchScript", path: name, reason: "a shape computed from tensor values has no TorchScript form here")
            }
        }
        func scalar(_ name: String) throws -> String {
            switch try value(name) {
            case .int(let e): return e
            case .ints(let v) where v.count == 1: return String(v[0])
            case .intList(let e): return "\(e)[0]"
            default: throw MultimodalError.notExportable(module: "TorchScript", path: name, reason: "expected one integer")
            }
        }
        func constants(_ name: String) throws -> [Int] {
            guard case .ints(let v) = try value(name) else {
                throw MultimodalError.notExportable(module: "TorchScript", path: name, reason: "expected constant integers")
            }
            return v
        }
        func bind(_ name: String, _ expression: String) {
            let v = fresh()
            lines.append("    \(v) = \(expression)")
            values[name] = .tensor(v)
        }
        func pyBool(_ b: Bool) -> String { b ? "True" : "False" }

        for node in nodes {
            var attributes: [String: Onnx_AttributeProto] = [:]
            for a in node.attribute { attributes[a.name] = a }
            func int(_ key: String, _ fallback: Int) -> Int { attributes[key].map { Int($0.i) } ?? fallback }
            func ints(_ key: String) -> [Int] { attributes[key]?.ints.map(Int.init) ?? [] }
            func float(_ key: String, _ fallback: Float) -> Float { attributes[key]?.f ?? fallback }
            let i = node.input, out = node.output
            func optional(_ k: Int) throws -> String { k < i.count && !i[k].isEmpty ? try tensor(i[k]) : "None" }
            switch node.opType {
            case "Identity": values[out[0]] = try value(i[0])
            case "Transpose": bind(out[0], "\(try tensor(i[0])).permute(\(ints("perm")))")
            case "MatMul": bind(out[0], "torch.matmul(\(try tensor(i[0])), \(try tensor(i[1])))")
            case "Add", "Sub", "Mul", "Div":
                let symbol = ["Add": "+", "Sub": "-", "Mul": "*", "Div": "/"][node.opType]!
                bind(out[0], "\(try tensor(i[0])) \(symbol) \(try tensor(i[1]))")
            case "Max": bind(out[0], "torch.maximum(\(try tensor(i[0])), \(try tensor(i[1])))")
            case "Erf", "Tanh", "Relu": bind(out[0], "torch.\(node.opType.lowercased())(\(try tensor(i[0])))")
            case "Clip": bind(out[0], "torch.clamp(\(try tensor(i[0])), \(try optional(1)), \(try optional(2)))")
            case "Conv":
                let kernel = ints("kernel_shape"), rank = kernel.count, pads = ints("pads")
                let begin = Array(pads.prefix(rank)), end = Array(pads.suffix(rank))
                var x = try tensor(i[0])
                var padding = begin
                if begin != end {
                    // torch's pad list runs from the last dimension: (left, right, top, bottom).
                    let torchPads = (0..<rank).reversed().flatMap { [begin[$0], end[$0]] }
                    x = "torch.constant_pad_nd(\(x), \(torchPads), 0.0)"
                    padding = Array(repeating: 0, count: rank)
                }
                bind(out[0], "torch.conv\(rank)d(\(x), \(try tensor(i[1])), \(try optional(2)), \(ints("strides")), \(padding), \(ints("dilations")), \(int("group", 1)))")
            case "MaxPool":
                let kernel = ints("kernel_shape"), pads = Array(ints("pads").prefix(kernel.count))
                bind(out[0], "torch.max_pool\(kernel.count)d(\(try tensor(i[0])), \(kernel), \(ints("strides")), \(pads.isEmpty ? Array(repeating: 0, count: kernel.count) : pads))")
            case "AveragePool":
                let kernel = ints("kernel_shape"), pads = Array(ints("pads").prefix(kernel.count))
                bind(out[0], "torch.avg_pool2d(\(try tensor(i[0])), \(kernel), \(ints("strides")), \(pads), False, \(pyBool(int("count_include_pad", 0) == 1)))")
            case "GlobalAveragePool": bind(out[0], "torch.adaptive_avg_pool2d(\(try tensor(i[0])), [1, 1])")
            case "Flatten":
                let axis = int("axis", 1)
                bind(out[0], axis == 1 ? "torch.flatten(\(try tensor(i[0])), 1)" : "torch.flatten(torch.flatten(\(try tensor(i[0])), 0, \(axis - 1)), 1)")
            case "LayerNormalization":
                let scale = try tensor(i[1])
                bind(out[0], "torch.layer_norm(\(try tensor(i[0])), \(scale).size(), \(scale), \(try optional(2)), \(float("epsilon", 1e-5)))")
            case "BatchNormalization":
                bind(out[0], "torch.batch_norm(\(try tensor(i[0])), \(try tensor(i[1])), \(try tensor(i[2])), \(try tensor(i[3])), \(try tensor(i[4])), False, 0.0, \(float("epsilon", 1e-5)), False)")
            case "Gather":
                let axis = int("axis", 0)
                switch (try value(i[0]), try value(i[1])) {
                case (.intList(let shape), .ints(let index)) where index.count == 1: values[out[0]] = .intList("[\(shape)[\(index[0])]]")
                case (_, .int(let index)): bind(out[0], "torch.select(\(try tensor(i[0])), \(axis), \(index))")
                default:
                    guard axis == 0 else { throw MultimodalError.notExportable(module: "TorchScript", path: node.name, reason: "Gather along axis \(axis)") }
                    bind(out[0], "torch.embedding(\(try tensor(i[0])), \(try tensor(i[1])))")
                }
            case "Shape": values[out[0]] = .intList("\(try tensor(i[0])).size()")
            case "Squeeze":
                if case .intList(let e) = try value(i[0]) { values[out[0]] = .int("\(e)[0]") }
                else { bind(out[0], try constants(i[1]).reduce(try tensor(i[0])) { "\($0).squeeze(\($1))" }) }
            case "Range": bind(out[0], "torch.arange(\(try scalar(i[0])), \(try scalar(i[1])), \(try scalar(i[2])))")
            case "Concat":
                let parts = try i.map { try value($0) }
                if parts.allSatisfy({ if case .tensor = $0 { false } else { true } }) {
                    values[out[0]] = .intList("(" + (try i.map { try list($0) }).joined(separator: " + ") + ")")
                } else {
                    bind(out[0], "torch.cat([\(try i.map { try tensor($0) }.joined(separator: ", "))], \(int("axis", 0)))")
                }
            case "Slice":
                let start = try constants(i[1])[0], end = try constants(i[2])[0]
                values[out[0]] = .intList("\(try list(i[0]))[\(start):\(end)]")
            case "Reshape", "Expand":
                let x = try tensor(i[0])
                var shape: String
                if case .ints(let v) = try value(i[1]) {
                    shape = "[" + v.enumerated().map { $1 == 0 && node.opType == "Reshape" ? "\(x).size(\($0))" : String($1) }.joined(separator: ", ") + "]"
                } else {
                    shape = try list(i[1])
                }
                bind(out[0], "\(x).\(node.opType == "Reshape" ? "reshape" : "expand")(\(shape))")
            case "Split":
                let parts = fresh()
                lines.append("    \(parts) = torch.split(\(try tensor(i[0])), \(try constants(i[1])), \(int("axis", 0)))")
                for (k, name) in out.enumerated() { values[name] = .tensor("\(parts)[\(k)]") }
            case "Softmax": bind(out[0], "torch.softmax(\(try tensor(i[0])), \(int("axis", -1)))")
            case "Where": bind(out[0], "torch.where(\(try tensor(i[0])), \(try tensor(i[1])), \(try tensor(i[2])))")
            case "Unsqueeze":
                let axes = try constants(i[1])
                let ordered = axes.allSatisfy { $0 >= 0 } ? axes.sorted() : axes
                bind(out[0], ordered.reduce(try tensor(i[0])) { "\($0).unsqueeze(\($1))" })
            case "Equal": bind(out[0], "torch.eq(\(try tensor(i[0])), \(try tensor(i[1])))")
            case "Not": bind(out[0], "torch.logical_not(\(try tensor(i[0])))")
            case "Cast":
                let method = [1: "float", 7: "long", 9: "bool", 3: "char", 6: "int"][int("to", 1)] ?? "float"
                bind(out[0], "\(try tensor(i[0])).\(method)()")
            case "ReduceSum": bind(out[0], "torch.sum(\(try tensor(i[0])), \(try constants(i[1])), \(pyBool(int("keepdims", 1) == 1)))")
            case "ReduceMean": bind(out[0], "torch.mean(\(try tensor(i[0])), \(ints("axes")), \(pyBool(int("keepdims", 1) == 1)))")
            case "ReduceL2": bind(out[0], "torch.norm(\(try tensor(i[0])), 2, \(ints("axes")), \(pyBool(int("keepdims", 1) == 1)))")
            case "DequantizeLinear":
                let q = try tensor(i[0]), scale = try tensor(i[1]), zero = try optional(2)
                let perAxis = tensors[i[1]].map { $0.rank == 1 && $0.count > 1 } ?? false
                let rank = tensors[i[0]]?.rank ?? 1
                let view = perAxis ? ".reshape(\([-1] + Array(repeating: 1, count: rank - 1)))" : ""
                let shifted = zero == "None" ? "\(q).float()" : "(\(q).float() - \(zero).float()\(view))"
                bind(out[0], "\(shifted) * \(scale)\(view)")
            case "QuantizeLinear":
                let zero = try optional(2)
                bind(out[0], "torch.clamp(torch.round(\(try tensor(i[0])) / \(try tensor(i[1])))\(zero == "None" ? "" : " + \(zero).float()"), -128.0, 127.0).char()")
            default:
                throw MultimodalError.notExportable(module: "TorchScript", path: node.name, reason: "the ONNX op \(node.opType) has no TorchScript form yet")
            }
        }
        let results = try outputNames.map { try tensor($0) }
        let source = "def forward(self, \(parameters.joined(separator: ", "))):\n" + lines.joined(separator: "\n")
            + "\n    return " + (results.count == 1 ? results[0] : "(" + results.joined(separator: ", ") + ")") + "\n"
        return (source, buffers)
    }

    /// Writes the graph as a TorchScript module (`torch.jit.load` runs it) to `path`.
    public func writeTorchScript(to path: String) throws {
        let (source, buffers) = try torchScript()
        do { try TorchScript.save(source: source, buffers: buffers, to: path) } catch {
            throw MultimodalError.notExportable(module: "TorchScript", path: path, reason: "libtorch rejected the generated source: \(error)")
        }
    }
}
