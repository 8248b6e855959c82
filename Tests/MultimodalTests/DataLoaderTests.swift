import Foundation
import Testing
import Torch
@testable import Multimodal

@Suite(.serialized) struct DataLoaderTests {
    @Test func eachEpochIsASeededPermutationOfEverySample() {
        let loader = DataLoader(count: 103, batchSize: 10, seed: 7) { $0 }
        let first = loader.order(epoch: 0)
        #expect(first.sorted() == Array(0..<103), "every sample once")
        #expect(first != Array(0..<103), "shuffled")
        #expect(loader.order(epoch: 0) == first, "a pure function of seed and epoch")
        #expect(loader.order(epoch: 1) != first, "a new order each epoch")
        #expect(DataLoader(count: 103, batchSize: 10, seed: 8) { $0 }.order(epoch: 0) != first, "another seed, another order")
        let batches = Array(loader.epoch(0))
        #expect(batches.count == 11 && batches.last!.count == 3 && batches.flatMap { $0 } == first)
        let dropping = DataLoader(count: 103, batchSize: 10, seed: 7, dropLast: true) { $0 }
        #expect(dropping.batchesPerEpoch == 10 && Array(dropping.epoch(0)).allSatisfy { $0.count == 10 })
        #expect(Array(DataLoader(count: 5, batchSize: 2, shuffle: false, seed: 7) { $0 }.epoch(3)) == [[0, 1], [2, 3], [4]])
        #expect(Array(DataLoader(count: 0, batchSize: 2, seed: 7) { $0 }.epoch(0)).isEmpty)
    }

    @Test func tensorBatchesAreTheRowsOfTheirIndicesWithOrWithoutPrefetch() {
        manualSeed(3)
        let x = Tensor.randn([50, 3, 4]), y = Tensor.arange(0, 50, dtype: .int64)
        let eager = DataLoader(tensors: [x, y], batchSize: 8, seed: 11, prefetch: false)
        let ahead = DataLoader(tensors: [x, y], batchSize: 8, seed: 11, prefetch: true)
        for epoch in 0..<2 {
            let indices = eager.epoch(epoch).indices
            let a = Array(eager.epoch(epoch)), b = Array(ahead.epoch(epoch))
            #expect(a.count == 7 && b.count == 7)
            for (i, (batch, other)) in zip(a, b).enumerated() {
                #expect(batch[1].asArray(Int.self) == indices[i], "labels are the batch's indices")
                expectIdentical(batch[0], x.indexSelect(dim: 0, index: Tensor(indices[i].map(Int64.init), shape: [indices[i].count])), "rows")
                expectIdentical(other[0], batch[0], "prefetched rows")
                expectIdentical(other[1], batch[1], "prefetched labels")
            }
        }
    }

    @Test func prefetchingMakesTheNextBatchOnAnotherThread() {
        final class Threads: @unchecked Sendable {
            let lock = NSLock()
            var seen: [Bool] = []
            let caller = pthread_self()
            func record() { lock.lock(); seen.append(pthread_equal(pthread_self(), caller) != 0); lock.unlock() }
        }
        let threads = Threads()
        let loader = DataLoader(count: 12, batchSize: 3, seed: 1, prefetch: true) { indices -> [Int] in threads.record(); return indices }
        #expect(Array(loader.epoch(0)).count == 4)
        #expect(threads.seen == [true, false, false, false], "the first batch on the caller's thread, the rest ahead of time")
        let sync = Threads()
        let eager = DataLoader(count: 12, batchSize: 3, seed: 1, prefetch: false) { indices -> [Int] in sync.record(); return indices }
        #expect(Array(eager.epoch(0)).count == 4 && sync.seen == [true, true, true, true])
    }

    @Test func samplesAreCollatedInBatchOrderAndLibtorchsGeneratorIsUntouched() {
        let samples = (0..<9).map { "s\($0)" }
        let loader = DataLoader(samples: samples, batchSize: 4, seed: 5) { $0.joined(separator: ",") }
        let order = loader.order(epoch: 0)
        #expect(Array(loader.epoch(0)) == [order[0..<4], order[4..<8], order[8..<9]].map { $0.map { "s\($0)" }.joined(separator: ",") })
        manualSeed(9)
        let before = Tensor.randn([4])
        manualSeed(9)
        _ = Array(DataLoader(tensors: [Tensor.zeros([20, 2])], batchSize: 3, seed: 2).epoch(0))
        expectIdentical(Tensor.randn([4]), before, "the loader draws nothing from libtorch's generator")
    }

    /// Sharding for data parallelism: the ranks' parts of an epoch are disjoint, equal, cover
    /// the epoch but its uneven tail, change with the epoch, and the b-th batches of all ranks
    /// together are the b-th batch of one loader with W times the batch size.
    @Test func onTheCPUALoaderToADeviceGivesTheSameBatches() {
        manualSeed(5)
        let x = Tensor.randn([20, 3]), y = Tensor.arange(0, 20, dtype: .int64)
        let loader = DataLoader(tensors: [x, y], batchSize: 6, seed: 2)
        let moved = loader.to(.cpu)
        for (a, b) in zip(Array(loader.epoch(1)), Array(moved.epoch(1))) {
            #expect(a.map { $0.asArray(Float.self) } == b.map { $0.asArray(Float.self) })
            #expect(b.allSatisfy { $0.device == .cpu && !$0.isPinned })
        }
    }

    @Test(.enabled(if: Runtime.isCUDAAvailable, "no CUDA device"))
    func onAGPUBatchesArrivePinnedCopiesOfTheRows() {
        manualSeed(5)
        let x = Tensor.randn([20, 3]), y = Tensor.arange(0, 20, dtype: .int64)
        let loader = DataLoader(tensors: [x, y], batchSize: 6, seed: 2)
        let moved = loader.to(.cuda(0))
        for (a, b) in zip(Array(loader.epoch(1)), Array(moved.epoch(1))) {
            #expect(b.allSatisfy { $0.device == .cuda(0) })
            #expect(a.map { $0.asArray(Float.self) } == b.map { $0.to(.cpu).asArray(Float.self) })
        }
    }

    @Test func shardsSplitEachEpochAsOneLoaderWithTheWholeBatch() {
        let whole = DataLoader(count: 103, batchSize: 12, seed: 5) { $0 }
        let ranks = (0..<3).map { DataLoader(count: 103, batchSize: 4, seed: 5) { $0 }.sharded(rank: $0, worldSize: 3) }
        for epoch in 0..<2 {
            let parts = ranks.map { $0.order(epoch: epoch) }
            #expect(parts.allSatisfy { $0.count == 34 })
            #expect(Set(parts.flatMap { $0 }).count == 102, "disjoint")
            #expect(Set(parts.flatMap { $0 }) == Set(whole.order(epoch: epoch).prefix(102)))
            let batches = ranks.map { Array($0.epoch(epoch)) }
            #expect(batches.allSatisfy { $0.count == 9 })   // 34 per rank in batches of 4
            for (b, big) in Array(whole.epoch(epoch)).prefix(8).enumerated() {
                #expect(Set(batches.flatMap { $0[b] }) == Set(big), "batch \(b) of epoch \(epoch)")
            }
        }
        #expect(ranks[0].order(epoch: 0) != ranks[0].order(epoch: 1))
        #expect(ranks[0].samplesPerEpoch == 34 && whole.samplesPerEpoch == 103)
    }
}
