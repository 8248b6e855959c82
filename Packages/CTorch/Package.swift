// swift-tools-version:6.1
//
// The plain-C shim over libtorch, the project's only C++, as its own package so that it is
// a shared library (libCTorch.so) that Lab's Swift code links by name: `lab bundle` ships the
// Swift binaries unchanged and compiles this shim again against another machine's libtorch
// (see ARCHITECTURE.md, "Bundles"). The libtorch is found, in order, at:
//   1. $LIBTORCH                                  (any PyTorch 2.x `torch` package folder)
//   2. ../../.venv/lib/python3.*/site-packages/torch   (made by scripts/install-deps)
import Foundation
import PackageDescription

let projectRoot = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().deletingLastPathComponent().path

func findLibtorch() -> String? {
    let fm = FileManager.default
    func valid(_ path: String) -> Bool {
        fm.fileExists(atPath: path + "/include/ATen/ATen.h") && fm.fileExists(atPath: path + "/lib")
    }
    if let env = Context.environment["LIBTORCH"], !env.isEmpty {
        return valid(env) ? env : nil
    }
    let lib = projectRoot + "/.venv/lib"
    if let pythons = try? fm.contentsOfDirectory(atPath: lib) {
        for python in pythons.sorted() where python.hasPrefix("python3") {
            let candidate = "\(lib)/\(python)/site-packages/torch"
            if valid(candidate) { return candidate }
        }
    }
    return nil
}

guard let libtorch = findLibtorch() else {
    let where_ = Context.environment["LIBTORCH"].map { "LIBTORCH=\($0) has no include/ATen/ATen.h" }
        ?? "no .venv/lib/python3.*/site-packages/torch"
    FileHandle.standardError.write(Data(
        "error: libtorch not found (\(where_)). Run scripts/install-deps, or set LIBTORCH to a PyTorch 2.x 'torch' folder.\n".utf8))
    exit(1)
}

// A CUDA build of PyTorch has libtorch_cuda beside libtorch_cpu: linked (kept even though no
// symbol of it is named, since loading it is what registers CUDA with ATen), Device.cuda works.
// Without it the build is CPU-only and CUDA calls fail with a message saying so.
let cudaLinking: [LinkerSetting] = FileManager.default.fileExists(atPath: libtorch + "/lib/libtorch_cuda.so")
    ? [.unsafeFlags(["-Xlinker", "--no-as-needed", "-Xlinker", "-ltorch_cuda"])]
    : []

let package = Package(
    name: "CTorch",
    products: [
        .library(name: "CTorch", type: .dynamic, targets: ["CTorch"]),
    ],
    targets: [
        .target(
            name: "CTorch",
            cxxSettings: [
                .unsafeFlags([
                    "-std=c++20", "-O2", "-w",
                    "-I", libtorch + "/include",
                    "-I", libtorch + "/include/torch/csrc/api/include",
                ]),
            ],
            linkerSettings: [
                .unsafeFlags([
                    "-L", libtorch + "/lib",
                    "-Xlinker", "-rpath", "-Xlinker", libtorch + "/lib",
                ]),
                .linkedLibrary("torch"),
                .linkedLibrary("torch_cpu"),
                .linkedLibrary("c10"),
                .linkedLibrary("stdc++"),
            ] + cudaLinking
        ),
    ],
    cxxLanguageStandard: .cxx20
)
