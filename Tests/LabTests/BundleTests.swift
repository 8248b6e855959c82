import Foundation
import Testing
import Lab

/// `lab bundle`: the folder runs its experiments with the Swift toolchain and the build folder
/// out of sight (hidden by a private mount namespace where the machine allows one), keeps its
/// cache between runs, refuses a file it was not made with, and `setup` compiles the shim
/// again with c++ and the run still works.
@Suite(.serialized) struct BundleTests {
    /// The folder holding the Swift runtime that `lab` was linked against (`libswiftCore.so`'s).
    static func toolchainLibraries() throws -> String {
        let box = try Sandbox(git: false)
        let ldd = try box.run("/usr/bin/env", ["ldd", Sandbox.lab])
        let line = ldd.output.split(separator: "\n").first { $0.contains("libswiftCore.so =>") } ?? ""
        let path = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst(2).first.map(String.init) ?? ""
        return URL(fileURLWithPath: path).deletingLastPathComponent().path
    }

    @Test func aBundleRunsWithoutTheToolchainAndCompilesItsShimAgain() throws {
        let box = try Sandbox()
        try FileManager.default.createDirectory(at: box.root.appendingPathComponent("experiments"), withIntermediateDirectories: true)
        try box.write("experiments/three.swift", threeSteps)
        try box.commitAll("three")
        let bundle = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("lab-bundle-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: bundle) }

        let made = try box.lab("bundle", "experiments/three.swift", "--out", bundle.path)
        #expect(made.status == 0 && made.output.contains("bundle: \(bundle.path) (1 experiment"), "\(made.output)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: bundle.appendingPathComponent("bundle.json"))) as? [String: Any]
        let entries = manifest?["experiments"] as? [[String: Any]] ?? []
        #expect(entries.count == 1 && entries.first?["source"] as? String == "experiments/three.swift")
        #expect((manifest?["shimLibtorch"] as? String)?.hasSuffix("cuda=none") == true)
        for file in ["lab", "setup", "libexec/lab", "libexec/experiments/three", "lib/libLab.so", "lib/libCTorch.so",
                     "lib/libswiftCore.so", "lib/libFoundation.so", "shim/core.cpp", "shim/include/ctorch.h", "experiments/three.swift"] {
            #expect(FileManager.default.fileExists(atPath: bundle.appendingPathComponent(file).path), "\(file) is in the bundle")
        }

        // What the loader resolves with the bundle's library path: nothing from the toolchain or the build folder.
        let toolchain = try Self.toolchainLibraries()
        let build = Sandbox.packageRoot.appendingPathComponent(".build").path
        let torch = try String(contentsOf: bundle.appendingPathComponent("lib/libtorch.path"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        for elf in ["libexec/lab", "libexec/experiments/three", "lib/libLab.so"] {
            let ldd = try box.run("/usr/bin/env", ["ldd", bundle.appendingPathComponent(elf).path],
                                  environment: ["LD_LIBRARY_PATH": bundle.path + "/lib:" + torch + "/lib"])
            #expect(ldd.status == 0 && !ldd.output.contains(toolchain + "/") && !ldd.output.contains(build + "/")
                    && !ldd.output.contains("not found"), "\(elf): \(ldd.output)")
        }

        // Runs, from the bundle's folder, with a bare environment and (where possible) the toolchain hidden.
        let hidden = (try? box.run("/usr/bin/env", ["unshare", "-m", "true"]).status) == 0
        func bundled(_ arguments: String...) throws -> Sandbox.Result {
            let command = "env -i PATH=/usr/bin:/bin HOME=\(bundle.path) ./lab " + arguments.joined(separator: " ")
            if hidden {
                return try box.run("/usr/bin/env", ["unshare", "-m", "sh", "-c",
                    "mount -t tmpfs none '\(toolchain)' && mount -t tmpfs none '\(build)' && \(command)"], in: bundle)
            }
            return try box.run("/bin/sh", ["-c", command], in: bundle)
        }
        let first = try bundled("run", "experiments/three.swift")
        #expect(first.status == 0 && first.output.contains("succeeded") && first.ran.count == 3, "\(first.output)")
        let second = try bundled("run", "experiments/three.swift")
        #expect(second.status == 0 && second.cached.count == 3, "the bundle's .lab/ keeps its cache: \(second.output)")

        // A file the bundle was not made with.
        try (threeSteps.replacingOccurrences(of: "var size = 8", with: "var size = 9"))
            .write(to: bundle.appendingPathComponent("experiments/edited.swift"), atomically: true, encoding: .utf8)
        let edited = try bundled("run", "experiments/edited.swift")
        #expect(edited.status != 0 && edited.output.contains("is not one of this bundle's experiments"), "\(edited.output)")

        // The shim compiled again here with c++, as on a machine with another libtorch.
        let setup = try box.run(bundle.appendingPathComponent("setup").path, ["--rebuild"], in: bundle, timeout: 240)
        #expect(setup.status == 0 && setup.output.contains("setup: compiling the shim for libtorch"), "\(setup.output)")
        let rebuilt = try bundled("run", "experiments/three.swift", "--seed", "3")
        #expect(rebuilt.status == 0 && rebuilt.ran.contains("fit"), "another seed, fit again on the new shim: \(rebuilt.output)")

        // Without a libtorch chosen, or with a wrong one, the scripts say what to do.
        let bad = try box.run(bundle.appendingPathComponent("setup").path, ["--libtorch", "/nonexistent"], in: bundle)
        #expect(bad.status == 2 && bad.output.contains("no libtorch found at '/nonexistent'"), "\(bad.output)")
        try FileManager.default.removeItem(at: bundle.appendingPathComponent("lib/libtorch.path"))
        let unset = try box.run(bundle.appendingPathComponent("lab").path, ["list"], in: bundle)
        #expect(unset.status == 2 && unset.output.contains("setup [--libtorch PATH] first"), "\(unset.output)")
    }

    @Test func aBundleRefusesAnOccupiedFolder() throws {
        let box = try Sandbox()
        try FileManager.default.createDirectory(at: box.root.appendingPathComponent("experiments"), withIntermediateDirectories: true)
        try box.write("experiments/three.swift", threeSteps)
        try box.write("occupied.txt", "x")
        let refused = try box.lab("bundle", "experiments/three.swift", "--out", box.root.path)
        #expect(refused.status != 0 && refused.output.contains("exists and is not empty"), "\(refused.output)")
    }
}
