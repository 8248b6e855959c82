import Foundation
import Testing
@testable import Torch

/// The PyTorch reference values written by scripts/make-fixtures.py.
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    nonisolated(unsafe) private static var cache: [String: Safetensors.File] = [:]
    private static let lock = NSLock()

    static func load(_ name: String) -> Safetensors.File {
        lock.lock()
        defer { lock.unlock() }
        if let file = cache[name] { return file }
        let file = try! Safetensors.load(directory.appendingPathComponent("\(name).safetensors").path)
        cache[name] = file
        return file
    }

    nonisolated(unsafe) private static var freshFiles: [String: Safetensors.File]?

    /// Reference values written now, on this machine, by the project's `.venv` PyTorch
    /// (`scripts/make-fixtures.py --only optim layers autocast --out DIR`, once per test process):
    /// where the same ops run on the same libtorch and CPU, Lab must match them bit for bit.
    /// Nil, with a recorded issue, when that Python is missing or the script fails.
    static func fresh(_ name: String) -> Safetensors.File? {
        lock.lock()
        defer { lock.unlock() }
        if freshFiles == nil { freshFiles = writeFresh(["optim", "layers", "autocast"]) }
        guard let file = freshFiles?[name] else {
            Issue.record("no fresh reference values for '\(name)' (see the issue above)")
            return nil
        }
        return file
    }

    private static func writeFresh(_ families: [String]) -> [String: Safetensors.File] {
        let root = directory.appendingPathComponent("../../..").standardized
        let python = root.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            Issue.record("no project Python at \(python): run scripts/install-deps")
            return [:]
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lab-fixtures-\(getpid())")
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [root.appendingPathComponent("scripts/make-fixtures.py").path, "--only"] + families + ["--out", out.path]
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        do { try process.run() } catch {
            Issue.record("cannot run \(python): \(error)")
            return [:]
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            Issue.record("scripts/make-fixtures.py --only \(families.joined(separator: " ")) failed (\(process.terminationStatus)): \(message)")
            return [:]
        }
        var files: [String: Safetensors.File] = [:]
        for family in families {
            do { files[family] = try Safetensors.load(out.appendingPathComponent("\(family).safetensors").path, memoryMapped: false) }
            catch { Issue.record("fresh \(family) values: \(error)") }
        }
        return files
    }

    /// Where the fixtures loaded so far were written, beside this machine: appended to every
    /// failed comparison, since libtorch's float results differ in the last bits between CPUs.
    static var machines: String {
        lock.lock()
        defer { lock.unlock() }
        let written = Set(cache.values.map { CPUInfo(fixtureMetadata: $0.metadata)?.description ?? "an unrecorded CPU" })
        return "[fixtures written on \(written.sorted().joined(separator: "; ")); this machine: \(CPUInfo.current)]"
    }
}

/// Checks shape, then values within `atol + rtol·|expected|`, naming the worst element.
func expectClose(_ actual: Tensor?, _ expected: Tensor?, rtol: Double = 1e-5, atol: Double = 1e-6, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard let actual, let expected else {
        Issue.record("\(what): missing tensor (actual \(actual == nil ? "nil" : "present"), expected \(expected == nil ? "nil" : "present"))",
                     sourceLocation: sourceLocation)
        return
    }
    guard actual.shape == expected.shape else {
        Issue.record("\(what): shape \(actual.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    if expected.count == 0 { return }
    let a = actual.detached().to(.float64), e = expected.detached().to(.float64)
    let diff = (a - e).abs()
    let allowed = e.abs() * rtol + atol
    let bad = (diff .> allowed).logicalAnd(e.isfinite()).any().item() != 0
    let nanMismatch = (a.isnan() .!= e.isnan()).any().item() != 0
    if bad || nanMismatch {
        Issue.record("\(what): max |difference| \(diff.nan0().max().item()) exceeds atol \(atol) + rtol \(rtol)·|expected| \(Fixture.machines)",
                     sourceLocation: sourceLocation)
    }
}

/// Exact equality of shape, dtype and every bit of the values.
func expectIdentical(_ actual: Tensor?, _ expected: Tensor?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let actual, let expected else { Issue.record("\(what): missing tensor", sourceLocation: sourceLocation); return }
    #expect(actual.shape == expected.shape, "\(what): shape", sourceLocation: sourceLocation)
    #expect(actual.dtype == expected.dtype, "\(what): dtype", sourceLocation: sourceLocation)
    let a = actual.detached().contiguous().to(.cpu), e = expected.detached().contiguous().to(.cpu)
    let same = rawBytes(a) == rawBytes(e)
    #expect(same, "\(what): values differ in their bits \(Fixture.machines)", sourceLocation: sourceLocation)
}

func rawBytes(_ t: Tensor) -> [UInt8] {
    // Reinterpret the elements as bytes through a uint8 view of the same storage.
    let n = t.count * t.dtype.byteSize
    if n == 0 { return [] }
    let flat = t.contiguous().reshape(-1)
    let view = Ops.call("aten::view", overload: "dtype", [.tensor(flat.dtype == .bool ? flat.to(.uint8) : flat), .int(Int(DType.uint8.rawValue))]).tensor(0)
    return view.asArray(UInt8.self)
}

extension Tensor {
    /// NaN → 0, for reporting.
    func nan0() -> Tensor { Tensor.where(isnan(), zerosLike(), self) }
}

/// Resident memory of this process in bytes (Linux /proc).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}
