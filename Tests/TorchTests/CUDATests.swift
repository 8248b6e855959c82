import Foundation
import Testing
@testable import Torch

/// The CUDA surface (streams, events, pinned memory, non-blocking copies, memory statistics,
/// the torch.backends switches). On a CPU-only libtorch each call that needs a GPU must fail
/// with a message naming the fix, and the switches must behave as settings; the tests marked
/// "CUDA" run only where a GPU is present (scripts/gpu-check runs them there).
@Suite(.serialized) struct CUDATests {
    static let hasGPU = Runtime.isCUDAAvailable

    func seeded(_ seed: UInt64, _ shape: [Int]) -> Tensor {
        manualSeed(seed)
        return Tensor.randn(shape)
    }

    @Test(.enabled(if: !Runtime.isCUDABuild, "this libtorch has CUDA"))
    func everyGPUCallIsAClearErrorWithoutCUDA() throws {
        func expectCUDAError(_ what: String, _ body: () throws -> Void) {
            do {
                try body()
                Issue.record("\(what) ran without CUDA")
            } catch {
                #expect("\(error)".contains("has no CUDA support") && "\(error)".contains("LIBTORCH"), "\(what): \(error)")
            }
        }
        expectCUDAError("current stream") { _ = try CUDAStream.current() }
        expectCUDAError("new stream") { _ = try CUDAStream.make(on: 0, highPriority: true) }
        expectCUDAError("event") { _ = try CUDAEvent() }
        expectCUDAError("memory") { _ = try Runtime.memory(on: .cuda(0)) }
        expectCUDAError("peak reset") { try Runtime.resetPeakMemory(on: .cuda(0)) }
        expectCUDAError("non-blocking copy") { _ = try withError { Tensor.ones([2]).to(.cuda(0), nonBlocking: true) } }
        do {
            _ = try withError { Tensor.ones([2]).pinned() }
            Issue.record("pinned() succeeded without CUDA")
        } catch {
            #expect("\(error)".contains("pinned (page-locked) memory needs a CUDA build"), "\(error)")
        }
        #expect(throws: TorchError.self) { try Runtime.memory(on: .cpu) }
        #expect(Runtime.cudaRuntimeVersion == nil && Runtime.cudnnVersion == nil)
        #expect(!Tensor.ones([2]).isPinned)
    }

    @Test func aNonBlockingCopyOnTheCPUIsTheTensor() {
        let x = seeded(7, [3, 4])
        let y = x.to(.cpu, nonBlocking: true)
        #expect(y.device == .cpu && y.asArray(Float.self) == x.asArray(Float.self))
    }

    @Test func backendSwitchesStartAsPyTorchsAndAreSettings() {
        // PyTorch 2.x's defaults: torch.backends.cuda.matmul.allow_tf32 False, cudnn.allow_tf32
        // True, cudnn.benchmark False, cudnn.deterministic False.
        #expect(Backends.settings == ["cuda.matmul.allow_tf32": false, "cudnn.allow_tf32": true,
                                      "cudnn.benchmark": false, "cudnn.deterministic": false])
        let a = seeded(1, [64, 64]), b = seeded(2, [64, 64])
        let before = a.matmul(b).asArray(Float.self)
        Backends.matmulAllowsTF32 = true
        Backends.cudnnBenchmark = true
        defer { Backends.matmulAllowsTF32 = false; Backends.cudnnBenchmark = false }
        #expect(Backends.matmulAllowsTF32 && Backends.cudnnBenchmark)
        if !Runtime.isCUDAAvailable {
            // Only CUDA kernels read the switches: a CPU product is the same, bit for bit.
            #expect(a.matmul(b).asArray(Float.self) == before)
        }
    }

    // MARK: CUDA

    @Test(.enabled(if: hasGPU, "no CUDA device"))
    func eventsTimeQueuedWorkOnAStream() throws {
        let stream = try CUDAStream.make(on: 0)
        let start = try CUDAEvent(), end = try CUDAEvent()
        let x = seeded(3, [2048, 2048]).to(.cuda(0))
        let product = try withCUDAStream(stream) {
            #expect(try CUDAStream.current(on: 0) == stream)
            try start.record(on: stream)
            var y = x
            for _ in 0..<8 { y = y.matmul(x).tanh() }
            try end.record(on: stream)
            return y
        }
        #expect(try CUDAStream.current(on: 0) != stream, "the previous stream is current again")
        let ms = try start.elapsedMilliseconds(to: end)
        #expect(ms > 0 && ms < 10_000, "\(ms) ms")
        #expect(try end.isComplete() && stream.isComplete())
        #expect(product.device == .cuda(0) && product.shape == [2048, 2048])
    }

    @Test(.enabled(if: hasGPU, "no CUDA device"))
    func pinnedNonBlockingCopiesArriveIntact() throws {
        let x = seeded(4, [256, 1024])
        let pinned = x.pinned()
        #expect(pinned.isPinned && !x.isPinned)
        let onGPU = pinned.to(.cuda(0), nonBlocking: true)
        let back = onGPU.to(.cpu)     // synchronous: waits for the copy before it
        #expect(back.asArray(Float.self) == x.asArray(Float.self))
    }

    @Test(.enabled(if: hasGPU, "no CUDA device"))
    func memoryStatisticsFollowAllocations() throws {
        try Runtime.synchronize(.cuda(0))
        try Runtime.resetPeakMemory(on: .cuda(0))
        let before = try Runtime.memory(on: .cuda(0))
        var big: Tensor? = Tensor.zeros([64, 1024, 1024], device: .cuda(0))   // 256 MiB of float32
        let during = try Runtime.memory(on: .cuda(0))
        #expect(during.allocated - before.allocated >= 256 << 20)
        big = nil
        _ = big
        let after = try Runtime.memory(on: .cuda(0))
        #expect(after.allocated < during.allocated && after.peakAllocated >= during.allocated)
        #expect(Runtime.cudaRuntimeVersion != nil)
    }
}
