import Foundation
import Testing
@testable import Torch

@Suite(.serialized) struct SafetensorsTests {
    static let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../.venv/bin/python").standardized.path

    @Test(arguments: [true, false])
    func filesWrittenByPythonLoadBitForBit(memoryMapped: Bool) throws {
        let file = try Safetensors.load(Fixture.directory.appendingPathComponent("dtypes.safetensors").path, memoryMapped: memoryMapped)
        #expect(file.metadata["writer"] == "python")
        #expect(file.tensors["f32"]!.asArray(Float.self) == [1.5, -2.25, 3.0e-8, .infinity])
        #expect(file.tensors["f64"]!.shape == [2, 2])
        #expect(file.tensors["f64"]!.asArray(Double.self) == [Double.pi, -M_E, 1e300, -0.0])
        #expect(file.tensors["i64"]!.asArray(Int64.self) == [-(1 << 62), 7, 0])
        #expect(file.tensors["i32"]!.asArray(Int32.self) == [Int32.min, Int32.max])
        #expect(file.tensors["i16"]!.asArray(Int16.self) == [-32768, 32767])
        #expect(file.tensors["i8"]!.asArray(Int8.self) == [-128, 127, 0])
        #expect(file.tensors["u8"]!.asArray(UInt8.self) == [0, 255, 17])
        #expect(file.tensors["bool"]!.asArray(Bool.self) == [true, false, true])
        #expect(file.tensors["f16"]!.dtype == .float16 && file.tensors["bf16"]!.dtype == .bfloat16)
        #expect(file.tensors["f16"]!.asArray(Float.self)[1] == 65504)
        #expect(file.tensors["scalar"]!.shape == [] && file.tensors["scalar"]!.item() == 2.5)
        #expect(file.tensors["empty"]!.shape == [0, 3])
    }

    @Test func roundTripKeepsEveryBitOfEveryDtype() throws {
        let source = try Safetensors.load(Fixture.directory.appendingPathComponent("dtypes.safetensors").path)
        let path = FileManagerTemp.path("roundtrip.safetensors")
        try Safetensors.save(source.tensors, metadata: ["k": "v"], to: path)
        let back = try Safetensors.load(path)
        #expect(back.metadata == ["k": "v"])
        #expect(Set(back.tensors.keys) == Set(source.tensors.keys))
        for (name, t) in source.tensors { expectIdentical(back.tensors[name], t, name) }
    }

    @Test func memoryMappedTensorsAreCopyOnWrite() throws {
        let path = FileManagerTemp.path("cow.safetensors")
        try Safetensors.save(["x": Tensor([Float](repeating: 1, count: 8))], to: path)
        let loaded = try Safetensors.load(path, memoryMapped: true)
        loaded.tensors["x"]!.fill_(7)
        #expect(try Safetensors.load(path).tensors["x"]!.asArray(Float.self) == [Float](repeating: 1, count: 8))
    }

    /// A file written by Lab, read by Python's safetensors + PyTorch, compared bit for bit
    /// with the tensors Python builds itself.
    @Test func filesWrittenByLabLoadInPython() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            Issue.record("no project Python at \(Self.python): run scripts/install-deps")
            return
        }
        let path = FileManagerTemp.path("from-lab.safetensors")
        manualSeed(7)
        try Safetensors.save([
            "a": Tensor.randn([3, 4]), "b": Tensor.arange(10).reshape(2, 5), "c": Tensor.randn([5]).to(.bfloat16),
            "d": Tensor.randn([2, 2]).to(.float16), "m": Tensor([true, false]), "e": Tensor.randn([2]).to(.float64),
        ], metadata: ["from": "lab"], to: path)
        let script = """
        import sys, torch
        from safetensors import safe_open
        torch.manual_seed(7)
        want = {"a": torch.randn(3, 4), "b": torch.arange(10).reshape(2, 5), "c": torch.randn(5).to(torch.bfloat16),
                "d": torch.randn(2, 2).to(torch.float16), "m": torch.tensor([True, False]), "e": torch.randn(2).double()}
        with safe_open(sys.argv[1], "pt") as f:
            assert f.metadata() == {"from": "lab"}, f.metadata()
            assert set(f.keys()) == set(want), f.keys()
            for k, v in want.items():
                t = f.get_tensor(k)
                assert t.dtype == v.dtype and t.shape == v.shape, (k, t.dtype, t.shape)
                assert torch.equal(t.view(torch.uint8) if t.dtype != torch.bool else t, v.view(torch.uint8) if v.dtype != torch.bool else v), k
        print("ok")
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = ["-c", script, path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0 && output.contains("ok"), "Python says: \(output)")
    }

    func corrupt(_ name: String, _ mutate: (inout Data) -> Void) throws -> String {
        let path = FileManagerTemp.path(name)
        try Safetensors.save(["w": Tensor.ones([4, 4]), "b": Tensor.zeros([4])], to: path)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        mutate(&data)
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func truncatedFileIsAClearError() throws {
        let path = try corrupt("truncated.safetensors") { $0.removeLast(10) }
        #expect(throws: TorchError.safetensors(path: path, reason: "truncated: tensor 'w' ends at byte 80 of the data, which has 70 bytes")) {
            try Safetensors.load(path)
        }
    }

    @Test func corruptHeaderIsAClearError() throws {
        let path = try corrupt("garbled.safetensors") { $0[12] = 0x7B; $0[20] = 0x00 }
        #expect(throws: TorchError.safetensors(path: path, reason: "the header is not a JSON object (corrupt file?)")) {
            try Safetensors.load(path)
        }
        let huge = try corrupt("huge-header.safetensors") { $0[6] = 0x10 }
        #expect(throws: TorchError.self) { try Safetensors.load(huge) }
        let tiny = FileManagerTemp.path("tiny.safetensors")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: tiny))
        #expect(throws: TorchError.safetensors(path: tiny, reason: "the file has 3 bytes, fewer than the 8-byte header length")) {
            try Safetensors.load(tiny)
        }
    }

    @Test func missingFileAndUnknownDtypeAreClearErrors() throws {
        let missing = FileManagerTemp.path("does-not-exist.safetensors")
        #expect(throws: TorchError.safetensors(path: missing, reason: "cannot open: No such file or directory")) {
            try Safetensors.load(missing)
        }
        let path = try corrupt("dtype.safetensors") { data in
            let text = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"F32\"", with: "\"F8X\"")
            data = Data(text.utf8)
        }
        #expect(throws: TorchError.self) { try Safetensors.load(path) }
        do { _ = try Safetensors.load(path) } catch {
            #expect("\(error)".contains("has dtype 'F8X'; supported: BF16, BOOL, F16, F32, F64, I16, I32, I64, I8, U8"))
        }
    }
}
