import Foundation
internal import CTorch

/// Writes TorchScript modules that Python's `torch.jit.load` (and libtorch's) can run.
public enum TorchScript {
    /// Saves a module whose buffers are `buffers` (names must be Python identifiers, read as
    /// `self.NAME` in the source) and whose methods `source` defines (TorchScript, compiled
    /// here by libtorch's frontend), in evaluation mode, to `path`.
    /// - Throws: ``TorchError/operation(_:)`` with libtorch's message (a syntax or type error
    ///   in `source`, a file that cannot be written).
    public static func save(source: String, buffers: [(name: String, tensor: Tensor)], to path: String) throws {
        try withError {
            let names = buffers.map { strdup($0.name) }
            defer { names.forEach { free($0) } }
            let handles: [lt_tensor?] = buffers.map { $0.tensor.handle }
            names.map { UnsafePointer($0) }.withUnsafeBufferPointer { namePointers in
                handles.withUnsafeBufferPointer { tensorPointers in
                    statusCall(lt_script_save(source, namePointers.baseAddress, tensorPointers.baseAddress, Int64(buffers.count), path))
                }
            }
        }
    }
}
