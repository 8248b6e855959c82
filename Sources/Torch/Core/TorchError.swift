internal import CTorch
import Foundation

/// Every error the `Torch` module reports. The wording of each message lives here.
public enum TorchError: Error, Equatable, CustomStringConvertible {
    /// A libtorch operation failed; the payload is torch's own message (no C++ backtrace).
    case operation(String)
    /// A safetensors file could not be read or written.
    case safetensors(path: String, reason: String)
    /// A state dictionary does not fit the module or optimizer it is loaded into.
    case stateDict(String)

    /// The message alone for `.operation`; the file path and reason for `.safetensors`; "state dict: …" for `.stateDict`.
    public var description: String {
        switch self {
        case .operation(let message): return message
        case .safetensors(let path, let reason): return "safetensors file '\(path)': \(reason)"
        case .stateDict(let message): return "state dict: \(message)"
        }
    }
}

/// Runs `body` and turns the first failing tensor operation inside it into a thrown
/// ``TorchError/operation(_:)`` carrying torch's message.
///
/// Tensor operations do not throw: outside `withError` a failing operation stops the
/// process with torch's message (as an out-of-bounds array index does). Inside it the
/// first failure is recorded, every later operation in the scope returns at once
/// without computing (an undefined tensor; `item()` gives NaN), and the error is
/// thrown when `body` returns. Scopes nest. libtorch's error state is per thread, so
/// `body` is synchronous.
///
/// ```swift
/// do {
///     let y = try withError { x.matmul(w) }   // shape mismatch → thrown, not a crash
/// } catch { print(error) }
/// ```
/// - Throws: ``TorchError/operation(_:)`` with torch's message, or whatever `body` throws.
public func withError<R>(_ body: () throws -> R) throws -> R {
    lt_scope_push()
    let result: R
    do {
        result = try body()
    } catch {
        if let message = lt_scope_pop() { free(message) }
        throw error
    }
    if let message = lt_scope_pop() {
        let text = String(cString: message)
        free(message)
        throw TorchError.operation(text)
    }
    return result
}

/// True inside a `withError` scope whose body has already seen a failing operation.
public var isErrorRecorded: Bool {
    lt_scope_failed() != 0
}

/// Called after a C call returned a non-zero status.

func reportFailure() {
    if lt_scope_depth() == 0 {
        let message = String(cString: lt_last_error())
        fatalError("Torch: \(message)\n(wrap the code in `try withError { … }` to handle this as a Swift error)")
    }
}

/// Records a failure detected on the Swift side (a bad argument) exactly as a torch error.

func raise(_ message: String) {
    _ = lt_report_error(message)
    reportFailure()
}
