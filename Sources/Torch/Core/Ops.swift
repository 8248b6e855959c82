internal import CTorch
import Foundation

/// A value passed to, or returned by, a boxed ATen operator call.
public enum OpValue {
    /// A defined tensor argument or result.
    case tensor(Tensor)
    /// An optional tensor argument; `nil` is passed as None.
    case optionalTensor(Tensor?)
    /// An `int` argument or result.
    case int(Int)
    /// A `float` argument or result.
    case double(Double)
    /// A `bool` argument or result.
    case bool(Bool)
    /// A `str` argument, such as an `einsum` equation.
    case string(String)
    /// An `int[]` argument, such as a shape or a list of dimensions.
    case ints([Int])
    /// A `float[]` argument.
    case doubles([Double])
    /// A `Tensor[]` argument or result.
    case tensors([Tensor])
    /// Python's None: an omitted optional argument, or a result that is None.
    case none
    /// An operator object that is neither a tensor nor a plain value (a TorchBind class such
    /// as `quantized::linear_prepack`'s packed weights): passed back to the ops that take it.
    case object(OpObject)
    /// A result of a type this bridge does not convert.
    case other
}

/// An operator value held by libtorch that Swift only passes along (packed weights, say);
/// freed when the last reference goes.
public final class OpObject: @unchecked Sendable {
    let handle: lt_object
    init(handle: lt_object) { self.handle = handle }
    deinit { lt_object_free(handle) }
}

/// The results of a boxed call.
public struct OpResults {
    /// The operator's results, in schema order.
    public let values: [OpValue]
    /// The i-th result as a tensor (an undefined tensor, after a recorded failure).
    public func tensor(_ i: Int) -> Tensor {
        if i < values.count, case .tensor(let t) = values[i] { return t }
        return Tensor(handle: lt_undefined())
    }
    /// The i-th result as a list of tensors (empty when it is not one).
    public func tensors(_ i: Int) -> [Tensor] {
        if i < values.count, case .tensors(let t) = values[i] { return t }
        return []
    }
    /// The i-th result as an integer (0 when it is not one).
    public func int(_ i: Int) -> Int {
        if i < values.count, case .int(let v) = values[i] { return v }
        return 0
    }
    /// The i-th result as a double (NaN when it is not one).
    public func double(_ i: Int) -> Double {
        if i < values.count, case .double(let v) = values[i] { return v }
        return .nan
    }
    /// The i-th result as an operator object, or nil (after a recorded failure).
    public func object(_ i: Int) -> OpObject? {
        if i < values.count, case .object(let o) = values[i] { return o }
        return nil
    }
    /// The i-th result as a Bool; an int result counts as true when nonzero (false when it is neither).
    public func bool(_ i: Int) -> Bool {
        if i < values.count, case .bool(let v) = values[i] { return v }
        if i < values.count, case .int(let v) = values[i] { return v != 0 }
        return false
    }
}

/// The generic path to every ATen operator, through the c10 dispatcher's boxed calling
/// convention: the long tail of ops that have no hand-written entry in the shim.
/// Arguments are positional; missing trailing arguments take the schema's defaults.
///
/// ```swift
/// let r = Ops.call("aten::topk", [.tensor(x), .int(3)])   // values: r.tensor(0), indices: r.tensor(1)
/// ```
/// Costs about a microsecond more per call than a hand-written op (see `make bench`).
public enum Ops {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [String: lt_op] = [:]

    /// The operator handle for `name` ("aten::topk") and `overload` ("" for the default).
    static func find(_ name: String, overload: String) -> lt_op? {
        let key = overload.isEmpty ? name : name + "." + overload
        lock.lock()
        defer { lock.unlock() }
        if let op = cache[key] { return op }
        var op: lt_op?
        if lt_op_find(name, overload, &op) != 0 { return nil }
        cache[key] = op
        return op
    }

    /// The schema of an operator as torch prints it, e.g. for `aten::topk`.
    public static func schema(_ name: String, overload: String = "") -> String? {
        guard let op = find(name, overload: overload) else { return nil }
        var text: UnsafeMutablePointer<CChar>?
        guard lt_op_schema(op, &text) == 0, let text else { return nil }
        defer { free(text) }
        return String(cString: text)
    }

    /// Calls an ATen operator by name. A failure (unknown operator, wrong arguments,
    /// torch's own checks) is reported like any other failing op.
    @discardableResult
    public static func call(_ name: String, overload: String = "", _ arguments: [OpValue]) -> OpResults {
        Runtime.ensureConfigured()
        if lt_scope_failed() != 0 { return OpResults(values: []) }
        guard let op = find(name, overload: overload) else {
            reportFailure()
            return OpResults(values: [])
        }
        let stack = lt_stack_new()!
        defer { lt_stack_free(stack) }
        for argument in arguments {
            switch argument {
            case .tensor(let t): lt_stack_push_tensor(stack, t.handle)
            case .optionalTensor(let t): lt_stack_push_tensor(stack, t?.handle)
            case .int(let v): lt_stack_push_int(stack, Int64(v))
            case .double(let v): lt_stack_push_double(stack, v)
            case .bool(let v): lt_stack_push_bool(stack, v ? 1 : 0)
            case .string(let v): lt_stack_push_string(stack, v)
            case .ints(let v): v.map(Int64.init).withUnsafeBufferPointer { lt_stack_push_int_list(stack, $0.baseAddress, Int64(v.count)) }
            case .doubles(let v): v.withUnsafeBufferPointer { lt_stack_push_double_list(stack, $0.baseAddress, Int64(v.count)) }
            case .tensors(let ts):
                let handles: [lt_tensor?] = ts.map { $0.handle }
                handles.withUnsafeBufferPointer { lt_stack_push_tensor_list(stack, $0.baseAddress, Int64(ts.count)) }
            case .object(let o): lt_stack_push_object(stack, o.handle)
            case .none, .other: lt_stack_push_none(stack)
            }
        }
        if lt_op_call(op, stack) != 0 {
            reportFailure()
            return OpResults(values: [])
        }
        var results: [OpValue] = []
        for i in 0..<lt_stack_size(stack) {
            switch lt_stack_tag(stack, i) {
            case 0: results.append(.none)
            case 1: results.append(.tensor(Tensor(handle: lt_stack_tensor(stack, i))))
            case 2: results.append(.int(Int(lt_stack_int(stack, i))))
            case 3: results.append(.double(lt_stack_double(stack, i)))
            case 4: results.append(.bool(lt_stack_int(stack, i) != 0))
            case 5:
                let n = lt_stack_list_size(stack, i)
                results.append(.tensors((0..<n).map { Tensor(handle: lt_stack_list_tensor(stack, i, $0)) }))
            case 7: results.append(.object(OpObject(handle: lt_stack_object(stack, i))))
            default: results.append(.other)
            }
        }
        return OpResults(values: results)
    }
}
