import Foundation
import Testing
@testable import Lab

/// `lab run --device`: checked before anything runs, recorded with the run, a key part, and
/// what `ctx.device` says.
@Suite struct DeviceOptionTests {
    static let experiment = """
    import Lab

    struct Config: ExperimentConfig { var n = 3 }
    struct Where: Codable { var device: String }

    let experiment = Experiment("where", config: Config()) { lab in
        let numbers = lab.data("numbers") { ctx in Where(device: String(ctx.config.n)) }
        lab.step("device", numbers, kind: .train) { ctx, _ in Where(device: ctx.device.description) }
    }

    Lab.main(experiment)
    """

    @Test func aDeviceIsCheckedRecordedAndPartOfTheKey() throws {
        let box = try Sandbox()
        try box.write("where.swift", Self.experiment)
        try box.commitAll()

        let malformed = try box.lab("run", "where.swift", "--device", "gpu")
        #expect(malformed.status != 0 && malformed.output.contains("--device gpu: write cpu, cuda or cuda:N"), "\(malformed.output)")
        if !Torch.Runtime.isCUDABuild {
            let cuda = try box.lab("run", "where.swift", "--device", "cuda:0")
            #expect(cuda.status != 0 && cuda.output.contains("--device cuda:0: the linked libtorch") && cuda.output.contains("was built without CUDA"), "\(cuda.output)")
        }
        let store = box.root.appendingPathComponent(".lab/lab.sqlite").path
        #expect(try !FileManager.default.fileExists(atPath: store) || RunStore(path: store).runs().isEmpty, "a refused device runs and records nothing")

        let cpu = try box.lab("run", "where.swift", "--device", "cpu")
        #expect(cpu.status == 0, "\(cpu.output)")
        let byDefault = try box.lab("run", "where.swift")
        #expect(byDefault.cached.contains("device") == (Torch.Runtime.bestDevice == .cpu), "the default is the best device: \(byDefault.output)")
        let run = try #require(try RunStore(path: store).runs().first { $0.id == cpu.runId })
        let environment = try JSONSerialization.jsonObject(with: Data(run.environment.utf8)) as? [String: Any]
        #expect(environment?["device"] as? String == "cpu", "\(run.environment)")
    }

    @Test func nvidiaSMIOutputGivesEachGPU() {
        // `nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader,nounits`
        // on a two-GPU machine, with a line that is not a GPU.
        let output = "0, NVIDIA H200, 575.57.08, 143771\n1, NVIDIA A100-SXM4-80GB, 575.57.08, 81920\nNo devices were found\n"
        #expect(GPUInfo.parse(output) == [
            GPUInfo(index: 0, name: "NVIDIA H200", driver: "575.57.08", memoryBytes: 143771 << 20),
            GPUInfo(index: 1, name: "NVIDIA A100-SXM4-80GB", driver: "575.57.08", memoryBytes: 81920 << 20),
        ])
        #expect(GPUInfo.parse("").isEmpty)
    }

    @Test(.enabled(if: !Runtime.isCUDABuild, "this libtorch has CUDA"))
    func aGPURecordSaysWhatItCouldNotFind() {
        let info = GPUInfo.environment(index: 0)
        #expect(info["cuda_runtime"] as? String == "none" && info["cudnn"] as? String == "none")
        #expect((info["cuda_backends"] as? String)?.contains("cuda.matmul.allow_tf32=false") == true)
        let gpu = info["gpu"] as? String ?? ""
        #expect(gpu.hasPrefix("unknown (") && gpu.contains("nvidia-smi"), "\(gpu)")
    }
}
