import Crypto
import Foundation
import Lab

/// `bundle.json`: what a folder made by `lab bundle` holds. The bundle's `lab` finds it beside
/// `libexec/`, and then runs the experiment binaries it lists instead of compiling (a bundle has
/// no Swift compiler).
struct BundleManifest: Codable, Equatable {
    /// One compiled experiment.
    struct Experiment: Codable, Equatable {
        /// The experiment's name (its file's name without `.swift`).
        var name: String
        /// Its source in the bundle, relative to the bundle's folder: `experiments/NAME.swift`.
        var source: String
        /// SHA-256 of the source: the binary runs this file and no other.
        var sha256: String
        /// The binary, relative to the bundle's folder: `libexec/experiments/NAME`.
        var binary: String
    }

    /// The layout's version.
    var schema = 1
    /// The source part of the library fingerprint of the Lab that made the bundle (cache keys
    /// computed in the bundle then match those computed in the checkout, on the same libtorch).
    var sourceFingerprint: String
    /// The Lab commit the bundle was made from, when the checkout is a git repository.
    var labCommit: String?
    /// When it was made (ISO 8601, UTC).
    var createdAt: String
    /// The libtorch the shipped `lib/libCTorch.so` was compiled against: `torch/version.py`'s
    /// version and CUDA ("2.13.0+cpu", "none").
    var shimLibtorch: String
    /// The C library the binaries were linked against (the target needs this version or later).
    var glibc: String
    var experiments: [Experiment]

    static let fileName = "bundle.json"

    /// The manifest of the bundle this `lab` runs from (`<bundle>/libexec/lab`), or nil for a `lab`
    /// in a build folder.
    static func current() -> (root: URL, manifest: BundleManifest)? {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let root = URL(fileURLWithPath: exe).deletingLastPathComponent().deletingLastPathComponent()
        let file = root.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: file.path),
              let data = try? Data(contentsOf: file),
              let manifest = try? JSONDecoder().decode(BundleManifest.self, from: data) else { return nil }
        return (root, manifest)
    }

    /// The binary for the experiment file at `file`, found by the SHA-256 of its content.
    /// - Throws: a `ValidationError` naming the bundled experiments when the file is none of them.
    func binary(for file: URL, root: URL) throws -> URL {
        guard let data = try? Data(contentsOf: file) else {
            throw LabBundleError("cannot read the experiment file '\(file.path)'")
        }
        let digest = FileIO.hex(SHA256.hash(data: data))
        guard let entry = experiments.first(where: { $0.sha256 == digest }) else {
            let names = experiments.map(\.source).joined(separator: ", ")
            throw LabBundleError(
                "'\(file.path)' is not one of this bundle's experiments as they were compiled (\(names)): a bundle has no Swift compiler and runs only the files it was made with; edit the file in a Lab checkout and make a new bundle with `lab bundle`")
        }
        return root.appendingPathComponent(entry.binary)
    }
}

/// A `lab bundle` failure, or a bundled `lab` asked for what the bundle lacks.
struct LabBundleError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
