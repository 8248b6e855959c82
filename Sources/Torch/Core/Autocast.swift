internal import CTorch
import Foundation

/// Runs `body` with autocast on `device` in `precision`, as `with torch.autocast(device_type,
/// dtype):`. Inside, operations that autocast lists (matrix products, linear layers,
/// convolutions, attention) cast their inputs to the lower precision and return tensors of
/// it; the rest run in `float32`. Weights stay `float32`; their gradients are `float32` too.
/// With `.float32` the body runs unchanged. Autocast is per thread, so `body` is synchronous;
/// scopes nest and the previous state is restored on the way out.
///
/// On the CPU `bfloat16` is the useful choice (`float16` is allowed, and slow). `float16`
/// training needs a ``GradScaler`` to keep small gradients from underflowing.
///
/// - Throws: ``TorchError/operation(_:)`` when autocast cannot run there (CUDA requested with
///   a libtorch that has none), or whatever `body` throws.
public func withAutocast<R>(_ precision: Precision, on device: Device = .cpu, _ body: () throws -> R) throws -> R {
    guard let dtype = precision.autocastType else { return try body() }
    Runtime.ensureConfigured()
    let deviceType: Int32 = device == .cpu ? 0 : 1
    var previous: Int64 = 0
    try withError { statusCall(lt_autocast_enter(deviceType, dtype.rawValue, 1, &previous)) }
    defer { statusCall(lt_autocast_exit(deviceType, previous)) }
    return try body()
}

/// Whether autocast is on for `device` on this thread (inside ``withAutocast(_:on:_:)``).
public func isAutocastEnabled(on device: Device = .cpu) -> Bool {
    lt_autocast_enabled(device == .cpu ? 0 : 1) != 0
}
