import Foundation
import Testing
@testable import Torch

/// Failing operations surface as Swift errors carrying torch's message, never a silent crash.
@Suite(.serialized) struct ErrorTests {
    @Test func shapeMismatchThrowsTorchsMessage() {
        let a = Tensor.ones([2, 3]), b = Tensor.ones([4, 5])
        #expect(throws: TorchError.operation("mat1 and mat2 shapes cannot be multiplied (2x3 and 5x4)")) {
            try withError { F.linear(a, weight: b) }
        }
        #expect(throws: TorchError.self) { try withError { a + Tensor.ones([4]) } }
        do { _ = try withError { a + Tensor.ones([4]) } } catch {
            #expect("\(error)".contains("The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"))
            #expect(!"\(error)".contains("Exception raised from"), "no C++ backtrace in the message")
        }
    }

    @Test func itemOfSeveralElementsIsAnError() {
        #expect(throws: TorchError.operation("item(): a tensor of shape [2, 3] has 6 elements; item() needs exactly one")) {
            try withError { Tensor.zeros([2, 3]).item(Float.self) }
        }
        #expect(throws: TorchError.self) { try withError { Tensor.zeros([2, 3]).item() } }
    }

    @Test func wrongDtypeThrows() {
        let weight = Tensor.randn([5, 3])
        do {
            _ = try withError { F.embedding(Tensor([0.5, 1.5]), weight: weight) }
            Issue.record("float indices must fail")
        } catch {
            #expect("\(error)".contains("Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int"))
        }
    }

    @Test func indexOutOfRangeThrows() {
        let x = Tensor.zeros([3, 4])
        #expect(throws: TorchError.operation("select(): index 10 out of range for tensor of size [3, 4] at dimension 0")) {
            try withError { x[10] }
        }
        #expect(throws: TorchError.operation("index: 3 indices for a tensor of 2 dimensions (shape [3, 4])")) {
            try withError { x[0, 1, 2] }
        }
        #expect(throws: TorchError.self) { try withError { x.indexSelect(dim: 0, index: Tensor([Int64(7)])) } }
    }

    @Test func badArgumentsFromSwiftAreReportedLikeTorchErrors() {
        #expect(throws: TorchError.operation("Tensor(_:shape:): 5 values do not fill shape [2, 3] (6 elements)")) {
            try withError { Tensor([Float](repeating: 0, count: 5), shape: [2, 3]) }
        }
        #expect(throws: TorchError.operation("split(sizes:): sizes [1, 1] add up to 2, but dimension 0 has 3")) {
            try withError { Tensor.zeros([3]).split(sizes: [1, 1]) }
        }
    }

    @Test func firstErrorIsKeptAndLaterOpsDoNoWork() throws {
        var reached = false
        do {
            _ = try withError { () -> Double in
                let bad = Tensor.ones([2]).matmul(Tensor.ones([3]))     // fails first
                let later = Tensor.ones([2, 2]).reshape(5)             // would fail too, differently
                #expect(isErrorRecorded)
                #expect(!bad.isDefined && !later.isDefined)
                reached = true
                return later.sum().item()
            }
        } catch let TorchError.operation(message) {
            #expect(message.contains("inconsistent tensor size") || message.contains("1D tensors expected"), "got: \(message)")
            #expect(!message.contains("shape '[5]' is invalid"))
        }
        #expect(reached)
        #expect(!isErrorRecorded, "the scope is closed")
        // The thread is usable again afterwards.
        #expect(try withError { (Tensor.ones([2]) * 3.0).sum().item() } == 6)
    }

    @Test func nestedScopesReportToTheInnermost() throws {
        let outer = try withError { () -> Bool in
            let inner = Result { try withError { Tensor.ones([2]).reshape(3) } }
            guard case .failure = inner else { return false }
            return (Tensor.ones([2]) + 1.0).sum().item() == 4   // the outer scope is untouched
        }
        #expect(outer)
    }

    @Test func swiftErrorsFromTheBodyPassThrough() {
        struct Mine: Error, Equatable {}
        #expect(throws: Mine()) { try withError { throw Mine() } }
    }

    @Test func cudaOnACPUBuildIsAClearError() throws {
        try #require(Runtime.cudaDeviceCount == 0, "this check is for CPU-only libtorch builds")
        #expect(throws: TorchError.operation("device cuda:0 requested, but this libtorch build has no CUDA support; install a CUDA build of PyTorch 2.x and point LIBTORCH at its 'torch' folder")) {
            try withError { Tensor.zeros([2], device: .cuda(0)) }
        }
        #expect(throws: TorchError.self) { try withError { Tensor.ones([2]).to(.cuda(0)) } }
    }

    @Test func unknownOperatorIsAnError() {
        do {
            _ = try withError { Ops.call("aten::no_such_op", [.tensor(Tensor.ones([1]))]) }
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("Could not find schema for aten::no_such_op"))
        }
        #expect(Ops.schema("aten::topk")?.hasPrefix("aten::topk(Tensor self, SymInt k, int dim=-1") == true)
    }

    @Test func outsideAScopeAFailingOpStopsWithTorchsMessage() throws {
        // Run a child process that fails an op outside withError; it must die with the message.
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        let demo = source.appendingPathComponent(".build/debug/torch-demo").path
        try #require(FileManager.default.isExecutableFile(atPath: demo), "build torch-demo first (swift build)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: demo)
        process.arguments = ["--fail"]
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(output.contains("Torch: mat1 and mat2 shapes cannot be multiplied (2x3 and 5x4)"), "got: \(output)")
    }
}
