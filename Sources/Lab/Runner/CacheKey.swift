import Crypto
import Foundation

/// A step's cache key: SHA-256 over an explicit list of parts, each hashed on its own so
/// that `--explain` can say which part changed.
///
/// Counted: the step's kind and name; its source text, normalized (comments, prose and
/// layout do not count); the file's shared code outside every step and outside the config
/// type (helpers a step may call); the config fields the step reads (all of them when its
/// reads cannot be tracked); the keys of its upstream steps; its seed; `--smoke`; the device;
/// the library fingerprint (Lab's own sources and the libtorch version).
///
/// Not counted: prose and comments, other steps' code, step order, the run id, time, the
/// machine, and config fields the step does not read.
public struct CacheKey: Sendable, Equatable {
    /// Part name → hex SHA-256 of the part.
    public let parts: [String: String]
    /// The config fields the key covers (nil: all of them, reads not tracked).
    public let configFields: [String]?

    /// The key: SHA-256 of the parts in name order.
    public var hex: String {
        sha256Hex(parts.keys.sorted().map { "\($0)=\(parts[$0]!)" }.joined(separator: "\n"))
    }

    static let partNames = ["step", "source", "shared", "config", "upstream", "seed", "mode", "library"]

    /// The parts as the run store, `results.json` and `BINARY keys` keep them: with
    /// `config.fields`, the fields the key covers (`*` for all).
    var recordedParts: [String: String] {
        var parts = self.parts
        parts["config.fields"] = configFields?.joined(separator: ",") ?? "*"
        return parts
    }
}

func sha256Hex(_ text: String) -> String { sha256Hex(Data(text.utf8)) }

func sha256Hex(_ data: Data) -> String {
    FileIO.hex(SHA256.hash(data: data))
}

/// The seed of a step: the first 8 bytes of SHA-256(root seed, step name), so that steps get
/// independent streams and renaming one step does not change another's.
func stepSeed(root: UInt64, step: String) -> UInt64 {
    let digest = Array(SHA256.hash(data: Data("\(root):\(step)".utf8)))
    return digest.prefix(8).reduce(0) { ($0 << 8) | UInt64($1) } & 0x7FFF_FFFF_FFFF_FFFF
}
