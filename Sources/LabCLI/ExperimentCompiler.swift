import ArgumentParser
import Crypto
import Foundation
import Lab

/// Compiles experiment files against the built `Lab` library, caching each binary by the
/// file's content, the library's fingerprint and the compiler, under `.lab/bin/`.
struct ExperimentCompiler {
    /// The folder holding this `lab` executable, `libLab.so` and `Modules/`.
    let buildFolder: URL
    /// The Lab package's root (for the source fingerprint).
    let packageRoot: URL
    /// SHA-256 over the sources a step computes with (Packages/CTorch/Sources/CTorch,
    /// Sources/{Torch,Multimodal,Lab}) and the libtorch version.
    let fingerprint: String

    /// The bundle this `lab` runs from, if any: then experiments are not compiled but looked up
    /// in its manifest, and the fingerprint's source part is the manifest's.
    let bundle: (root: URL, manifest: BundleManifest)?

    init() throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? executable.path
        buildFolder = URL(fileURLWithPath: selfPath).deletingLastPathComponent()
        bundle = BundleManifest.current()
        if let bundle {
            setenv("LAB_BUNDLE_ROOT", bundle.root.path, 1)   // experiment binaries read their bundled source
            packageRoot = bundle.root
            fingerprint = bundle.manifest.sourceFingerprint + " libtorch " + Runtime.libtorchVersion
            return
        }
        var root = buildFolder
        while root.path != "/" && !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
            root = root.deletingLastPathComponent()
        }
        packageRoot = root
        fingerprint = Self.sourceFingerprint(root) + " libtorch " + Runtime.libtorchVersion
    }

    static func sourceFingerprint(_ root: URL) -> String {
        var hasher = SHA256()
        for target in ["Packages/CTorch/Sources/CTorch", "Sources/Torch", "Sources/Multimodal", "Sources/Lab"] {
            let folder = root.appendingPathComponent(target)
            guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { continue }
            let files = walker.compactMap { $0 as? URL }.filter { ["swift", "cpp", "h", "hpp"].contains($0.pathExtension) }
                .sorted { $0.path < $1.path }
            for file in files {
                hasher.update(data: Data(file.path.dropFirst(root.path.count).utf8))
                hasher.update(data: (try? Data(contentsOf: file)) ?? Data())
            }
        }
        return FileIO.hex(hasher.finalize())
    }

    /// The compiled binary for `file`, compiling it when no cached one matches (in a bundle:
    /// the bundled binary of a file with that content).
    func binary(for file: URL) throws -> URL {
        if let bundle { return try bundle.manifest.binary(for: file, root: bundle.root) }
        guard let source = try? Data(contentsOf: file) else {
            throw ValidationError("cannot read the experiment file '\(file.path)'")
        }
        let flags = compileFlags()
        var hasher = SHA256()
        hasher.update(data: source)
        hasher.update(data: Data((file.standardizedFileURL.path + fingerprint + flags.joined(separator: " ")).utf8))
        let digest = FileIO.hex(hasher.finalize())
        let name = file.deletingPathExtension().lastPathComponent
        let bin = projectRoot().appendingPathComponent(".lab/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let binary = bin.appendingPathComponent("\(name)-\(digest.prefix(16))")
        if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
        // About to add a binary: drop what killed compilations left, and this experiment's oldest builds.
        Self.collect(bin: bin, keepNewest: Self.binariesKept, only: name)

        let temporary = bin.appendingPathComponent(".\(name)-\(getpid()).tmp")
        FileHandle.standardError.write(Data("compiling \(file.lastPathComponent)…\n".utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let main = bin.appendingPathComponent(".\(name)-\(getpid()).swift")   // the file behind a MainGuard line
        try Data(ExperimentFile.mainSource(for: file.standardizedFileURL, text: String(decoding: source, as: UTF8.self)).utf8).write(to: main)
        defer { try? FileManager.default.removeItem(at: main) }
        // LLVM-style diagnostics: the location and the offending line, as written. Swift's
        // default style numbers its excerpt by the compiled file, which has the MainGuard line
        // above the experiment's own, so its gutter would be off by two.
        process.arguments = ["swiftc", main.path, "-o", temporary.path, "-diagnostic-style", "llvm"] + flags
        try process.run()
        guard ChildExit.wait(for: process)?.succeeded == true else {
            try? FileManager.default.removeItem(at: temporary)
            throw ExitCode(1)   // swiftc has printed the errors with file and line
        }
        guard rename(temporary.path, binary.path) == 0 else {
            throw ValidationError("cannot move the compiled binary into \(bin.path): \(String(cString: strerror(errno)))")
        }
        return binary
    }

    /// Compiled binaries kept per experiment by ``collect(bin:keepNewest:only:)`` (the
    /// newest by modification time): enough to switch between a few versions of a file.
    static let binariesKept = 3

    /// Cleans `.lab/bin`: removes temporaries of compilations whose process is gone
    /// (`.NAME-PID.tmp`, left by a kill during `swiftc`) and, per experiment, all but the
    /// `keepNewest` newest binaries (`NAME-<hash>`). With `only`, looks at that experiment's
    /// files alone. A binary that a running experiment executes may be removed: Linux
    /// keeps its file until the process ends.
    /// - Returns: how many files were removed and their bytes.
    @discardableResult
    static func collect(bin: URL, keepNewest: Int, only: String? = nil) -> (removed: Int, freedBytes: Int64) {
        let fm = FileManager.default
        var removed = 0
        var freed: Int64 = 0
        var binaries: [String: [(url: URL, modified: Date)]] = [:]
        func remove(_ url: URL) {
            let bytes = ((try? fm.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.int64Value ?? 0
            if (try? fm.removeItem(at: url)) != nil { removed += 1; freed += bytes }
        }
        for file in (try? fm.contentsOfDirectory(atPath: bin.path)) ?? [] {
            let url = bin.appendingPathComponent(file)
            if file.hasPrefix("."), file.hasSuffix(".tmp") {
                // .NAME-PID.tmp
                let stem = file.dropFirst().dropLast(4)
                guard let dash = stem.lastIndex(of: "-"), let pid = Int32(stem[stem.index(after: dash)...]) else { continue }
                if let only, String(stem[..<dash]) != only { continue }
                if kill(pid, 0) != 0 && errno == ESRCH { remove(url) }
                continue
            }
            guard let dash = file.lastIndex(of: "-") else { continue }
            let name = String(file[..<dash]), hash = file[file.index(after: dash)...]
            guard hash.count == 16, hash.allSatisfy(\.isHexDigit) else { continue }
            if let only, name != only { continue }
            let modified = (try? fm.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date ?? .distantPast
            binaries[name, default: []].append((url, modified))
        }
        for (_, builds) in binaries {
            for build in builds.sorted(by: { ($0.modified, $0.url.path) > ($1.modified, $1.url.path) }).dropFirst(max(0, keepNewest)) {
                remove(build.url)
            }
        }
        return (removed, freed)
    }

    /// swiftc flags to import `Lab` (and what it re-exports) and link `libLab.so`.
    func compileFlags() -> [String] {
        let modules = buildFolder.appendingPathComponent("Modules").path
        var flags = ["-module-name", "Experiment", "-Onone", "-I", modules, "-L", buildFolder.path, "-lLab",
                     "-Xlinker", "-rpath", "-Xlinker", buildFolder.path]
        // C modules that Lab's Swift modules were built against: their module maps.
        let fm = FileManager.default
        if let entries = try? fm.contentsOfDirectory(atPath: buildFolder.path) {
            for entry in entries.sorted() where entry.hasSuffix(".build") {
                let map = buildFolder.appendingPathComponent(entry).appendingPathComponent("module.modulemap").path
                if fm.fileExists(atPath: map) { flags += ["-Xcc", "-fmodule-map-file=" + map] }
            }
        }
        for include in ["Packages/CTorch/Sources/CTorch/include", "Sources/CGit2", "Sources/CZlib"] {
            flags += ["-I", packageRoot.appendingPathComponent(include).path]
        }
        // System-library modules of dependencies (GRDB's SQLite, swift-crypto's BoringSSL).
        let checkouts = packageRoot.appendingPathComponent(".build/checkouts")
        for package in ((try? fm.contentsOfDirectory(atPath: checkouts.path)) ?? []).sorted() {
            let sources = checkouts.appendingPathComponent(package).appendingPathComponent("Sources")
            for target in ((try? fm.contentsOfDirectory(atPath: sources.path)) ?? []).sorted() {
                for sub in ["", "include"] {
                    let map = sources.appendingPathComponent(target).appendingPathComponent(sub).appendingPathComponent("module.modulemap").path
                    if fm.fileExists(atPath: map) { flags += ["-Xcc", "-fmodule-map-file=" + map] }
                }
            }
        }
        return flags
    }
}
