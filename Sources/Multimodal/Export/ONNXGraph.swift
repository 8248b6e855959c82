import Foundation
internal import SwiftProtobuf
import Torch

/// A dimension of an ONNX graph input or output: a fixed size, or a named one that each
/// inference chooses (`batch`, `tokens`).
public enum ONNXDim: Sendable, Equatable, CustomStringConvertible {
    case fixed(Int)
    case named(String)

    /// The batch dimension every export leaves free.
    public static let batch = ONNXDim.named("batch")

    public var description: String {
        switch self {
        case .fixed(let n): String(n)
        case .named(let name): name
        }
    }
}

/// A graph input or output: its name, element type and shape (ONNX's checker requires one
/// for every graph input and output).
public struct ONNXValueInfo: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [ONNXDim]

    public init(_ name: String, _ dtype: DType, _ shape: [ONNXDim]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }
}

/// An ONNX attribute of a node.
public enum ONNXAttribute: Sendable {
    case int(String, Int)
    case ints(String, [Int])
    case float(String, Float)
    case string(String, String)
}

/// An ONNX graph under construction (opset ``opset``): modules add nodes to it in their
/// ``ONNXExportable/emitONNX(_:_:prefix:)`` and their weights as initializers named by their
/// `stateDict()` keys, so an exported file names its tensors as PyTorch would.
public final class ONNXGraph {
    /// The default-domain opset the nodes are written for (LayerNormalization needs 17).
    public static let opset = 17

    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    var inputs: [Onnx_ValueInfoProto] = []
    var outputs: [Onnx_ValueInfoProto] = []
    /// The initializers' values by name (for the TorchScript writer).
    var tensors: [String: Tensor] = [:]
    /// The graph inputs' and outputs' names, in order.
    var inputNames: [String] = [], outputNames: [String] = []
    private var used: Set<String> = []
    private var counter = 0

    /// An empty graph.
    public init() {}

    /// A value name not used before, from `hint`.
    public func fresh(_ hint: String) -> String {
        var name = hint.isEmpty ? "v" : hint
        if used.contains(name) {
            repeat { counter += 1; name = "\(hint)_\(counter)" } while used.contains(name)
        }
        used.insert(name)
        return name
    }

    /// Declares a graph input and returns its value name.
    @discardableResult
    public func input(_ info: ONNXValueInfo) -> String {
        used.insert(info.name)
        inputs.append(Self.valueInfo(info))
        inputNames.append(info.name)
        return info.name
    }

    /// Declares `value` as a graph output named `info.name` (through an Identity when the names differ).
    public func output(_ value: String, _ info: ONNXValueInfo) {
        if value != info.name { add("Identity", [value], outputs: [info.name]) }
        outputs.append(Self.valueInfo(info))
        outputNames.append(info.name)
    }

    /// `tensor` (float32, int64, int32, int8, uint8 or bool; any shape) as an initializer named
    /// `name`, or a fresh variant of it. The values are copied now.
    public func initializer(_ tensor: Tensor, name: String) -> String {
        let name = fresh(name)
        let t = tensor.detached().contiguous()
        tensors[name] = t
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = t.shape.map(Int64.init)
        switch t.dtype {
        case .float32: proto.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue); proto.rawData = Self.bytes(t.asArray(Float.self))
        case .int64: proto.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue); proto.rawData = Self.bytes(t.asArray(Int64.self))
        case .int32: proto.dataType = Int32(Onnx_TensorProto.DataType.int32.rawValue); proto.rawData = Self.bytes(t.asArray(Int32.self))
        case .int8: proto.dataType = Int32(Onnx_TensorProto.DataType.int8.rawValue); proto.rawData = Self.bytes(t.asArray(Int8.self))
        case .uint8: proto.dataType = Int32(Onnx_TensorProto.DataType.uint8.rawValue); proto.rawData = Self.bytes(t.asArray(UInt8.self))
        case .bool: proto.dataType = Int32(Onnx_TensorProto.DataType.bool.rawValue); proto.rawData = Self.bytes(t.to(.uint8).asArray(UInt8.self))
        default: preconditionFailure("ONNXGraph.initializer: no ONNX element type for \(t.dtype)")
        }
        initializers.append(proto)
        return name
    }

    /// A constant int64 vector (shapes, axes, indices).
    public func ints(_ values: [Int], name: String = "const") -> String {
        initializer(Tensor(values.map(Int64.init), shape: [values.count]), name: name)
    }

    /// A constant float32 scalar.
    public func scalar(_ value: Float, name: String = "const") -> String {
        initializer(Tensor([value], shape: []), name: name)
    }

    /// Adds one node and returns the names of its outputs (`outputs`, or fresh ones from the op).
    @discardableResult
    public func add(_ op: String, _ inputs: [String], _ attributes: [ONNXAttribute] = [], outputs: [String]? = nil,
                    count: Int = 1, name: String? = nil) -> [String] {
        var node = Onnx_NodeProto()
        node.opType = op
        node.input = inputs
        let outs = outputs ?? (0..<count).map { _ in fresh((name ?? op.lowercased()) + "_out") }
        for o in outs { used.insert(o) }
        node.output = outs
        node.name = fresh("\(name ?? op)_node")
        node.attribute = attributes.map(Self.attribute)
        nodes.append(node)
        return outs
    }

    /// Adds a node with one output and returns it.
    public func op(_ op: String, _ inputs: String..., attributes: [ONNXAttribute] = [], name: String? = nil) -> String {
        add(op, inputs, attributes, name: name)[0]
    }

    /// The serialized `ModelProto` of this graph.
    public func model(name: String, docString: String = "", metadata: [String: String] = [:]) throws -> Data {
        var graph = Onnx_GraphProto()
        graph.name = name
        graph.node = nodes
        graph.initializer = initializers
        graph.input = inputs
        graph.output = outputs
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Int64(Self.opset)
        var model = Onnx_ModelProto()
        model.irVersion = 8
        model.producerName = "Lab"
        model.producerVersion = Runtime.libtorchVersion
        model.opsetImport = [opset]
        model.docString = docString
        model.graph = graph
        model.metadataProps = metadata.sorted { $0.key < $1.key }.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        return try model.serializedData()
    }

    // MARK: helpers

    static func bytes<T>(_ values: [T]) -> Data { values.withUnsafeBufferPointer { Data(buffer: $0) } }

    static func elementType(_ dtype: DType) -> Int32 {
        switch dtype {
        case .float32: Int32(Onnx_TensorProto.DataType.float.rawValue)
        case .int64: Int32(Onnx_TensorProto.DataType.int64.rawValue)
        case .int32: Int32(Onnx_TensorProto.DataType.int32.rawValue)
        case .bool: Int32(Onnx_TensorProto.DataType.bool.rawValue)
        case .int8: Int32(Onnx_TensorProto.DataType.int8.rawValue)
        case .uint8: Int32(Onnx_TensorProto.DataType.uint8.rawValue)
        default: preconditionFailure("ONNXGraph: no ONNX element type for \(dtype)")
        }
    }

    static func valueInfo(_ info: ONNXValueInfo) -> Onnx_ValueInfoProto {
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = elementType(info.dtype)
        var shape = Onnx_TensorShapeProto()
        shape.dim = info.shape.map { dim in
            var d = Onnx_TensorShapeProto.Dimension()
            switch dim {
            case .fixed(let n): d.dimValue = Int64(n)
            case .named(let name): d.dimParam = name
            }
            return d
        }
        tensor.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        var value = Onnx_ValueInfoProto()
        value.name = info.name
        value.type = type
        return value
    }

    static func attribute(_ attribute: ONNXAttribute) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        switch attribute {
        case .int(let name, let v): a.name = name; a.type = .int; a.i = Int64(v)
        case .ints(let name, let v): a.name = name; a.type = .ints; a.ints = v.map(Int64.init)
        case .float(let name, let v): a.name = name; a.type = .float; a.f = v
        case .string(let name, let v): a.name = name; a.type = .string; a.s = Data(v.utf8)
        }
        return a
    }
}
