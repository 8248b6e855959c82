import Testing
@testable import Torch

@Suite(.serialized) struct GeneratorStateTests {
    @Test func aRestoredGeneratorStateDrawsTheSameNumbersAgain() throws {
        manualSeed(7)
        _ = Tensor.randn([3])                            // advance, and leave a cached normal sample
        let state = Runtime.generatorState()
        #expect(state.dtype == .uint8 && state.shape.count == 1 && state.count > 0)
        let first = Tensor.randn([17]).asArray(Float.self) + Tensor.rand([5]).asArray(Float.self)
        let order = Ops.call("aten::randperm", [.int(50)]).tensor(0).asArray(Int64.self)
        try Runtime.setGeneratorState(state)
        let again = Tensor.randn([17]).asArray(Float.self) + Tensor.rand([5]).asArray(Float.self)
        #expect(again == first)
        #expect(Ops.call("aten::randperm", [.int(50)]).tensor(0).asArray(Int64.self) == order)
    }

    @Test func aWrongStateIsAnErrorNotACrash() {
        #expect(throws: TorchError.self) { try Runtime.setGeneratorState(Tensor([1, 2, 3] as [Float])) }
    }
}
