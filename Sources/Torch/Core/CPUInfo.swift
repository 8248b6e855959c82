import Foundation

/// The processor libtorch runs on, as far as its results depend on it.
///
/// libtorch picks kernels by CPU: ATen's vectorized paths (`DEFAULT`, `AVX2`, `AVX512`),
/// and MKL's and oneDNN's own dispatch. The same ops on the same libtorch therefore give
/// the same bits on one processor but may differ in the last bits between two (an AMD EPYC
/// with AVX2 and an Intel Xeon with AVX-512, say). Fixtures and run provenance record this
/// so that a difference can be traced to the machine.
public struct CPUInfo: Sendable, Equatable, CustomStringConvertible {
    /// The instruction-set extensions that change which kernels libtorch, MKL and oneDNN run.
    public static let vectorFlags = [
        "sse4_2", "avx", "fma", "f16c", "avx2", "avx512f", "avx512bw", "avx512vl",
        "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_int8",
    ]

    /// The model name (`/proc/cpuinfo`'s `model name`), or `"unknown"`.
    public var model: String
    /// Those of ``vectorFlags`` the processor has, in that order.
    public var vectorExtensions: [String]
    /// The ATen kernel set this process uses: `ATEN_CPU_CAPABILITY` when set, else the best
    /// the flags allow, chosen as ATen does (`AVX512` needs avx512f/bw/vl, `AVX2` needs avx2
    /// and fma).
    public var atenCapability: String

    /// Creates a description from its parts; ``current`` describes this machine.
    public init(model: String, vectorExtensions: [String], atenCapability: String) {
        self.model = model
        self.vectorExtensions = vectorExtensions
        self.atenCapability = atenCapability
    }

    /// The processor this process runs on (read once from `/proc/cpuinfo`).
    public static let current: CPUInfo = {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        func field(_ name: String) -> String? {
            for line in text.split(separator: "\n") where line.hasPrefix(name) {
                if let colon = line.firstIndex(of: ":") {
                    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }
        let have = Set((field("flags") ?? "").split(separator: " ").map(String.init))
        let flags = vectorFlags.filter(have.contains)
        var capability: String
        if ["avx512f", "avx512bw", "avx512vl"].allSatisfy(have.contains) {
            capability = "AVX512"
        } else if have.contains("avx2") && have.contains("fma") {
            capability = "AVX2"
        } else {
            capability = "DEFAULT"
        }
        if let forced = ProcessInfo.processInfo.environment["ATEN_CPU_CAPABILITY"], !forced.isEmpty {
            capability = forced.uppercased()
        }
        return CPUInfo(model: field("model name") ?? "unknown", vectorExtensions: flags, atenCapability: capability)
    }()

    /// "AMD EPYC (sse4_2 avx fma f16c avx2; ATen AVX2)".
    public var description: String {
        "\(model) (\(vectorExtensions.joined(separator: " ")); ATen \(atenCapability))"
    }

    /// Reads the `machine.*` entries that `scripts/fixture_machine.py` writes into a
    /// fixture file's metadata; nil when the file has none.
    public init?(fixtureMetadata metadata: [String: String]) {
        guard let model = metadata["machine.cpu"] else { return nil }
        self.init(model: model,
                  vectorExtensions: (metadata["machine.vector"] ?? "").split(separator: " ").map(String.init),
                  atenCapability: metadata["machine.aten_capability"] ?? "unknown")
    }
}
