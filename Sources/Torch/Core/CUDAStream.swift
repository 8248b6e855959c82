internal import CTorch

/// A CUDA stream: a queue of kernels on one GPU that runs in order, concurrently with other
/// streams (`torch.cuda.Stream`). Work goes to the current stream of its device, which is the
/// default stream until ``withCUDAStream(_:_:)`` makes another one current.
///
/// Streams come from libtorch's pool and are never destroyed, as in PyTorch. Every call
/// throws ``TorchError/operation(_:)`` when the linked libtorch has no CUDA or the device
/// does not exist; the message says which and what to do.
public struct CUDAStream: Hashable, Sendable, CustomStringConvertible {
    /// libtorch's stream id (`c10::StreamId`); 0 is the default stream.
    public let id: Int64
    /// The CUDA device the stream belongs to.
    public let deviceIndex: Int

    init(id: Int64, deviceIndex: Int) {
        self.id = id
        self.deviceIndex = deviceIndex
    }

    /// The current stream of CUDA device `index` on this thread (`torch.cuda.current_stream()`).
    public static func current(on index: Int = 0) throws -> CUDAStream {
        Runtime.ensureConfigured()
        var id: Int64 = 0
        try withError { statusCall(lt_cuda_stream_current(Int32(index), &id)) }
        return CUDAStream(id: id, deviceIndex: index)
    }

    /// A stream from the pool of CUDA device `index` (`torch.cuda.Stream(priority=…)`).
    public static func make(on index: Int = 0, highPriority: Bool = false) throws -> CUDAStream {
        Runtime.ensureConfigured()
        var id: Int64 = 0
        try withError { statusCall(lt_cuda_stream_new(Int32(index), highPriority ? 1 : 0, &id)) }
        return CUDAStream(id: id, deviceIndex: index)
    }

    /// Waits until every kernel queued on this stream has finished.
    public func synchronize() throws {
        try withError { statusCall(lt_cuda_stream_synchronize(id, Int32(deviceIndex))) }
    }

    /// Whether every kernel queued on this stream has finished (does not wait).
    public func isComplete() throws -> Bool {
        var done: Int32 = 0
        try withError { statusCall(lt_cuda_stream_query(id, Int32(deviceIndex), &done)) }
        return done != 0
    }

    /// The device this stream runs on.
    public var device: Device { .cuda(deviceIndex) }

    public var description: String { "CUDAStream(\(id) on cuda:\(deviceIndex))" }
}

/// Runs `body` with `stream` as the current stream of its device, as `with torch.cuda.stream(s):`,
/// and restores the previous one after. Kernels that `body` launches on that device go to
/// `stream`; order it against other streams with ``CUDAEvent``.
public func withCUDAStream<R>(_ stream: CUDAStream, _ body: () throws -> R) throws -> R {
    Runtime.ensureConfigured()
    var previous: Int64 = 0
    try withError { statusCall(lt_cuda_stream_exchange(stream.id, Int32(stream.deviceIndex), &previous)) }
    defer {
        var ignored: Int64 = 0
        statusCall(lt_cuda_stream_exchange(previous, Int32(stream.deviceIndex), &ignored))
    }
    return try body()
}
