import Foundation

extension ProcessGroup {
    /// Makes every rank's parameters and persistent buffers rank `root`'s, in place (what
    /// PyTorch's DistributedDataParallel does when it is made): call once, before training.
    public func broadcastState(of module: Module, from root: Int = 0) throws {
        let state = module.stateDict()
        try withNoGrad { try broadcast(module.stateDictKeys().map { state[$0]!.detached() }, from: root) }
    }

    /// Replaces each parameter's gradient by its mean over all ranks, after `backward()` and
    /// before the optimizer's step: with equal shards of one batch on every rank, the step
    /// is the one a single process takes on the whole batch.
    ///
    /// Gradients are flattened into buckets of at most `bucketBytes` (DDP's 25 MiB), so a
    /// model's many small tensors take few collectives; one allreduce per bucket. Parameters
    /// without a gradient are left out, and must be the same ones on every rank.
    public func averageGradients(_ parameters: [Tensor], bucketBytes: Int = 25 << 20) throws {
        let grads = parameters.compactMap(\.grad)
        guard worldSize > 1, !grads.isEmpty else { return }
        var buckets: [[Tensor]] = [[]]
        var bytes = 0
        for g in grads {
            let size = g.count * g.dtype.byteSize
            if let first = buckets[buckets.count - 1].first, bytes + size > bucketBytes || first.dtype != g.dtype {
                buckets.append([])
                bytes = 0
            }
            buckets[buckets.count - 1].append(g)
            bytes += size
        }
        try withNoGrad {
            for bucket in buckets {
                let flat = Tensor.cat(bucket.map { $0.reshape(-1) })
                try allReduce([flat])
                let mean = flat / Double(worldSize)
                for (g, piece) in zip(bucket, mean.split(sizes: bucket.map(\.count))) { g.copy_(piece.view(g.shape)) }
            }
        }
    }
}
