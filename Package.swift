// swift-tools-version:6.1
//
// Lab links the libtorch that ships inside a PyTorch 2.x installation (its
// `include/` and `lib/` folders), through the shim in Packages/CTorch, which looks for it the
// same way; this manifest only checks that it is there. It is found, in order, at:
//   1. $LIBTORCH                          (any PyTorch 2.x `torch` package folder)
//   2. .venv/lib/python3.*/site-packages/torch   (made by scripts/install-deps)
// See ARCHITECTURE.md, "The engine".
import Foundation
import PackageDescription

let packageRoot = Context.packageDirectory

func findLibtorch() -> String? {
    let fm = FileManager.default
    func valid(_ path: String) -> Bool {
        fm.fileExists(atPath: path + "/include/ATen/ATen.h") && fm.fileExists(atPath: path + "/lib")
    }
    if let env = Context.environment["LIBTORCH"], !env.isEmpty {
        return valid(env) ? env : nil
    }
    let lib = packageRoot + "/.venv/lib"
    if let pythons = try? fm.contentsOfDirectory(atPath: lib) {
        for python in pythons.sorted() where python.hasPrefix("python3") {
            let candidate = "\(lib)/\(python)/site-packages/torch"
            if valid(candidate) { return candidate }
        }
    }
    return nil
}

guard findLibtorch() != nil else {
    let where_ = Context.environment["LIBTORCH"].map { "LIBTORCH=\($0) has no include/ATen/ATen.h" }
        ?? "no .venv/lib/python3.*/site-packages/torch"
    FileHandle.standardError.write(Data(
        "error: libtorch not found (\(where_)). Run scripts/install-deps, or set LIBTORCH to a PyTorch 2.x 'torch' folder.\n".utf8))
    exit(1)
}

let package = Package(
    name: "Lab",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Torch", targets: ["Torch"]),
        // Experiment files are compiled against this one shared library (see ARCHITECTURE.md).
        .library(name: "Lab", type: .dynamic, targets: ["Lab"]),
        .executable(name: "lab", targets: ["LabCLI"]),
        .executable(name: "torch-demo", targets: ["TorchDemo"]),
    ],
    dependencies: [
        // The C shim over libtorch (libCTorch.so); it finds libtorch as findLibtorch above does.
        .package(path: "Packages/CTorch"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
        // Parses experiment files for cache keys (see ARCHITECTURE.md, "What a key covers").
        .package(url: "https://github.com/swiftlang/swift-syntax", exact: "603.0.1"),
        // ONNX export: onnx.pb.swift is generated once (scripts/generate-onnx-swift) and committed.
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        // `lab serve`: HTTP (Hummingbird, without its swift-configuration trait) and Prometheus metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
    ],
    targets: [
        .target(
            name: "Torch",
            // The shim is its own package so that it is a shared library, libCTorch.so (see Packages/CTorch).
            dependencies: [.product(name: "CTorch", package: "CTorch")],
            swiftSettings: [.unsafeFlags(["-cross-module-optimization"])]
        ),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // What the seed guide teaches, as reusable parts: encoders, attention, contrastive
        // learning, adapters, quantization, datasets.
        .target(name: "Multimodal", dependencies: ["Torch", "CZlib", .product(name: "SwiftProtobuf", package: "swift-protobuf")], exclude: ["Data/WORDNET-LICENSE"],
                resources: [.copy("Resources/digits.csv.gz"), .copy("Resources/DIGITS-LICENSE")]),
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]),
        .target(
            name: "Lab",
            dependencies: ["Torch", "Multimodal", "Reports", "CGit2", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "GRDBSQLite", package: "GRDB.swift"),
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "SwiftSyntax", package: "swift-syntax"),
                           .product(name: "SwiftParser", package: "swift-syntax"),
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Renders run documents (Markdown, HTML, JSON, SVG): knows run records, not tensors.
        .target(name: "Reports", dependencies: [.product(name: "Ink", package: "Ink")]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // `lab serve`: an HTTP server over exported TorchScript models, with dynamic batching.
        // It knows export folders (export.json + .pt files), not runs or experiments.
        .target(
            name: "Serve",
            dependencies: ["Torch", "Multimodal", "CPNG",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        .executableTarget(
            name: "LabCLI",
            dependencies: ["Lab", "Serve", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "TorchDemo", dependencies: ["Torch"]),
        .executableTarget(name: "TorchBench", dependencies: ["Torch", "Multimodal"], path: "bench/TorchBench"),
        .executableTarget(name: "LabBench", dependencies: ["Lab", .product(name: "Crypto", package: "swift-crypto")],
                          path: "bench/LabBench"),
        .testTarget(
            name: "TorchTests",
            dependencies: ["Torch"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "LabTests", dependencies: ["Lab"]),
        .testTarget(name: "MultimodalTests", dependencies: ["Multimodal"], exclude: ["Fixtures"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"], exclude: ["Golden"]),
        .testTarget(name: "ServeTests", dependencies: ["Serve", .product(name: "HummingbirdTesting", package: "hummingbird")]),
    ],
    cxxLanguageStandard: .cxx20
)
