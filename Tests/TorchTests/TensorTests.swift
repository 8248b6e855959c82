import Testing
@testable import Torch

@Suite(.serialized) struct TensorTests {
    @Test func creationAndConversion() {
        let t = Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
        #expect(t.shape == [2, 3] && t.strides == [3, 1] && t.count == 6 && t.rank == 2 && t.dtype == .float32)
        #expect(t.asArray(Float.self) == [1, 2, 3, 4, 5, 6])
        #expect(t.asArray(Int.self) == [1, 2, 3, 4, 5, 6])
        #expect(Tensor([1, 2, 3]).dtype == .int64 && Tensor([true]).dtype == .bool && Tensor([Int32(1)]).dtype == .int32)
        #expect(Tensor(3.5).shape == [] && Tensor(3.5).item() == 3.5 && Tensor(7).item(Int.self) == 7)
        for dtype in DType.allCases {
            let z = Tensor.zeros([2, 2], dtype: dtype)
            #expect(z.dtype == dtype && z.to(.float32).sum().item() == 0, "\(dtype)")
        }
        #expect(Tensor([0.1, 0.2] as [Float], dtype: .float16).dtype == .float16)
        #expect(Tensor.ones([3]).asArray(Double.self) == [1, 1, 1])
        #expect(Tensor.full([2], 7).asArray(Float.self) == [7, 7])
        #expect(Tensor.arange(5).asArray(Int.self) == [0, 1, 2, 3, 4])
        #expect(Tensor.arange(0, 1, step: 0.25).asArray(Float.self) == [0, 0.25, 0.5, 0.75])
        #expect(Tensor.linspace(0, 1, steps: 5).asArray(Float.self) == [0, 0.25, 0.5, 0.75, 1])
        #expect(Tensor.eye(2, 3).asArray(Float.self) == [1, 0, 0, 0, 1, 0])
        let ints = Tensor.randint(3, 7, [1000])
        #expect(ints.min().item() >= 3 && ints.max().item() <= 6 && ints.dtype == .int64)
        let u = Tensor.rand([1000])
        #expect(u.min().item() >= 0 && u.max().item() < 1)
        #expect(Tensor.randn([2, 3], dtype: .float64).dtype == .float64)
        #expect(t.device == .cpu && t.isContiguous && !t.T.isContiguous)
        #expect(t.description.contains("[ CPUFloatType{2,3} ]"))
    }

    @Test func creationFromARawBuffer() throws {
        let values: [UInt16] = [0x3C00, 0xC000, 0x7BFF]           // float16 1, −2, 65504
        let t = values.withUnsafeBytes { Tensor(buffer: $0, shape: [3], dtype: .float16) }
        #expect(t.dtype == .float16 && t.asArray(Float.self) == [1, -2, 65504])
        #expect(throws: TorchError.operation("Tensor(buffer:shape:dtype:): 6 bytes do not fill shape [2, 2] of float16 (8 bytes)")) {
            try withError { values.withUnsafeBytes { Tensor(buffer: $0, shape: [2, 2], dtype: .float16) } }
        }
    }

    @Test func seedingIsReproducible() {
        manualSeed(123); let a = Tensor.randn([4])
        manualSeed(123); let b = Tensor.randn([4])
        #expect(a.asArray(Float.self) == b.asArray(Float.self))
        Runtime.setDeterministic(true)
        defer { Runtime.setDeterministic(false) }
        #expect(Tensor.ones([2, 2]).matmul(Tensor.ones([2, 2])).sum().item() == 8)
    }

    @Test func subscriptsMatchPythonSlicing() {
        let x = Tensor.arange(24).reshape(2, 3, 4)
        #expect(x[1].shape == [3, 4])
        #expect(x[1, 2].asArray(Int.self) == [20, 21, 22, 23])
        #expect(x[-1, -1, -1].item(Int.self) == 23)
        #expect(x[.all, 1..<3, 0].asArray(Int.self) == [4, 8, 16, 20])
        #expect(x[0, 0...1, ..<2].asArray(Int.self) == [0, 1, 4, 5])
        #expect(x[.ellipsis, 3].asArray(Int.self) == [3, 7, 11, 15, 19, 23])
        #expect(x[0, .newAxis].shape == [1, 3, 4])
        #expect(x[0, 0, .stride(from: 1, by: 2)].asArray(Int.self) == [1, 3])
        #expect(x[0, 0, (-2)...].asArray(Int.self) == [2, 3])
        #expect(x[Tensor([Int64(1), 0])][.all, 0, 0].asArray(Int.self) == [12, 0])
        #expect(x[x .> 20].asArray(Int.self) == [21, 22, 23])
        let y = Tensor.zeros([3, 3])
        y[1, .all] = Tensor([1.0, 2.0, 3.0] as [Float])
        y[0..<1, 0..<2] = Tensor.full([1, 2], 9)
        #expect(y.asArray(Float.self) == [9, 9, 0, 1, 2, 3, 0, 0, 0])
    }

    @Test func viewsShareStorage() {
        let x = Tensor.zeros([2, 3])
        let v = x.view(6)
        v.fill_(1)
        #expect(x.sum().item() == 6)
        x.T[0].fill_(5)
        #expect(x[.all, 0].asArray(Float.self) == [5, 5])
    }

    @Test func splitChunkAndJoin() {
        let x = Tensor.arange(10)
        #expect(x.split(size: 4).map(\.count) == [4, 4, 2])
        #expect(x.split(sizes: [3, 7]).map(\.count) == [3, 7])
        #expect(x.chunk(3).map(\.count) == [4, 4, 2])
        #expect(Tensor.cat(x.chunk(3)).asArray(Int.self) == x.asArray(Int.self))
        #expect(Tensor.stack([x, x], dim: 1).shape == [10, 2])
    }

    @Test func integerScalarsKeepIntegerTensorsIntegral() {
        let i = Tensor([1, 2, 3])
        #expect((i * 2).dtype == .int64 && (i + 1).asArray(Int.self) == [2, 3, 4])
        #expect((i * 0.5).dtype == .float32)
        #expect((i / 2).dtype == .float32, "true division, as in PyTorch")
        #expect((i .== 2).asArray(Bool.self) == [false, true, false])
    }

    @Test func runtimeReportsItsSettings() {
        #expect(Runtime.libtorchVersion.hasPrefix("2."))
        #expect(Runtime.threads >= 1 && Runtime.interopThreads >= 1)
        #expect(Runtime.parallelInfo.contains("ATen/Parallel"))
    }
}
