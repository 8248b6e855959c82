import Foundation

/// Collects the tensors of a `Codable` value while it is encoded, and supplies them while it
/// is decoded, so that a struct mixing tensors and plain fields is stored as one JSON
/// document (the fields, with each tensor replaced by a reference) plus one safetensors
/// file (the tensors). Lab's cache stores step outputs this way.
///
/// ```swift
/// let archive = TensorArchive()
/// let encoder = JSONEncoder()
/// encoder.userInfo[.tensorArchive] = archive
/// let json = try encoder.encode(value)          // archive.tensors now holds the tensors
/// ```
public final class TensorArchive: @unchecked Sendable {
    /// The tensors by reference name (their coding path, e.g. "value.weights.0.bias").
    public private(set) var tensors: [String: Tensor]

    /// An archive holding `tensors`: empty for encoding, or a loaded safetensors file's tensors for decoding.
    public init(tensors: [String: Tensor] = [:]) { self.tensors = tensors }

    /// Adds `tensor` under a name made from where it sits in the encoded value (its coding
    /// path, e.g. `value.weights.layers.0.bias`), so the same value always gives the same
    /// names, whatever order its dictionaries are visited in. Two paths that join to the
    /// same text (a key holding a dot) get `#2`, `#3`, … in encoding order.
    func add(_ tensor: Tensor, at path: [any CodingKey]) -> String {
        let base = path.isEmpty ? "tensor" : path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        var name = base, n = 1
        while tensors[name] != nil { n += 1; name = "\(base)#\(n)" }
        tensors[name] = tensor
        return name
    }
}

extension CodingUserInfoKey {
    /// Where a ``TensorArchive`` goes in an encoder's or decoder's `userInfo`.
    public static let tensorArchive = CodingUserInfoKey(rawValue: "lab.tensorArchive")!
}

/// A tensor encodes as `{"tensor": "<reference>"}` into the ``TensorArchive`` found in the
/// coder's `userInfo`; without one, encoding fails with an error that says so.
extension Tensor: Codable {
    private enum Keys: String, CodingKey { case tensor }

    /// Encodes the tensor (detached from autograd) into the archive and writes its reference name.
    /// - Throws: `EncodingError.invalidValue` when the encoder's `userInfo` has no ``TensorArchive``.
    public func encode(to encoder: any Encoder) throws {
        guard let archive = encoder.userInfo[.tensorArchive] as? TensorArchive else {
            throw EncodingError.invalidValue(self, .init(codingPath: encoder.codingPath,
                debugDescription: "a Tensor can only be encoded with a TensorArchive in the encoder's userInfo[.tensorArchive]"))
        }
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(archive.add(detached(), at: encoder.codingPath), forKey: .tensor)
    }

    /// Decodes a reference name and takes that tensor from the archive.
    /// - Throws: `DecodingError.dataCorrupted` when the decoder's `userInfo` has no ``TensorArchive``
    /// or the archive holds no tensor of that name.
    public convenience init(from decoder: any Decoder) throws {
        guard let archive = decoder.userInfo[.tensorArchive] as? TensorArchive else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "a Tensor can only be decoded with a TensorArchive in the decoder's userInfo[.tensorArchive]"))
        }
        let container = try decoder.container(keyedBy: Keys.self)
        let name = try container.decode(String.self, forKey: .tensor)
        guard let tensor = archive.tensors[name] else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "tensor reference '\(name)' is not in the archive"))
        }
        self.init(handle: lt_to_handle_copy(tensor))
    }
}
