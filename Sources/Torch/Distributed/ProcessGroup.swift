import Foundation
internal import CTorch

/// A group of processes that run collectives on CPU tensors: PyTorch's own c10d, a
/// `TCPStore` rendezvous and a `ProcessGroupGloo`, from the libtorch Lab links.
///
/// Every rank creates one with the same `host`, `port` and `worldSize`; rank 0 hosts the
/// store and each initializer returns once all ranks have joined. A Python process that
/// builds `torch.distributed.TCPStore(host, port, world, is_master=False)` and
/// `ProcessGroupGloo(store, rank, world, timeout)` joins the same group.
///
/// Collectives block until every rank has called them, in the same order on every rank;
/// a rank that does not arrive fails the others after `timeout`.
public final class ProcessGroup: @unchecked Sendable {
    /// How ``allReduce(_:_:)`` combines.
    public enum ReduceOp: Int32, Sendable {
        case sum = 0, max = 1, min = 2, product = 3
    }

    let handle: lt_group
    public let rank: Int
    public let worldSize: Int

    /// Joins (or, as rank 0, hosts) the group at `host:port`.
    /// - Throws: ``TorchError/operation(_:)`` with c10d's message: the port is taken, a rank
    ///   did not join within `timeout`, `rank` is outside `0..<worldSize`.
    public init(host: String = "127.0.0.1", port: Int, rank: Int, worldSize: Int, timeout: Duration = .seconds(60), prefix: String = "") throws {
        Runtime.ensureConfigured()
        let ms = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        var out: lt_group?
        try withError { statusCall(lt_group_init(host, Int32(port), Int32(rank), Int32(worldSize), ms, prefix, &out)) }
        guard let out else { throw TorchError.operation("the process group at \(host):\(port) did not form") }
        handle = out
        self.rank = rank
        self.worldSize = worldSize
    }

    deinit { lt_group_free(handle) }

    /// Combines `tensors` element-wise over all ranks, in place (every rank ends with the
    /// result): one collective per tensor, in order (shapes may differ between tensors).
    public func allReduce(_ tensors: [Tensor], _ op: ReduceOp = .sum) throws {
        let handles: [lt_tensor?] = tensors.map(\.handle)
        try withError { handles.withUnsafeBufferPointer { statusCall(lt_group_allreduce(handle, $0.baseAddress, Int64(tensors.count), op.rawValue)) } }
    }

    /// Replaces `tensors` on every rank by rank `root`'s, in place.
    public func broadcast(_ tensors: [Tensor], from root: Int = 0) throws {
        let handles: [lt_tensor?] = tensors.map(\.handle)
        try withError { handles.withUnsafeBufferPointer { statusCall(lt_group_broadcast(handle, $0.baseAddress, Int64(tensors.count), Int32(root))) } }
    }

    /// Every rank's `tensor` (the same shape on all of them), in rank order.
    public func allGather(_ tensor: Tensor) throws -> [Tensor] {
        var outputs = [lt_tensor?](repeating: nil, count: worldSize)
        try withError { outputs.withUnsafeMutableBufferPointer { statusCall(lt_group_allgather(handle, tensor.handle, $0.baseAddress)) } }
        return outputs.map { Tensor(handle: $0!) }
    }

    /// Returns once every rank has called it.
    public func barrier() throws {
        try withError { statusCall(lt_group_barrier(handle)) }
    }
}

extension ProcessGroup {
    /// Every rank's `tensor` concatenated along dimension 0 in rank order, differentiable as
    /// `torch.distributed.nn.all_gather` (open_clip's `gather_with_grad`): backward sums the
    /// gradient every rank's loss sends to this rank's rows. A CLIP loss over the gathered
    /// embeddings of N ranks with batch B each sees the N·B − 1 negatives of one process
    /// with batch N·B, and, with gradients averaged over the ranks, takes its step.
    /// Every rank's `tensor` must have the same shape.
    public func allGatherWithGradient(_ tensor: Tensor) throws -> Tensor {
        var out: lt_tensor?
        try withError { statusCall(lt_group_allgather_grad(handle, tensor.handle, &out)) }
        return Tensor(handle: out!)
    }
}
