import Foundation
import Testing
import Torch

/// The reference values written by scripts/make-multimodal-fixtures-2.py (loaded through ``Fixture``).
enum EncoderFixture {
    static var mm2: Safetensors.File { Fixture.load("mm2") }

    /// The tensor `name`; a test that asks for a missing one fails here, naming it.
    static func tensor(_ name: String) -> Tensor {
        guard let t = mm2.tensors[name] else { fatalError("mm2.safetensors has no tensor '\(name)'; regenerate the fixtures") }
        return t
    }

    /// Copies the PyTorch model `name`'s state dict into `module` by key, after checking that
    /// the module's keys are PyTorch's, in PyTorch's order.
    static func loadWeights(_ name: String, into module: Module, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expectedKeys = mm2.metadata["\(name).keys"]!.split(separator: ",").map(String.init)
        #expect(module.stateDictKeys() == expectedKeys, "\(name): state-dict keys", sourceLocation: sourceLocation)
        let prefix = "\(name).state."
        var dict: [String: Tensor] = [:]
        for (key, value) in mm2.tensors where key.hasPrefix(prefix) { dict[String(key.dropFirst(prefix.count))] = value }
        try module.loadStateDict(dict)
    }
}

/// Checks shape, then values within `atol + rtol·|expected|`, naming the largest difference.
func expectWithin(_ actual: Tensor, _ expected: Tensor, rtol: Double = 0, atol: Double, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.shape == expected.shape else {
        Issue.record("\(what): shape \(actual.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    let a = actual.detached().to(.float64), e = expected.detached().to(.float64)
    let diff = (a - e).abs()
    let bad = (diff .> (e.abs() * rtol + atol)).any().item() != 0 || a.isfinite().logicalNot().any().item() != 0
    if bad {
        Issue.record("\(what): max |difference| \(diff.max().item()) exceeds atol \(atol) + rtol \(rtol)·|expected|",
                     sourceLocation: sourceLocation)
    }
}
