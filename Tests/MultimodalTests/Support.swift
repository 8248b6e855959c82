import Foundation
import Testing
import Torch

/// The PyTorch reference values written by scripts/make-multimodal-fixtures.py.
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

    /// Where the fixtures loaded so far were written, beside this machine: appended to every
    /// failed comparison, since libtorch's float results differ in the last bits between CPUs.
    static var machines: String {
        lock.lock()
        defer { lock.unlock() }
        let written = Set(cache.values.map { CPUInfo(fixtureMetadata: $0.metadata)?.description ?? "an unrecorded CPU" })
        return "[fixtures written on \(written.sorted().joined(separator: "; ")); this machine: \(CPUInfo.current)]"
    }

    /// The tensors stored under `prefix.`, with the prefix removed.
    static func group(_ file: String, _ prefix: String) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, v) in load(file).tensors where k.hasPrefix(prefix + ".") { out[String(k.dropFirst(prefix.count + 1))] = v }
        return out
    }
}

/// Checks shape, then values within `atol + rtol·|expected|`, naming the worst difference.
func expectClose(_ actual: Tensor?, _ expected: Tensor?, rtol: Double = 1e-5, atol: Double = 1e-6, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard let actual, let expected else {
        Issue.record("\(what): missing tensor", sourceLocation: sourceLocation)
        return
    }
    guard actual.shape == expected.shape else {
        Issue.record("\(what): shape \(actual.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    if expected.count == 0 { return }
    let a = actual.detached().to(.float64), e = expected.detached().to(.float64)
    let diff = (a - e).abs()
    let bad = (diff .> (e.abs() * rtol + atol)).any().item() != 0 || (a.isnan() .!= e.isnan()).any().item() != 0
    if bad {
        Issue.record("\(what): max |difference| \(diff.max().item()) exceeds atol \(atol) + rtol \(rtol)·|expected| \(Fixture.machines)",
                     sourceLocation: sourceLocation)
    }
}

/// Exact equality of shape, dtype and every bit of the values.
func expectIdentical(_ actual: Tensor, _ expected: Tensor, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(what): shape", sourceLocation: sourceLocation)
    #expect(actual.dtype == expected.dtype, "\(what): dtype", sourceLocation: sourceLocation)
    #expect(rawBytes(actual) == rawBytes(expected), "\(what): values differ in their bits \(Fixture.machines)", sourceLocation: sourceLocation)
}

/// The elements' bytes, through a uint8 view of the same storage.
func rawBytes(_ t: Tensor) -> [UInt8] {
    if t.count == 0 { return [] }
    let flat = t.detached().contiguous().reshape(-1)
    return Ops.call("aten::view", overload: "dtype", [.tensor(flat), .int(Int(DType.uint8.rawValue))]).tensor(0).asArray(UInt8.self)
}

/// max |a − b| in float64.
func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Double {
    (a.detached().to(.float64) - b.detached().to(.float64)).abs().max().item()
}
