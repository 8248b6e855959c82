internal import CTorch

/// A CUDA event: a marker in a stream, for timing GPU work and ordering streams
/// (`torch.cuda.Event`). Host clocks do not time GPU work (kernels run after their launch
/// returns); two recorded events do:
///
/// ```swift
/// let start = try CUDAEvent(), end = try CUDAEvent()
/// try start.record()
/// let loss = model(x).sum()     // queued on the current stream
/// try end.record()
/// let ms = try start.elapsedMilliseconds(to: end)   // waits for `end`
/// ```
///
/// Throws ``TorchError/operation(_:)`` when the linked libtorch has no CUDA.
public final class CUDAEvent: @unchecked Sendable {
    private let handle: OpaquePointer
    /// Whether the event can be timed.
    public let timing: Bool

    /// A new event; `timing: false` makes a lighter one that only orders streams.
    public init(timing: Bool = true) throws {
        Runtime.ensureConfigured()
        var out: lt_event?
        try withError { statusCall(lt_cuda_event_new(timing ? 1 : 0, &out)) }
        handle = out!
        self.timing = timing
    }

    deinit { lt_cuda_event_free(handle) }

    /// Records the event on `stream` (default: the current stream of device 0): it completes
    /// when the work queued there before it has finished.
    public func record(on stream: CUDAStream? = nil) throws {
        let stream = try stream ?? CUDAStream.current(on: 0)
        try withError { statusCall(lt_cuda_event_record(handle, stream.id, Int32(stream.deviceIndex))) }
    }

    /// Makes `stream` wait for this event before running what is queued on it after this call.
    public func wait(on stream: CUDAStream) throws {
        try withError { statusCall(lt_cuda_event_wait(handle, stream.id, Int32(stream.deviceIndex))) }
    }

    /// Blocks the calling thread until the event has completed.
    public func synchronize() throws {
        try withError { statusCall(lt_cuda_event_synchronize(handle)) }
    }

    /// Whether the event has completed (does not wait).
    public func isComplete() throws -> Bool {
        var done: Int32 = 0
        try withError { statusCall(lt_cuda_event_query(handle, &done)) }
        return done != 0
    }

    /// Milliseconds of GPU time from this event to `end`, waiting for `end` to complete first.
    /// Both must have been recorded, and made with `timing: true`.
    public func elapsedMilliseconds(to end: CUDAEvent) throws -> Double {
        try end.synchronize()
        var ms = 0.0
        try withError { statusCall(lt_cuda_event_elapsed_ms(handle, end.handle, &ms)) }
        return ms
    }
}
