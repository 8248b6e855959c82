import Foundation
import Torch

/// A module that can write its forward pass (in evaluation mode) into an ``ONNXGraph``.
///
/// Lab's modules describe their own graphs, op for op what their `callAsFunction` computes
/// in evaluation mode, with their weights as initializers under their `stateDict()` keys.
/// A module without a conformance makes ``ONNXExport`` fail with
/// ``MultimodalError/notExportable(module:path:reason:)`` naming it and where it sits.
public protocol ONNXExportable: Module {
    /// Adds this module's forward to `graph`.
    /// - Parameters:
    ///   - inputs: the value names of the forward's inputs, in its parameter order.
    ///   - prefix: this module's `stateDict()` prefix (`"layers.0.selfAttn"`), "" at the top.
    /// - Returns: the value names of its outputs.
    func emitONNX(_ graph: ONNXGraph, _ inputs: [String], prefix: String) throws -> [String]
}

/// A module that can be exported on its own: it names the inputs its forward takes (with a
/// free batch dimension) and the outputs it returns.
public protocol ONNXModel: ONNXExportable {
    /// The graph's inputs, in the forward's order.
    var onnxInputs: [ONNXValueInfo] { get }
    /// The graph's outputs.
    var onnxOutputs: [ONNXValueInfo] { get }
}

extension ONNXGraph {
    /// Emits `module` (any module; one without an ``ONNXExportable`` conformance throws).
    public func emit(_ module: Module, _ inputs: [String], prefix: String) throws -> [String] {
        guard let exportable = module as? ONNXExportable else {
            throw MultimodalError.notExportable(module: String(describing: type(of: module)), path: prefix,
                                                reason: "it has no ONNX conformance (ONNXExportable); the modules Lab exports are listed in ARCHITECTURE.md, \"Export\"")
        }
        return try exportable.emitONNX(self, inputs, prefix: prefix)
    }

    /// Emits `module` on one input and returns its one output.
    public func emit(_ module: Module, _ input: String, prefix: String) throws -> String {
        try emit(module, [input], prefix: prefix)[0]
    }

    /// `prefix.name`, or `name` at the top.
    public func key(_ prefix: String, _ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }

    /// x·Wᵀ + b for x of any rank ≥ 1; W (out, in) is stored as it is in the state dict.
    public func linear(_ x: String, weight: Tensor, bias: Tensor?, prefix: String, weightName: String = "weight") -> String {
        let w = initializer(weight, name: key(prefix, weightName))
        let wt = op("Transpose", w, attributes: [.ints("perm", [1, 0])], name: key(prefix, "transpose"))
        let y = op("MatMul", x, wt, name: key(prefix, "matmul"))
        guard let bias else { return y }
        return op("Add", y, initializer(bias, name: key(prefix, "bias")), name: key(prefix, "add"))
    }

    /// Exact GELU: x · ½ (1 + erf(x / √2)) (opset 17 has no Gelu).
    public func gelu(_ x: String, prefix: String) -> String {
        let scaled = op("Div", x, scalar(Float(2).squareRoot(), name: key(prefix, "sqrt2")))
        let one = op("Add", op("Erf", scaled), scalar(1, name: key(prefix, "one")))
        return op("Mul", op("Mul", x, one), scalar(0.5, name: key(prefix, "half")))
    }

    /// GELU's tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
    public func geluTanh(_ x: String, prefix: String) -> String {
        let cube = op("Mul", op("Mul", x, x), x)
        let inner = op("Add", x, op("Mul", cube, scalar(0.044715, name: key(prefix, "c"))))
        let t = op("Tanh", op("Mul", inner, scalar(Float((2 / Double.pi).squareRoot()), name: key(prefix, "k"))))
        return op("Mul", op("Mul", x, op("Add", t, scalar(1, name: key(prefix, "one")))), scalar(0.5, name: key(prefix, "half")))
    }

    /// x / max(‖x‖₂, eps) along the last axis (`Tensor.normalized(dim: -1)`).
    public func l2Normalized(_ x: String, eps: Float = 1e-12, prefix: String) -> String {
        let norm = op("ReduceL2", x, attributes: [.ints("axes", [-1]), .int("keepdims", 1)], name: key(prefix, "norm"))
        return op("Div", x, op("Max", norm, scalar(eps, name: key(prefix, "eps"))), name: key(prefix, "normalize"))
    }

    /// Scaled dot-product attention over projected (B, T, E) queries and (B, S, E) keys and
    /// values, `heads` heads of `E / heads`: softmax(q·kᵀ/√d + mask)·v, heads merged back.
    /// `paddingMask` is a (B, S) bool value (true: ignore the key); `additiveMask` a value
    /// broadcast onto the (B, H, T, S) scores. Returns the merged (B, T, E) values and the
    /// (B, H, T, S) weights.
    public func attention(query: String, key k: String, value: String, heads: Int, width: Int,
                          paddingMask: String? = nil, additiveMask: String? = nil, prefix: String) -> (merged: String, weights: String) {
        let d = width / heads
        let shape = ints([0, 0, heads, d], name: key(prefix, "heads"))
        func split(_ x: String, _ perm: [Int]) -> String { op("Transpose", op("Reshape", x, shape), attributes: [.ints("perm", perm)]) }
        let q = split(query, [0, 2, 1, 3]), kt = split(k, [0, 2, 3, 1]), v = split(value, [0, 2, 1, 3])   // (B,H,T,d) (B,H,d,S) (B,H,S,d)
        var scores = op("Mul", op("MatMul", q, kt), scalar(Float(1 / Double(d).squareRoot()), name: key(prefix, "scale")))
        if let paddingMask {
            let negative = op("Where", paddingMask, scalar(-.infinity, name: key(prefix, "neg_inf")), scalar(0, name: key(prefix, "zero")))
            scores = op("Add", scores, op("Unsqueeze", negative, ints([1, 2], name: key(prefix, "mask_axes"))))   // (B, 1, 1, S)
        }
        if let additiveMask { scores = op("Add", scores, additiveMask) }
        let weights = op("Softmax", scores, attributes: [.int("axis", -1)])
        let attended = op("Transpose", op("MatMul", weights, v), attributes: [.ints("perm", [0, 2, 1, 3])])
        return (op("Reshape", attended, ints([0, 0, width], name: key(prefix, "merge"))), weights)
    }

    /// The size of dimension `axis` of `x`, as a 1-element int64 vector.
    public func size(_ x: String, axis: Int, prefix: String) -> String {
        op("Gather", op("Shape", x), ints([axis], name: key(prefix, "axis")), attributes: [.int("axis", 0)])
    }
}

/// Writes ONNX files of modules.
public enum ONNXExport {
    /// The serialized ONNX model of `module`'s forward in evaluation mode (the mode is
    /// restored after), from `inputs` to `outputs`.
    /// - Throws: ``MultimodalError/notExportable(module:path:reason:)`` naming the first module
    ///   that cannot be written.
    public static func model(_ module: Module, inputs: [ONNXValueInfo], outputs: [ONNXValueInfo],
                             name: String, docString: String = "", metadata: [String: String] = [:]) throws -> Data {
        try graph(module, inputs: inputs, outputs: outputs).model(name: name, docString: docString, metadata: metadata)
    }

    /// The graph of `module`'s forward in evaluation mode (the mode is restored after), from
    /// `inputs` to `outputs`: write it as ONNX (``ONNXGraph/model(name:docString:metadata:)``)
    /// or TorchScript (``ONNXGraph/writeTorchScript(to:)``).
    public static func graph(_ module: Module, inputs: [ONNXValueInfo], outputs: [ONNXValueInfo]) throws -> ONNXGraph {
        let graph = ONNXGraph()
        let wasTraining = module.isTraining
        module.eval()
        defer { if wasTraining { module.train() } }
        let names = inputs.map { graph.input($0) }
        let values = try graph.emit(module, names, prefix: "")
        guard values.count == outputs.count else {
            throw MultimodalError.notExportable(module: String(describing: type(of: module)), path: "",
                                                reason: "its forward gives \(values.count) outputs, \(outputs.count) were named")
        }
        for (value, info) in zip(values, outputs) { graph.output(value, info) }
        return graph
    }

    /// The serialized ONNX model of a module that describes its own inputs and outputs.
    public static func model(_ module: any ONNXModel, name: String, docString: String = "",
                             metadata: [String: String] = [:]) throws -> Data {
        try model(module, inputs: module.onnxInputs, outputs: module.onnxOutputs, name: name, docString: docString, metadata: metadata)
    }
}
