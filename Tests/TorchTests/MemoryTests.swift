import Testing
@testable import Torch

/// Every Tensor frees its libtorch handle in deinit: long loops keep resident memory flat.
@Suite(.serialized) struct MemoryTests {
    @Test func hundredThousandSmallOpsKeepMemoryFlat() {
        let a = Tensor.randn([64, 64]), b = Tensor.randn([64, 64])
        func burst(_ n: Int) { for _ in 0..<n { _ = ((a + b) * 0.5).relu().sum() } }
        burst(10_000)                       // warm up allocator caches
        let before = residentBytes()
        burst(100_000)
        let growth = residentBytes() - before
        #expect(growth < 16 << 20, "resident memory grew by \(growth >> 20) MiB over 100k ops")
    }

    @Test func trainingStepsKeepMemoryFlat() {
        manualSeed(0)
        let model = Sequential(Linear(32, 64), ReLU(), Linear(64, 10))
        let optimizer = AdamW(model.trainableParameters())
        let x = Tensor.randn([128, 32]), y = Tensor.randint(0, 10, [128])
        func train(_ steps: Int) {
            for _ in 0..<steps {
                let loss = F.crossEntropy(model(x), y)
                optimizer.zeroGrad()
                loss.backward()
                optimizer.step()
            }
        }
        train(50)
        let before = residentBytes()
        train(400)
        let growth = residentBytes() - before
        #expect(growth < 16 << 20, "resident memory grew by \(growth >> 20) MiB over 400 training steps")
    }
}
