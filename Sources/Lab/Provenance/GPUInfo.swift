import Foundation
import Torch

/// A GPU as `nvidia-smi` describes it, recorded with a run on a CUDA device: the model, the
/// driver and the memory. libtorch's device-generic interface has no device names, and the
/// driver version is the driver's own fact, so Lab asks the tool every NVIDIA driver installs.
package struct GPUInfo: Codable, Sendable, Equatable {
    /// The index nvidia-smi gives the device (CUDA's order unless `CUDA_VISIBLE_DEVICES` reorders it).
    package var index: Int
    /// The model, e.g. `"NVIDIA H200"`.
    package var name: String
    /// The driver version, e.g. `"575.57.08"`.
    package var driver: String
    /// Total memory in bytes.
    package var memoryBytes: Int

    /// The GPUs in `nvidia-smi --query-gpu=index,name,driver_version,memory.total
    /// --format=csv,noheader,nounits` output, one line each (memory in MiB). Lines that do not
    /// have those four fields are left out.
    package static func parse(_ output: String) -> [GPUInfo] {
        output.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 4, let index = Int(fields[0]), let mib = Int(fields[3]), !fields[1].isEmpty else { return nil }
            return GPUInfo(index: index, name: fields[1], driver: fields[2], memoryBytes: mib << 20)
        }
    }

    /// The machine's GPUs from `nvidia-smi` (on the `PATH`), or a sentence saying why there are
    /// none to report: the tool is missing, failed, or did not answer within 10 seconds.
    package static func current() -> Result<[GPUInfo], GPUQueryFailure> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["nvidia-smi", "--query-gpu=index,name,driver_version,memory.total", "--format=csv,noheader,nounits"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return .failure(GPUQueryFailure(reason: "nvidia-smi could not be started: \(error)")) }
        guard let exit = ChildExit.wait(for: process, timeout: 10) else {
            process.terminate()
            return .failure(GPUQueryFailure(reason: "nvidia-smi did not answer within 10 s"))
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard exit.succeeded else {
            return .failure(GPUQueryFailure(reason: exit == .exited(127) ? "nvidia-smi is not on the PATH" : "nvidia-smi failed (\(exit))"))
        }
        return .success(parse(output))
    }
}

extension GPUInfo {
    /// What a run on CUDA device `index` records besides the CPU's facts: the GPU's model,
    /// driver and memory (from nvidia-smi), the CUDA runtime and cuDNN libtorch was built with,
    /// and the torch.backends switches, which change float32 results on the GPU.
    package static func environment(index: Int) -> [String: Any] {
        var info: [String: Any] = [
            "cuda_runtime": Runtime.cudaRuntimeVersion ?? "none",
            "cudnn": Runtime.cudnnVersion.map(String.init) ?? "none",
            "cuda_backends": Backends.settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
        ]
        switch GPUInfo.current() {
        case .success(let gpus):
            if let gpu = gpus.first(where: { $0.index == index }) {
                info["gpu"] = gpu.name
                info["gpu_driver"] = gpu.driver
                info["gpu_memory_bytes"] = gpu.memoryBytes
            } else {
                info["gpu"] = "unknown (nvidia-smi lists \(gpus.count) GPU\(gpus.count == 1 ? "" : "s"), none with index \(index))"
            }
        case .failure(let failure):
            info["gpu"] = "unknown (\(failure.reason))"
        }
        return info
    }

}

/// Why ``GPUInfo/current()`` has no GPUs to report.
package struct GPUQueryFailure: Error, Sendable, Equatable {
    /// A sentence for the run record.
    package var reason: String
}
