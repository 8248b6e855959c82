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

/// The 26 files of the reliability campaign's appendix E, made here byte by byte: each must
/// load (the control, an empty tensor) or throw an error naming the problem, never crash.
@Suite(.serialized) struct SafetensorsBadFileTests {
    /// `<u64 little-endian header length><header><data>`.
    static func file(_ header: String, data: Data = Data(), length: UInt64? = nil) -> Data {
        var bytes = Data()
        withUnsafeBytes(of: (length ?? UInt64(header.utf8.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(Data(header.utf8))
        bytes.append(data)
        return bytes
    }

    static func entry(_ dtype: String = "F32", shape: String, offsets: String) -> String {
        #"{"a": {"dtype": "\#(dtype)", "shape": \#(shape), "data_offsets": \#(offsets)}}"#
    }

    /// Bytes from a fixed linear congruential generator: "random", and the same on every run.
    static func noise(_ count: Int) -> Data {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return Data((0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        })
    }

    /// (file name, content or nil for "no such file", the expected reason; "" for a file that loads).
    static let cases: [(String, Data?, String)] = {
        let sixteen = Data(count: 16)
        let valid = file(entry(shape: "[2, 2]", offsets: "[0, 16]"), data: sixteen)
        let two = #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#
        let deep = "{\"a\": " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        return [
            ("valid", valid, ""),
            ("empty", Data(), "the file has 0 bytes, fewer than the 8-byte header length"),
            ("four-bytes", Data([1, 2, 3, 4]), "the file has 4 bytes, fewer than the 8-byte header length"),
            ("length-2^63", file("{}", length: 1 << 63), "the header length 9223372036854775808 is implausible (corrupt file?)"),
            ("length-past-eof", file("{}", length: 64), "truncated: the header needs 64 bytes, the file has 2 after the length"),
            ("not-json", file("hello, world"), "the header is not a JSON object (corrupt file?)"),
            ("json-array", file("[1, 2]"), "the header is not a JSON object (corrupt file?)"),
            ("dtype-f128", file(entry("F128", shape: "[2]", offsets: "[0, 32]"), data: Data(count: 32)),
             "tensor 'a' has dtype 'F128'; supported: BF16, BOOL, F16, F32, F64, I16, I32, I64, I8, U8"),
            ("shape-minus-one", file(entry(shape: "[-1]", offsets: "[0, 4]"), data: Data(count: 4)),
             "tensor 'a' has a negative dimension in [-1]"),
            ("shape-overflow-f32", file(entry(shape: "[4294967296, 4294967296]", offsets: "[0, 0]")),
             "tensor 'a' of shape [4294967296, 4294967296] and dtype F32 is too large to address: its size in bytes or a stride passes 64 bits (corrupt file?)"),
            ("data-short", file(entry(shape: "[4]", offsets: "[0, 16]"), data: Data(count: 8)),
             "truncated: tensor 'a' ends at byte 16 of the data, which has 8 bytes"),
            ("overlap", file(two, data: Data(count: 12)), "tensor 'b' overlaps the tensor before it"),
            ("trailing", file(entry(shape: "[2, 2]", offsets: "[0, 16]"), data: Data(count: 24)),
             "8 bytes after the last tensor (corrupt file?)"),
            ("half-data", valid.prefix(valid.count - 8), "truncated: tensor 'a' ends at byte 16 of the data, which has 8 bytes"),
            ("noise", noise(1024), "is implausible (corrupt file?)"),
            ("metadata-number", file(#"{"__metadata__": 3}"#), "__metadata__ must map strings to strings"),
            ("shape-overflow-f64", file(entry("F64", shape: "[3037000500, 3037000500]", offsets: "[0, 0]")),
             "tensor 'a' of shape [3037000500, 3037000500] and dtype F64 is too large to address: its size in bytes or a stride passes 64 bits (corrupt file?)"),
            ("float-offsets", file(entry(shape: "[1]", offsets: "[0.5, 4.5]"), data: Data(count: 4)),
             "tensor 'a' has a data_offsets that holds 0.5, which is not a whole number that fits in 64 bits; it must be an array of whole numbers"),
            ("missing", nil, "cannot open: No such file or directory"),
            ("deep-nesting", file(deep), "the header is not a JSON object (corrupt file?)"),
            ("shape-int64-max-u8", file(entry("U8", shape: "[9223372036854775807]", offsets: "[0, 9223372036854775807]")),
             "truncated: tensor 'a' ends at byte 9223372036854775807 of the data, which has 0 bytes"),
            ("offsets-near-int64-max", file(entry("U8", shape: "[4]", offsets: "[9223372036854775803, 9223372036854775807]")),
             "truncated: tensor 'a' ends at byte 9223372036854775807 of the data, which has 0 bytes"),
            ("shape-1e30", file(entry(shape: "[1e30]", offsets: "[0, 4]"), data: Data(count: 4)),
             "tensor 'a' has a shape that holds 1e+30, which is not a whole number that fits in 64 bits; it must be an array of whole numbers"),
            ("shape-true", file(entry(shape: "[true]", offsets: "[0, 4]"), data: Data(count: 4)),
             "tensor 'a' has a shape that holds the boolean true; it must be an array of whole numbers"),
            ("shape-zero-huge", file(entry(shape: "[0, 4611686018427387904, 4]", offsets: "[0, 0]")),
             "tensor 'a' of shape [0, 4611686018427387904, 4] and dtype F32 is too large to address: its size in bytes or a stride passes 64 bits (corrupt file?)"),
            ("shape-zero", file(entry(shape: "[0, 3]", offsets: "[0, 0]")), ""),
            ("offsets-string", file(entry(shape: "[1]", offsets: #""0-4""#), data: Data(count: 4)),
             "tensor 'a' has a data_offsets that is a string; it must be an array of whole numbers"),
            ("no-shape", file(#"{"a": {"dtype": "F32", "data_offsets": [0, 4]}}"#, data: Data(count: 4)), "the entry for 'a' has no shape"),
        ]
    }()

    @Test(arguments: cases.indices)
    func badFileIsAClearError(index: Int) throws {
        let (name, content, reason) = Self.cases[index]
        let path = FileManagerTemp.path("appendix-e-\(name).safetensors")
        try? FileManager.default.removeItem(atPath: path)
        if let content { try content.write(to: URL(fileURLWithPath: path)) }
        if reason.isEmpty {
            let file = try Safetensors.load(path)
            #expect(file.tensors["a"] != nil, "\(name)")
            return
        }
        do {
            let file = try Safetensors.load(path)
            Issue.record("\(name): loaded \(file.tensors.mapValues(\.shape)) instead of failing with '\(reason)'")
        } catch let error as TorchError {
            guard case .safetensors(let errorPath, let message) = error else { Issue.record("\(name): \(error)"); return }
            #expect(errorPath == path)
            #expect(message.contains(reason), "\(name): \(message)")
        }
    }

    @Test func aFolderIsNamedAsOne() throws {
        let folder = FileManagerTemp.path("appendix-e-folder.safetensors")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        #expect(throws: TorchError.safetensors(path: folder, reason: "is a folder, not a file; give the path of a .safetensors file inside it")) {
            try Safetensors.load(folder)
        }
    }
}
