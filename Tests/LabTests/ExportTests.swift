import Foundation
import Lab
import Testing

/// `lab export` through the real `lab`: a run's trained network rebuilt by its factory under
/// the run's config, with the weights of the run's cache entry, written as ONNX and
/// safetensors, and checked in onnxruntime against the same weights in Lab.
@Suite(.serialized) struct ExportTests {
    static let experiment = """
    import Lab

    //: # Exportable
    struct Config: ExperimentConfig {
        var width = 6
        var epochs = 3
    }

    struct Images: Codable { var x: Tensor; var y: Tensor; var tokenizer: Tokenizer }

    /// A module Lab has no ONNX form for.
    final class Doubler: Module, Layer {
        let linear = Linear(64, 2)
        func callAsFunction(_ x: Tensor) -> Tensor { linear(x.flatten(start: 1)) * 2 }
    }

    let experiment = Experiment("exportable", config: Config()) { lab in
        let data = lab.data("data") { ctx in
            manualSeed(1)
            return Images(x: Tensor.randn([16, 1, 8, 8]), y: Tensor.randn([16, ctx.config.width]),
                          tokenizer: Tokenizer(training: ["a red square", "a blue circle"]))
        }
        let encoder = lab.train("encoder", data, model: { ctx in ImageEncoder(imageSize: 8, channels: [4], embeddingDim: ctx.config.width) }) { ctx, model, data in
            let optimizer = AdamW(model.parameters(), learningRate: 0.01)
            var loss = 0.0
            for _ in 0..<ctx.config.epochs {
                let l = F.mseLoss(model(data.x), data.y)
                optimizer.zeroGrad()
                l.backward()
                optimizer.step()
                loss = l.item()
            }
            return loss
        }
        lab.train("doubler", data, model: { _ in Doubler() }) { _, model, data in model(data.x).mean().item() }
        lab.eval("score", encoder) { ctx, trained in ctx.metric("loss", trained.result) }
    }

    Lab.main(experiment)
    """

    func sandbox() throws -> (Sandbox, String) {
        let box = try Sandbox()
        try FileManager.default.createDirectory(at: box.root.appendingPathComponent("experiments"), withIntermediateDirectories: true)
        try box.write("experiments/exportable.swift", Self.experiment)
        try box.commitAll("exportable")
        let run = try box.lab("run", "experiments/exportable.swift", "--set", "width=5")
        #expect(run.status == 0, "\(run.output)")
        return (box, try #require(run.runId, "\(run.output)"))
    }

    @Test func aTrainedEncoderIsExportedAndRunsInOnnxruntimeAsInLab() throws {
        let (box, id) = try sandbox()
        let onnx = box.root.appendingPathComponent("out/onnx"), weights = box.root.appendingPathComponent("out/st")
        let exported = try box.lab("export", id, "encoder", "--out", onnx.path)
        #expect(exported.status == 0, "\(exported.output)")
        #expect(exported.output.contains("model.onnx") && exported.output.contains("images float32[batch, 1, 8, 8] → embeddings float32[batch, 5]"),
                "the run's --set width=5 reached the factory: \(exported.output)")
        let st = try box.lab("export", id, "encoder", "--format", "safetensors", "--out", weights.path)
        #expect(st.status == 0, "\(st.output)")
        let script = box.root.appendingPathComponent("out/ts")
        let ts = try box.lab("export", id, "encoder", "--format", "torchscript", "--out", script.path)
        #expect(ts.status == 0 && ts.output.contains("model.pt"), "\(ts.output)")

        let manifest = try JSONDecoder().decode(ModelExport.Manifest.self, from: Data(contentsOf: onnx.appendingPathComponent("export.json")))
        #expect(manifest.module == "ImageEncoder" && manifest.metadata["lab.run"] == id && manifest.metadata["lab.step"] == "encoder")
        #expect(manifest.metadata["lab.config"]?.contains("\"width\":5") == true, "\(manifest.metadata)")
        #expect(manifest.tokenizer?.vocabulary.prefix(3) == ["<pad>", "<unk>", "a"], "the data step's tokenizer is described")

        // The same weights in Lab: the safetensors export loads into the same encoder by name and shape.
        let encoder = ImageEncoder(imageSize: 8, channels: [4], embeddingDim: 5)
        let file = try Safetensors.load(weights.appendingPathComponent("model.safetensors").path, memoryMapped: false)
        try encoder.loadStateDict(file.tensors)
        encoder.eval()
        manualSeed(9)
        let x = Tensor.randn([3, 1, 8, 8])
        let check = box.root.appendingPathComponent("check/encoder")
        try FileManager.default.createDirectory(at: check, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: onnx.appendingPathComponent("model.onnx"), to: check.appendingPathComponent("model.onnx"))
        try FileManager.default.copyItem(at: script.appendingPathComponent("model.pt"), to: check.appendingPathComponent("model.pt"))
        try Safetensors.save(["images": x], to: check.appendingPathComponent("inputs-0.safetensors").path)
        try Safetensors.save(["embeddings": withNoGrad { encoder(x) }], to: check.appendingPathComponent("expected-0.safetensors").path)
        let python = Sandbox.packageRoot.appendingPathComponent(".venv/bin/python").path
        let checked = try box.run(python, [Sandbox.packageRoot.appendingPathComponent("scripts/check-onnx.py").path, box.root.appendingPathComponent("check").path])
        let verdict = try #require(try JSONSerialization.jsonObject(with: Data(checked.output.utf8)) as? [String: Any], "\(checked.output)")
        #expect(verdict["ok"] as? Bool == true, "\(verdict)")
        #expect((verdict["max_abs"] as? Double ?? 1) < 1e-5, "\(verdict)")
        #expect((verdict["torchscript_max_abs"] as? Double ?? 1) < 1e-5, "torch.jit.load runs the .pt at batch 3: \(verdict)")
        // The trained weights, not a fresh factory's: training moved them off a re-seeded initialization.
        manualSeed(0)
        let fresh = ImageEncoder(imageSize: 8, channels: [4], embeddingDim: 5)
        #expect(fresh.projection.weight.asArray(Float.self) != encoder.projection.weight.asArray(Float.self))
    }

    @Test func badRequestsNameWhatToFix() throws {
        let (box, id) = try sandbox()
        let ambiguous = try box.lab("export", id)
        #expect(ambiguous.status == 2 && ambiguous.output.contains("has 2 training steps: name one (encoder, doubler)"), "\(ambiguous.output)")
        let eval = try box.lab("export", id, "score")
        #expect(eval.status == 2 && eval.output.contains("step 'score' is a step of kind eval; only training steps (lab.train) hold a model: encoder, doubler"),
                "\(eval.output)")
        let unknown = try box.lab("export", id, "nope")
        #expect(unknown.status == 2 && unknown.output.contains("exportable has no step 'nope'; its training steps: encoder, doubler"), "\(unknown.output)")
        let custom = try box.lab("export", id, "doubler")
        #expect(custom.status == 2 && custom.output.contains("cannot export Doubler to ONNX: it does not describe its inputs (ONNXModel)"), "\(custom.output)")
        let customWeights = try box.lab("export", id, "doubler", "--format", "safetensors", "--out", box.root.appendingPathComponent("d").path)
        #expect(customWeights.status == 0, "any module's weights export as safetensors: \(customWeights.output)")

        try FileManager.default.removeItem(at: box.root.appendingPathComponent(".lab/cache"))
        let gone = try box.lab("export", id, "encoder")
        #expect(gone.status == 2 && gone.output.contains("the cache entry run \(id) recorded for step 'encoder'") && gone.output.contains("is not in"),
                "\(gone.output)")
    }
}
