import Foundation

/// Storage for a tensor that belongs to a module's state but is not trained
/// (running statistics, fixed tables). It appears in `stateDict()`; it is not a parameter.
@propertyWrapper
public final class Buffer {
    /// The tensor held; assigning replaces it (the key in `stateDict()` stays the property's name).
    public var wrappedValue: Tensor
    /// Whether it is saved in `stateDict()` (PyTorch's `persistent`).
    public let persistent: Bool
    /// A buffer holding `wrappedValue`; `persistent: false` keeps it out of `stateDict()`.
    public init(wrappedValue: Tensor, persistent: Bool = true) {
        self.wrappedValue = wrappedValue
        self.persistent = persistent
    }
}

/// A building block of a network, as `torch.nn.Module`.
///
/// Parameters, buffers and submodules are found by reflection over stored properties:
/// a `Tensor` (or `Tensor?`, `[Tensor]`) property is a parameter, a `@Buffer` property a
/// buffer, a `Module` (or `Module?`, `[Module]`) property a submodule. Their keys are the
/// property names in snake_case joined by dots (`selfAttn.inProjWeight` →
/// `self_attn.in_proj_weight`), which are the names PyTorch's `state_dict()` uses for the
/// same layers. Parameters are updated in place, so a module's tensors keep their identity.
open class Module {
    /// Training mode (dropout active) or evaluation mode. Set with `train()` / `eval()`.
    public private(set) var isTraining = true

    /// A module in training mode with no parameters of its own; subclasses add stored properties.
    public init() {}

    /// Switches this module and every submodule to training mode.
    public func train(_ on: Bool = true) {
        isTraining = on
        for (_, child) in namedChildren() { child.train(on) }
    }
    /// Switches this module and every submodule to evaluation mode.
    public func eval() { train(false) }

    /// The direct submodules with their keys. Reflection by default; override to name children otherwise.
    open func namedChildren() -> [(String, Module)] { reflect().children }

    /// The direct parameters with their keys.
    open func namedDirectParameters() -> [(String, Tensor)] { reflect().parameters }

    /// The direct buffers with their keys (persistent ones only when `persistentOnly`).
    open func namedDirectBuffers(persistentOnly: Bool = false) -> [(String, Tensor)] {
        reflect().buffers.filter { !persistentOnly || $0.persistent }.map { ($0.name, $0.tensor) }
    }

    /// Every parameter of this module and its submodules, with dotted keys, each tensor once.
    public func namedParameters() -> [(String, Tensor)] {
        var seen = Set<ObjectIdentifier>()
        var result: [(String, Tensor)] = []
        visit(prefix: "") { prefix, module in
            for (name, p) in module.namedDirectParameters() where seen.insert(ObjectIdentifier(p)).inserted {
                result.append((prefix + name, p))
            }
        }
        return result
    }

    /// Every parameter, in registration order.
    public func parameters() -> [Tensor] { namedParameters().map(\.1) }

    /// The parameters that require gradients (what an optimizer should update).
    public func trainableParameters() -> [Tensor] { parameters().filter(\.requiresGrad) }

    /// Every buffer of this module and its submodules, with dotted keys.
    public func namedBuffers(persistentOnly: Bool = false) -> [(String, Tensor)] {
        var result: [(String, Tensor)] = []
        visit(prefix: "") { prefix, module in
            for (name, b) in module.namedDirectBuffers(persistentOnly: persistentOnly) { result.append((prefix + name, b)) }
        }
        return result
    }

    /// This module and every submodule, depth first, with dotted keys ("" for self).
    public func namedModules() -> [(String, Module)] {
        var result: [(String, Module)] = []
        visit(prefix: "") { prefix, module in result.append((prefix.isEmpty ? "" : String(prefix.dropLast()), module)) }
        return result
    }

    /// Parameters and persistent buffers by key, as PyTorch's `state_dict()`.
    /// The tensors are the module's own (not copies): detach or clone to keep a snapshot.
    public func stateDict() -> [String: Tensor] {
        var dict: [String: Tensor] = [:]
        for (k, v) in namedParameters() { dict[k] = v }
        for (k, v) in namedBuffers(persistentOnly: true) { dict[k] = v }
        return dict
    }

    /// The ordered keys of `stateDict()`.
    public func stateDictKeys() -> [String] {
        namedParameters().map(\.0) + namedBuffers(persistentOnly: true).map(\.0)
    }

    /// Copies `dict`'s tensors into this module's parameters and buffers, in place.
    ///
    /// - Parameter dict: tensors keyed as ``stateDict()`` keys them.
    /// - Parameter strict: when true, the keys must match exactly.
    /// - Throws: ``TorchError/stateDict(_:)`` naming missing or unexpected keys, or a shape
    ///   that differs; nothing is copied then.
    public func loadStateDict(_ dict: [String: Tensor], strict: Bool = true) throws {
        let own = namedParameters() + namedBuffers(persistentOnly: true)
        let ownKeys = Set(own.map(\.0))
        if strict {
            let missing = own.map(\.0).filter { dict[$0] == nil }
            let unexpected = dict.keys.filter { !ownKeys.contains($0) }.sorted()
            if !missing.isEmpty || !unexpected.isEmpty {
                var parts: [String] = []
                if !missing.isEmpty { parts.append("missing keys \(missing)") }
                if !unexpected.isEmpty { parts.append("unexpected keys \(unexpected)") }
                throw TorchError.stateDict(parts.joined(separator: "; ") + "; expected keys are \(own.map(\.0))")
            }
        }
        for (key, tensor) in own {
            guard let source = dict[key] else { continue }
            if source.shape != tensor.shape {
                throw TorchError.stateDict("'\(key)' has shape \(source.shape) in the file but \(tensor.shape) in the module")
            }
        }
        try withError {
            withNoGrad {
                for (key, tensor) in own { if let source = dict[key] { tensor.copy_(source) } }
            }
        }
    }

    /// Moves (or converts) every parameter and buffer in place.
    public func to(_ device: Device) {
        withNoGrad { for t in parameters() + namedBuffers().map(\.1) { t.setData(t.to(device)) } }
    }
    /// Converts every floating-point parameter and buffer to `dtype`, in place.
    public func to(_ dtype: DType) {
        withNoGrad {
            for t in parameters() + namedBuffers().map(\.1) where t.dtype.isFloatingPoint { t.setData(t.to(dtype)) }
        }
    }

    /// Total number of elements in the parameters (trainable ones only, if asked).
    public func parameterCount(trainableOnly: Bool = false) -> Int {
        (trainableOnly ? trainableParameters() : parameters()).reduce(0) { $0 + $1.count }
    }

    /// Marks every parameter as trainable or frozen.
    public func requiresGrad(_ on: Bool) { for p in parameters() { p.requiresGrad = on } }

    // MARK: reflection

    struct Reflected {
        var parameters: [(String, Tensor)] = []
        var buffers: [(name: String, tensor: Tensor, persistent: Bool)] = []
        var children: [(String, Module)] = []
    }

    func reflect() -> Reflected {
        var result = Reflected()
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror { mirrors.insert(m, at: 0); mirror = m.superclassMirror }
        for m in mirrors {
            for child in m.children {
                guard let label = child.label, label != "isTraining" else { continue }
                let value = child.value
                if let buffer = value as? Buffer {
                    result.buffers.append((Module.key(String(label.dropFirst())), buffer.wrappedValue, buffer.persistent))
                } else if let tensor = value as? Tensor {
                    result.parameters.append((Module.key(label), tensor))
                } else if let tensors = value as? [Tensor] {
                    for (i, t) in tensors.enumerated() { result.parameters.append(("\(Module.key(label)).\(i)", t)) }
                } else if let module = value as? Module {
                    result.children.append((Module.key(label), module))
                } else if let modules = value as? [Module] {
                    for (i, m) in modules.enumerated() { result.children.append(("\(Module.key(label)).\(i)", m)) }
                }
            }
        }
        return result
    }

    func visit(prefix: String, _ body: (String, Module) -> Void) {
        body(prefix, self)
        // A child named "" stands at its parent's key (a replaced `Linear`'s replacement).
        for (name, child) in namedChildren() { child.visit(prefix: name.isEmpty ? prefix : prefix + name + ".", body) }
    }

    /// camelCase → snake_case: the key PyTorch uses for the same attribute.
    static func key(_ name: String) -> String {
        var out = ""
        for ch in name {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }
}

/// A module that maps one tensor to one tensor, so that it can sit in a ``Sequential``.
public protocol Layer: Module {
    /// Maps `x` to the layer's output; the shapes are each layer's own contract.
    func callAsFunction(_ x: Tensor) -> Tensor
}

/// Layers applied in order. Keys are the positions, as in PyTorch (`0.weight`, `2.bias`).
public final class Sequential: Module, Layer {
    /// The layers, applied first to last.
    public let layers: [any Layer]

    /// Layers applied in the order of `layers`.
    public init(_ layers: [any Layer]) { self.layers = layers }
    /// Layers applied in the order given.
    public convenience init(_ layers: any Layer...) { self.init(layers) }

    /// The layers keyed by position ("0", "1", …), PyTorch's `Sequential` keys.
    public override func namedChildren() -> [(String, Module)] {
        layers.enumerated().map { (String($0.offset), $0.element as Module) }
    }

    /// Applies each layer to the previous one's output: x → layers[n−1](…layers[0](x)).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        layers.reduce(x) { $1($0) }
    }
}
