import ArgumentParser
import Crypto
import Foundation
import Lab

/// `lab bundle FILE… --out DIR`: a folder that runs the experiments on a machine with a
/// libtorch and no Swift. It holds the `lab` runner and the compiled experiment binaries
/// (stripped), the Swift runtime and every other library they load that is not the C library,
/// the C++ runtime or libtorch, the C shim's sources (compiled again by `setup` against another
/// libtorch), the experiment sources and `bundle.json`. See ARCHITECTURE.md, "Bundles".
struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Make a folder that runs these experiments with a libtorch and no Swift toolchain.",
        discussion: """
        On the target: DIR/setup [--libtorch PATH] (compiles the shim with c++ when that libtorch \
        is another version or a CUDA build), then DIR/lab run DIR/experiments/NAME.swift.
        """)

    @Argument(help: "The experiment files.")
    var files: [String]

    @Option(help: ArgumentHelp("The folder to write (must not exist, or be empty).", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("Compile the shim against this libtorch now (a PyTorch 2.x 'torch' folder) instead of shipping the one Lab was built with.", valueName: "path"))
    var libtorch: String?

    @Flag(help: "Also write DIR.tar.xz, the bundle compressed for copying.")
    var archive = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one experiment file") }
        for file in files { try ExperimentFile.validate(URL(fileURLWithPath: file)) }
        let names = files.map { URL(fileURLWithPath: $0).lastPathComponent }
        if let twice = Dictionary(grouping: names, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw ValidationError("two experiment files are named \(twice): a bundle keeps one file per name")
        }
        let fm = FileManager.default
        if fm.fileExists(atPath: out), !((try? fm.contentsOfDirectory(atPath: out))?.isEmpty ?? false) {
            throw ValidationError("--out \(out) exists and is not empty: remove it or choose another folder")
        }
        if BundleManifest.current() != nil {
            throw ValidationError("this runner belongs to a bundle, which cannot compile: make bundles from a Lab checkout's build")
        }
    }

    func run() throws {
        let fm = FileManager.default
        setenv("LAB_ROOT", ProjectRoot.find(experimentFile: files[0]), 1)
        let compiler = try ExperimentCompiler()
        let root = URL(fileURLWithPath: out).standardizedFileURL
        for folder in ["libexec/experiments", "lib", "shim/include", "experiments"] {
            try fm.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }

        // The experiments: compiled (or taken from .lab/bin), stripped, with their sources.
        var entries: [BundleManifest.Experiment] = []
        var elves: [URL] = []
        for file in files {
            let url = URL(fileURLWithPath: file)
            let binary = try compiler.binary(for: url)
            let name = url.deletingPathExtension().lastPathComponent
            let source = try Data(contentsOf: url)
            try source.write(to: root.appendingPathComponent("experiments/\(url.lastPathComponent)"))
            let target = root.appendingPathComponent("libexec/experiments/\(name)")
            try Self.copyStripped(binary, to: target)
            elves.append(binary)
            entries.append(.init(name: name, source: "experiments/\(url.lastPathComponent)",
                                 sha256: FileIO.hex(SHA256.hash(data: source)), binary: "libexec/experiments/\(name)"))
        }

        // The runner and the two libraries of the build.
        let labExecutable = URL(fileURLWithPath: (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        try Self.copyStripped(labExecutable, to: root.appendingPathComponent("libexec/lab"))
        for library in ["libLab.so", "libCTorch.so"] {
            let url = compiler.buildFolder.appendingPathComponent(library)
            guard fm.fileExists(atPath: url.path) else { throw LabBundleError("\(url.path) is missing: build Lab first (swift build -c release)") }
            try Self.copyStripped(url, to: root.appendingPathComponent("lib/\(library)"))
        }
        elves += [labExecutable, compiler.buildFolder.appendingPathComponent("libLab.so")]

        // Every other library they load, but the system's own and libtorch's.
        let torchLib = try Self.libtorchFolder(of: compiler.buildFolder.appendingPathComponent("libCTorch.so"))
        var copied: Set<String> = ["libLab.so", "libCTorch.so"]
        for elf in elves {
            for (name, path) in try Self.dependencies(of: elf)
            where !copied.contains(name) && !Self.systemLibraries.contains(name) && !path.hasPrefix(torchLib + "/") {
                try Self.copyStripped(URL(fileURLWithPath: path), to: root.appendingPathComponent("lib/\(name)"))
                copied.insert(name)
            }
        }

        // The shim's sources (and Gloo's headers, which distributed.cpp includes), for setup.
        let shim = compiler.packageRoot.appendingPathComponent("Packages/CTorch/Sources/CTorch")
        for item in try fm.contentsOfDirectory(atPath: shim.path) where item.hasSuffix(".cpp") || item.hasSuffix(".hpp") {
            try fm.copyItem(at: shim.appendingPathComponent(item), to: root.appendingPathComponent("shim/\(item)"))
        }
        try fm.copyItem(at: shim.appendingPathComponent("include/ctorch.h"), to: root.appendingPathComponent("shim/include/ctorch.h"))
        if fm.fileExists(atPath: "/usr/include/gloo") {
            try fm.copyItem(atPath: "/usr/include/gloo", toPath: root.appendingPathComponent("shim/include/gloo").path)
        }

        // The scripts, and what the shipped shim was compiled for.
        for (name, text) in [("lab", BundleScripts.lab), ("setup", BundleScripts.setup)] {
            let url = root.appendingPathComponent(name)
            try Data((text + "\n").utf8).write(to: url)
            chmod(url.path, 0o755)
        }
        let shipped = try Self.describeLibtorch(URL(fileURLWithPath: torchLib).deletingLastPathComponent().path)
        try Data((shipped + "\n").utf8).write(to: root.appendingPathComponent("lib/libCTorch.for"))

        let manifest = BundleManifest(
            sourceFingerprint: String(compiler.fingerprint.split(separator: " ").first ?? ""),
            labCommit: (try? Git.inspect(path: compiler.packageRoot.path))??.commit,
            createdAt: ISO8601DateFormatter().string(from: Date()),
            shimLibtorch: shipped, glibc: Self.glibcVersion(), experiments: entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: root.appendingPathComponent(BundleManifest.fileName))

        // Ready here: point it at this libtorch, or compile the shim for the one named.
        try Self.runSetup(root, libtorch: libtorch ?? URL(fileURLWithPath: torchLib).deletingLastPathComponent().path)

        let bytes = Self.size(of: root)
        print("bundle: \(root.path) (\(entries.count) experiment\(entries.count == 1 ? "" : "s"), \(copied.count) libraries, \(Self.mebibytes(bytes)))")
        if archive {
            let tarball = root.path + ".tar.xz"
            try Self.tar(root, to: tarball)
            let packed = ((try? fm.attributesOfItem(atPath: tarball))?[.size] as? NSNumber)?.int64Value ?? 0
            print("archive: \(tarball) (\(Self.mebibytes(packed)))")
        }
        print("on the target: \(root.lastPathComponent)/setup [--libtorch PATH], then \(root.lastPathComponent)/lab run \(root.lastPathComponent)/experiments/\(URL(fileURLWithPath: files[0]).lastPathComponent)")
    }

    /// Libraries every Linux machine with a C++ compiler has, and which must come from it (the
    /// C library and its loader, the C++ runtime libtorch also uses).
    static let systemLibraries: Set<String> = [
        "linux-vdso.so.1", "ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0",
        "librt.so.1", "libresolv.so.2", "libutil.so.1", "libstdc++.so.6", "libgcc_s.so.1",
    ]

    /// `ldd`'s resolved dependencies of `elf`: soname → path.
    /// - Throws: when the loader cannot find one of them (the bundle would lack it).
    static func dependencies(of elf: URL) throws -> [(String, String)] {
        let output = try capture("/usr/bin/env", ["ldd", elf.path])
        return try output.split(whereSeparator: \.isNewline).compactMap { line in
            if line.contains("not found") {
                throw LabBundleError("\(elf.path) needs a library the loader cannot find: \(line.trimmingCharacters(in: .whitespaces))")
            }
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 3, parts[1] == "=>", parts[2].hasPrefix("/") else { return nil }
            return (String(parts[0]), String(parts[2]))
        }
    }

    /// The folder of the libtorch.so that `shim` loads.
    static func libtorchFolder(of shim: URL) throws -> String {
        guard let torch = try dependencies(of: shim).first(where: { $0.0 == "libc10.so" }) else {
            throw LabBundleError("\(shim.path) does not load libc10.so (libtorch)")
        }
        return URL(fileURLWithPath: torch.1).deletingLastPathComponent().path
    }

    /// "VERSION cuda=CUDA" from a torch folder's version.py, as setup writes it.
    static func describeLibtorch(_ torch: String) throws -> String {
        guard let text = try? String(contentsOfFile: torch + "/version.py", encoding: .utf8) else {
            throw LabBundleError("\(torch) has no version.py: name a PyTorch 2.x 'torch' folder")
        }
        func value(_ key: String) -> String? {
            for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix(key) {
                let parts = line.split(separator: "'")
                if parts.count >= 2, line.drop(while: { $0 != "=" }).dropFirst().trimmingCharacters(in: .whitespaces).hasPrefix("'") {
                    return String(parts[1])
                }
            }
            return nil
        }
        return "\(value("__version__") ?? "unknown") cuda=\(value("cuda") ?? "none")"
    }

    /// The C library's version, from `ldd --version` ("ldd (Debian GLIBC 2.36-9) 2.36" → "2.36").
    static func glibcVersion() -> String {
        let first = ((try? capture("/usr/bin/env", ["ldd", "--version"])) ?? "").split(whereSeparator: \.isNewline).first ?? ""
        return first.split(separator: " ").last.map(String.init) ?? "unknown"
    }

    static func copyStripped(_ source: URL, to target: URL) throws {
        let fm = FileManager.default
        try? fm.removeItem(at: target)
        if (try? capture("/usr/bin/env", ["strip", "--strip-unneeded", "-o", target.path, source.path])) == nil {
            try fm.copyItem(at: source, to: target)   // no strip (binutils): the file as it is
        }
        chmod(target.path, 0o755)
    }

    static func runSetup(_ root: URL, libtorch: String) throws {
        let process = Process()
        process.executableURL = root.appendingPathComponent("setup")
        process.arguments = ["--libtorch", libtorch]
        try process.run()
        guard let exit = ChildExit.wait(for: process), exit.succeeded else {
            throw LabBundleError("\(root.path)/setup --libtorch \(libtorch) failed (its message is above)")
        }
    }

    static func tar(_ root: URL, to tarball: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tar", "-C", root.deletingLastPathComponent().path, "-cJf", tarball, root.lastPathComponent]
        var environment = ProcessInfo.processInfo.environment
        environment["XZ_OPT"] = "-9 -T0"
        process.environment = environment
        try process.run()
        guard ChildExit.wait(for: process)?.succeeded == true else { throw LabBundleError("tar could not write \(tarball)") }
    }

    /// Runs a tool and returns its standard output; throws when it fails.
    static func capture(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        guard ChildExit.wait(for: process)?.succeeded == true else { throw LabBundleError("\(arguments.first ?? executable) failed") }
        return String(decoding: data, as: UTF8.self)
    }

    static func size(of folder: URL) -> Int64 {
        var total: Int64 = 0
        let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            if let values = try? url.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey]), values.isRegularFile == true {
                total += Int64(values.fileSize ?? 0)
            }
        }
        return total
    }

    static func mebibytes(_ bytes: Int64) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
}
