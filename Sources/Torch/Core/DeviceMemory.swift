/// Bytes held by libtorch's caching allocator on one GPU (`torch.cuda.memory_allocated()`,
/// `max_memory_allocated()`, `memory_reserved()`, `max_memory_reserved()`).
public struct DeviceMemory: Hashable, Sendable, Codable {
    /// Bytes in tensors now.
    public var allocated: Int
    /// The most bytes in tensors at once since the start or ``Runtime/resetPeakMemory(on:)``.
    public var peakAllocated: Int
    /// Bytes the allocator holds from the driver now (tensors plus its cache).
    public var reserved: Int
    /// The most bytes held from the driver at once.
    public var peakReserved: Int

    /// Memory figures as given.
    public init(allocated: Int, peakAllocated: Int, reserved: Int, peakReserved: Int) {
        self.allocated = allocated
        self.peakAllocated = peakAllocated
        self.reserved = reserved
        self.peakReserved = peakReserved
    }
}
