import Foundation
import Torch

/// Seeded, shuffled minibatches over a data set, with the next batch made on a background
/// thread while the current one is used, as PyTorch's `DataLoader` with a worker.
///
/// ```swift
/// let loader = DataLoader(tensors: [data.images, data.labels], batchSize: 64, seed: ctx.seed)
/// for epoch in 0..<epochs {
///     for batch in loader.epoch(epoch) {       // batch: [images (64, …), labels (64)]
///         let loss = F.crossEntropy(model(batch[0]), batch[1])
///         …
///     }
/// }
/// ```
///
/// The order of epoch `e` is a Fisher–Yates shuffle drawn from SplitMix64 seeded with
/// `seed` and `e`: a pure function of both, independent of libtorch's generator, so it
/// neither consumes nor perturbs the stream that initial weights and dropout draw from, and
/// a training loop resumed at epoch `e` reads the same batches as an uninterrupted one. Every
/// sample appears exactly once per epoch; with `dropLast` a last, smaller batch is left out.
///
/// With `prefetch`, batch i + 1 is made (indexing, collation, augmentation: whatever `make`
/// does) on a background thread while batch i is used; `make` must then be safe to call
/// from another thread (libtorch ops on tensors that the training step does not modify
/// are). Batches come out in the same order and with the same contents either way, **unless
/// `make` draws random numbers from libtorch's global generator** (`Augment.affine`,
/// `Tensor.randn`): its draws then interleave with the training step's (dropout) in an order
/// that varies from run to run, and the run is no longer reproducible. So prefetching is on
/// by default only for the tensor loader (``init(tensors:batchSize:shuffle:seed:dropLast:prefetch:)``,
/// which only indexes); turn it on for a `make` or `collate` that draws nothing at random.
public struct DataLoader<Batch>: Sendable {
    /// The number of samples.
    public let count: Int
    /// Samples per batch.
    public private(set) var batchSize: Int
    /// Whether each epoch visits the samples in a new seeded order (else in index order).
    public let shuffle: Bool
    /// The seed of the orders.
    public let seed: UInt64
    /// Whether a last batch smaller than `batchSize` is dropped.
    public let dropLast: Bool
    /// Whether the next batch is made on a background thread.
    public let prefetch: Bool
    /// The part of every epoch this rank takes, for data parallelism (``sharded(rank:worldSize:)``); nil: all of it.
    public private(set) var shard: Shard?
    private var make: @Sendable ([Int]) -> Batch
    /// Applied to each batch on the consuming thread, after `make` (``to(_:)``'s copies).
    private var deliver: (@Sendable (Batch) -> Batch)?

    /// Rank `rank` of `worldSize` data-parallel ranks.
    public struct Shard: Sendable, Equatable {
        public let rank: Int
        public let worldSize: Int
    }

    /// A loader over `count` samples whose batches `make` builds from their indices.
    /// - Precondition: `count ≥ 0` and `batchSize ≥ 1`.
    public init(count: Int, batchSize: Int, shuffle: Bool = true, seed: UInt64, dropLast: Bool = false,
                prefetch: Bool = false, make: @escaping @Sendable (_ indices: [Int]) -> Batch) {
        precondition(count >= 0, "DataLoader: count must not be negative, got \(count)")
        precondition(batchSize >= 1, "DataLoader: batchSize must be at least 1, got \(batchSize)")
        self.count = count; self.batchSize = batchSize; self.shuffle = shuffle; self.seed = seed
        self.dropLast = dropLast; self.prefetch = prefetch; self.make = make
    }

    /// This loader for rank `rank` of `worldSize` data-parallel ranks, as PyTorch's
    /// `DistributedSampler(drop_last=True)`: every rank draws the same seeded order of an epoch,
    /// the tail that does not divide evenly is dropped, and rank r takes positions r, r + W,
    /// r + 2W, …; `batchSize` is then per rank. The b-th batches of all ranks together are
    /// the b-th batch of size W · batchSize that one unsharded loader would give.
    /// - Precondition: `0 ≤ rank < worldSize`.
    public func sharded(rank: Int, worldSize: Int) -> DataLoader {
        precondition(worldSize >= 1 && (0..<worldSize).contains(rank), "DataLoader: rank \(rank) of world size \(worldSize)")
        var copy = self
        copy.shard = Shard(rank: rank, worldSize: worldSize)
        return copy
    }

    /// This loader with batches of `batchSize` samples (the same orders).
    /// - Precondition: `batchSize ≥ 1`.
    public func resized(batchSize: Int) -> DataLoader {
        precondition(batchSize >= 1, "DataLoader: batchSize must be at least 1, got \(batchSize)")
        var copy = self
        copy.batchSize = batchSize
        return copy
    }

    /// The samples this loader visits per epoch: `count`, or a rank's equal share of it.
    public var samplesPerEpoch: Int { shard.map { count / $0.worldSize } ?? count }

    /// Batches per epoch.
    public var batchesPerEpoch: Int {
        dropLast ? samplesPerEpoch / batchSize : (samplesPerEpoch + batchSize - 1) / batchSize
    }

    /// The sample indices of epoch `epoch`, in the order they are batched (this rank's, when sharded).
    public func order(epoch: Int) -> [Int] {
        var indices = Array(0..<count)
        if shuffle, count > 1 {
            var generator = SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(truncatingIfNeeded: epoch &+ 1))
            for i in stride(from: count - 1, to: 0, by: -1) {
                let j = Int(generator.next() % UInt64(i + 1))
                indices.swapAt(i, j)
            }
        }
        guard let shard else { return indices }
        return stride(from: shard.rank, to: samplesPerEpoch * shard.worldSize, by: shard.worldSize).map { indices[$0] }
    }

    /// The batches of epoch `epoch` (0-based), in order.
    public func epoch(_ epoch: Int) -> Epoch {
        let order = order(epoch: epoch)
        let groups = (0..<batchesPerEpoch).map { b in Array(order[(b * batchSize)..<min((b + 1) * batchSize, order.count)]) }
        return Epoch(groups: groups, make: make, deliver: deliver, prefetch: prefetch)
    }

    /// One epoch's batches: iterate it once.
    public struct Epoch: Sequence, Sendable {
        let groups: [[Int]]
        let make: @Sendable ([Int]) -> Batch
        let deliver: (@Sendable (Batch) -> Batch)?
        let prefetch: Bool

        /// The indices of each batch, in order.
        public var indices: [[Int]] { groups }

        /// Makes the batches in order, each one while the previous is used when prefetching.
        public func makeIterator() -> Iterator { Iterator(groups: groups, make: make, deliver: deliver, prefetch: prefetch) }
    }

    /// Yields an epoch's batches; with prefetching, starts the next one before returning.
    public final class Iterator: IteratorProtocol {
        private let groups: [[Int]]
        private let make: @Sendable ([Int]) -> Batch
        private let deliver: (@Sendable (Batch) -> Batch)?
        private let prefetch: Bool
        private var position = 0
        private var pending: Pending?

        init(groups: [[Int]], make: @escaping @Sendable ([Int]) -> Batch, deliver: (@Sendable (Batch) -> Batch)?, prefetch: Bool) {
            self.groups = groups; self.make = make; self.deliver = deliver; self.prefetch = prefetch
        }

        /// The next batch, or nil after the last.
        public func next() -> Batch? {
            guard position < groups.count else { return nil }
            let batch = pending.map { $0.wait() } ?? make(groups[position])
            pending = nil
            position += 1
            if prefetch, position < groups.count { pending = Pending(groups[position], make) }
            return deliver.map { $0(batch) } ?? batch
        }

        deinit { _ = pending?.wait() }   // a batch being made finishes before its inputs may go
    }

    /// A batch being made on a background thread.
    private final class Pending: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var value: Batch?

        init(_ indices: [Int], _ make: @escaping @Sendable ([Int]) -> Batch) {
            Thread.detachNewThread { [self] in
                value = make(indices)
                done.signal()
            }
        }

        func wait() -> Batch {
            done.wait()
            done.signal()   // a second wait (deinit after next) returns at once
            return value!
        }
    }
}

extension DataLoader where Batch == [Tensor] {
    /// Batches of rows of `tensors` (all with the same first dimension), each batch one
    /// `indexSelect` per tensor: [x (B, …), y (B, …)]. Prefetches by default: indexing draws
    /// nothing at random, so the run stays reproducible.
    /// - Precondition: the tensors have at least one dimension and the same first one.
    public init(tensors: [Tensor], batchSize: Int, shuffle: Bool = true, seed: UInt64, dropLast: Bool = false,
                prefetch: Bool = true) {
        let count = tensors.first?.shape.first ?? 0
        precondition(tensors.allSatisfy { !$0.shape.isEmpty && $0.size(0) == count },
                     "DataLoader: every tensor must have the same first dimension (\(tensors.map(\.shape)))")
        let boxed = UncheckedTensors(tensors)
        self.init(count: count, batchSize: batchSize, shuffle: shuffle, seed: seed, dropLast: dropLast, prefetch: prefetch) { indices in
            let index = Tensor(indices.map(Int64.init), shape: [indices.count])
            return boxed.tensors.map { $0.indexSelect(dim: 0, index: index) }
        }
    }
}

extension DataLoader {
    /// Batches of `samples` (any values, `Codable` ones included), each collated by `collate`
    /// from the batch's samples in order.
    public init<Sample>(samples: [Sample], batchSize: Int, shuffle: Bool = true, seed: UInt64, dropLast: Bool = false,
                        prefetch: Bool = false, collate: @escaping @Sendable ([Sample]) -> Batch) {
        let boxed = UncheckedSamples(samples)
        self.init(count: samples.count, batchSize: batchSize, shuffle: shuffle, seed: seed, dropLast: dropLast,
                  prefetch: prefetch) { indices in collate(indices.map { boxed.samples[$0] }) }
    }
}

extension DataLoader where Batch == [Tensor] {
    /// This loader with its batches on `device`, as PyTorch's `DataLoader(pin_memory=True)` with
    /// `batch.to(device, non_blocking=True)`: for a CUDA device each batch is made in pinned host
    /// memory (on the background thread when prefetching) and copied to the GPU asynchronously
    /// on the thread that takes it, so the copy overlaps with the previous step's kernels. For
    /// the CPU it is this loader unchanged.
    public func to(_ device: Device) -> DataLoader {
        guard device != .cpu else { return self }
        var copy = self
        let make = self.make
        copy.make = { indices in make(indices).map { $0.device == .cpu ? $0.pinned() : $0 } }
        copy.deliver = { batch in batch.map { $0.to(device, nonBlocking: true) } }
        return copy
    }
}

/// Tensors read (never written) by a loader's background thread.
private struct UncheckedTensors: @unchecked Sendable {
    let tensors: [Tensor]
    init(_ tensors: [Tensor]) { self.tensors = tensors }
}

/// Samples read (never written) by a loader's background thread.
private struct UncheckedSamples<Sample>: @unchecked Sendable {
    let samples: [Sample]
    init(_ samples: [Sample]) { self.samples = samples }
}
