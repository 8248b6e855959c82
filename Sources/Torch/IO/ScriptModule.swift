import Foundation
internal import CTorch

/// A TorchScript module loaded from a `.pt` file (`torch.jit.save`'s, or ``TorchScript/save(source:buffers:to:)``'s),
/// run by libtorch's JIT on the CPU.
///
/// `forward` runs under `c10::InferenceMode`: no autograd graph is built and the results
/// are inference tensors (read them; do not train through them). A module is not
/// thread-safe for concurrent calls from several threads; `lab serve` calls each from its
/// one inference thread.
public final class ScriptModule: @unchecked Sendable {
    let handle: lt_script

    /// Loads `path` in evaluation mode; `optimize` freezes it and applies libtorch's
    /// `optimize_for_inference` (folds constants and batch norms, fuses where it can).
    /// - Throws: ``TorchError/operation(_:)`` with libtorch's message (no such file, not a
    ///   TorchScript archive).
    public init(contentsOf path: String, optimize: Bool = false) throws {
        Runtime.ensureConfigured()  // threads are set before libtorch's pools start
        var out: lt_script?
        try withError { statusCall(lt_script_load(path, optimize ? 1 : 0, &out)) }
        guard let out else { throw TorchError.operation("TorchScript module \(path) did not load") }
        handle = out
    }

    deinit { lt_script_free(handle) }

    /// Calls the module's `forward` with `inputs`; returns its tensor, or the tensors of the
    /// tuple it returns, in order.
    /// - Throws: ``TorchError/operation(_:)`` with libtorch's message (a wrong shape or dtype).
    public func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        let handles: [lt_tensor?] = inputs.map(\.handle)
        var outputs = [lt_tensor?](repeating: nil, count: 16)
        var count: Int64 = 0
        try withError {
            handles.withUnsafeBufferPointer { arguments in
                outputs.withUnsafeMutableBufferPointer { results in
                    statusCall(lt_script_forward(handle, arguments.baseAddress, Int64(inputs.count), results.baseAddress, 16, &count))
                }
            }
        }
        return outputs.prefix(Int(count)).map { Tensor(handle: $0!) }
    }
}
