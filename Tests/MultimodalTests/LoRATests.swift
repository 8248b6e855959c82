import Testing
import Torch
@testable import Multimodal

/// A module with adapter slots declared `any Layer`, so that key paths can swap them.
final class TinyAttentionBlock: Module {
    var query: any Layer = Linear(8, 8)
    var value: any Layer = Linear(8, 8)
    var norm = LayerNorm(8)
    func callAsFunction(_ x: Tensor) -> Tensor { query(norm(x)) + value(x) }
}

@Suite(.serialized) struct LoRATests {
    func make() -> (LoRALinear, Tensor) {
        manualSeed(11)
        let lora = LoRALinear(Linear(20, 12), rank: 4, alpha: 8)
        return (lora, Tensor.randn([6, 20]))
    }

    /// A few SGD steps on a regression target, so that A and B move away from their start.
    func train(_ lora: LoRALinear, _ x: Tensor, steps: Int = 5) {
        let target = Tensor.randn([6, 12])
        let optimizer = SGD(lora.trainableParameters(), learningRate: 0.1)
        for _ in 0..<steps {
            optimizer.zeroGrad()
            F.mseLoss(lora(x), target).backward()
            optimizer.step()
        }
    }

    @Test func atInitOutputIsTheBaseOutputExactly() {
        let (lora, x) = make()
        expectIdentical(lora(x), lora.base(x), "LoRA output with B = 0")
        #expect(lora.loraB.abs().max().item() == 0)
        // A is kaiming-uniform(a = √5): U(±1/√in).
        #expect(lora.loraA.abs().max().item() <= 1 / 20.0.squareRoot())
        #expect(lora.loraA.abs().max().item() > 0.5 / 20.0.squareRoot())
    }

    @Test func onlyTheAdaptersAreTrainable() {
        let (lora, _) = make()
        #expect(lora.trainableParameterCount == 4 * (20 + 12))
        #expect(lora.parameterCount() == 20 * 12 + 12 + 4 * (20 + 12))
        #expect(!lora.base.weight.requiresGrad && !(lora.base.bias?.requiresGrad ?? true))
        #expect(lora.stateDictKeys() == ["weight", "bias", "lora_A.weight", "lora_B.weight"], "peft's keys: the base's, then the factors")
    }

    @Test func trainingChangesOnlyAAndB() {
        let (lora, x) = make()
        let weight = lora.base.weight.clone(), bias = lora.base.bias!.clone()
        let a = lora.loraA.detached().clone(), b = lora.loraB.detached().clone()
        train(lora, x)
        expectIdentical(lora.base.weight, weight, "base weight after training")
        expectIdentical(lora.base.bias!, bias, "base bias after training")
        #expect(maxAbsDifference(lora.loraA, a) > 1e-4, "A changed")
        #expect(maxAbsDifference(lora.loraB, b) > 1e-4, "B changed")
    }

    @Test func mergeGivesTheSameOutputsAndUnmergeRestoresTheWeightsBitForBit() {
        let (lora, x) = make()
        train(lora, x)
        let original = lora.base.weight.clone()
        let unmerged = withNoGrad { lora(x) }
        lora.merge()
        #expect(lora.isMerged)
        #expect(maxAbsDifference(lora.base.weight, original) > 1e-4, "the update is in the weight")
        expectClose(withNoGrad { lora(x) }, unmerged, rtol: 0, atol: 1e-5, "merged output")
        lora.merge()  // a second merge does nothing
        lora.unmerge()
        #expect(!lora.isMerged)
        expectIdentical(lora.base.weight, original, "weight after merge + unmerge")
        expectIdentical(withNoGrad { lora(x) }, unmerged, "output after merge + unmerge")
    }

    @Test func unmergeWithoutTheCopyIsExactToFloat32Rounding() {
        let (lora, x) = make()
        train(lora, x)
        let original = lora.base.weight.clone()
        lora.merge(keepingOriginal: false)
        lora.unmerge()
        let error = maxAbsDifference(lora.base.weight, original)
        #expect(error <= 1e-7, "max |Δweight| after merge + unmerge in float64 arithmetic: \(error)")
    }

    @Test func applyRebuildsASequentialWrappingTheTargets() {
        manualSeed(12)
        let model = Sequential(Linear(6, 10), ReLU(), Sequential(Linear(10, 10), Linear(10, 3)))
        let x = Tensor.randn([4, 6])
        let before = model(x)
        let adapted = LoRA.apply(to: model, targets: { $0 == "0" || $0 == "2.1" }, rank: 2, alpha: 4)
        LoRA.freezeAllButAdapters(adapted)
        #expect(adapted.layers[0] is LoRALinear)
        #expect((adapted.layers[2] as! Sequential).layers[0] is Linear)
        #expect((adapted.layers[2] as! Sequential).layers[1] is LoRALinear)
        #expect(adapted.parameterCount(trainableOnly: true) == 2 * (6 + 10) + 2 * (10 + 3))
        #expect(adapted.stateDictKeys().contains("2.1.lora_B.weight"))
        expectIdentical(adapted(x), before, "adapted model at initialization")
    }

    @Test func applyThroughKeyPathsSwapsAnyLayerSlots() {
        manualSeed(13)
        let block = TinyAttentionBlock()
        let x = Tensor.randn([2, 8])
        let before = block(x)
        let adapters = LoRA.apply(to: block, at: [\.query, \.value, \.query], rank: 2, alpha: 2)
        #expect(adapters.count == 2, "the second \\.query already holds a LoRALinear and is left alone")
        #expect(block.query is LoRALinear && block.value is LoRALinear)
        LoRA.freezeAllButAdapters(block)
        #expect(block.parameterCount(trainableOnly: true) == 2 * 2 * (8 + 8))
        #expect(block.stateDictKeys().contains("query.lora_A.weight"))
        expectIdentical(block(x), before, "block at initialization")
        withNoGrad { for a in adapters { a.loraB.normal_() } }
        let unmerged = withNoGrad { block(x) }
        LoRA.mergeAll(block)
        expectClose(withNoGrad { block(x) }, unmerged, rtol: 0, atol: 1e-5, "merged block")
        LoRA.unmergeAll(block)
        expectIdentical(withNoGrad { block(x) }, unmerged, "unmerged block")
    }

    /// LoRA on the library's own CLIP, in place: every Linear of the text tower (attention's
    /// output projections, the feed-forward layers, the final projection) and the image
    /// tower's projection.
    @Test func loraReachesTheLayersInsideCLIPsTowers() {
        manualSeed(31)
        let clip = CLIP(image: ImageEncoder(imageSize: 8, channels: [4], embeddingDim: 6),
                        text: TextEncoder(vocabularySize: 20, maxLength: 5, width: 8, depth: 2, heads: 2, embeddingDim: 6))
        clip.eval()
        let keysBefore = clip.stateDictKeys()
        let tokens = Tensor((0..<15).map { Int64($0 % 19 + 1) }, shape: [3, 5]), images = Tensor.rand([3, 1, 8, 8])
        let (text0, image0) = withNoGrad { (clip.embed("text", tokens), clip.embed("image", images)) }
        let adapters = LoRA.apply(to: clip, where: { _, _ in true }, attention: { _, _ in true }, rank: 2, alpha: 4)
        let keys = adapters.map(\.key)
        #expect(keys.contains("towers.text.layers.0.self_attn.out_proj") && keys.contains("towers.text.layers.1.linear2")
                && keys.contains("towers.text.projection") && keys.contains("towers.text.layers.1.self_attn.in_proj"), "\(keys)")
        #expect(adapters.filter { $0.adapter is LoRAInProjection }.count == 2, "one in-projection adapter per attention layer")
        // Keys: every old one stays, and each adapted layer gains peft's two.
        let keysAfter = clip.stateDictKeys()
        #expect(Set(keysBefore).isSubset(of: Set(keysAfter)))
        #expect(Set(keysAfter).subtracting(keysBefore) == Set(keys.flatMap { ["\($0).lora_A.weight", "\($0).lora_B.weight"] }))
        // B starts at zero: the same outputs; only the adapters train.
        expectIdentical(withNoGrad { clip.embed("text", tokens) }, text0, "text embedding at B = 0")
        expectIdentical(withNoGrad { clip.embed("image", images) }, image0, "image embedding at B = 0")
        let trainable = Set(clip.namedParameters().filter { $0.1.requiresGrad }.map(\.0))
        #expect(trainable == Set(keys.flatMap { ["\($0).lora_A.weight", "\($0).lora_B.weight"] }), "\(trainable.sorted())")
        // A nonzero update changes the output; merged equals unmerged.
        withNoGrad { for (_, adapter) in adapters { adapter.loraB.copy_(Tensor.randn(adapter.loraB.shape) * 0.1) } }
        let unmerged = withNoGrad { clip.embed("text", tokens) }
        #expect(maxAbsDifference(unmerged, text0) > 1e-4)
        LoRA.mergeAll(clip)
        let merged = withNoGrad { clip.embed("text", tokens) }
        #expect(maxAbsDifference(merged, unmerged) <= 1e-6, "merged vs unmerged: \(maxAbsDifference(merged, unmerged))")
        LoRA.unmergeAll(clip)
        expectIdentical(withNoGrad { clip.embed("text", tokens) }, unmerged, "after unmerge")
        // The gradient reaches A and B through the towers.
        clip.train()
        clip.loss(["image": images, "text": tokens]).backward()
        #expect(adapters.allSatisfy { $0.adapter.loraB.grad != nil }, "every adapter's B has a gradient")
        #expect(LoRA.apply(to: clip, where: { _, _ in true }, attention: { _, _ in true }, rank: 2, alpha: 4).isEmpty,
                "adapted layers are not adapted twice")
    }

    @Test func loraReachesVQAModelsAttentionAndHead() {
        manualSeed(32)
        let model = VQAModel(image: PatchEncoder(imageSize: 16, channels: [4, 8], pooled: 2, dim: 16),
                             vocabularySize: 20, maxLength: 6, answers: 12, heads: 2, reduction: .none)
        model.eval()
        let questions = Tensor((0..<(2 * 5 * 6)).map { Int64($0 % 19 + 1) }, shape: [2, 5, 6]), images = Tensor.rand([2, 1, 16, 16])
        let before = withNoGrad { model(images, questions).logits }
        let adapters = LoRA.apply(to: model, where: { key, _ in key.hasPrefix("attention") || key.hasPrefix("head") }, rank: 2, alpha: 2)
        #expect(!adapters.isEmpty && adapters.allSatisfy { $0.key.hasPrefix("attention") || $0.key.hasPrefix("head") }, "\(adapters.map(\.key))")
        expectIdentical(withNoGrad { model(images, questions).logits }, before, "logits at B = 0")
        withNoGrad { for (_, adapter) in adapters { adapter.loraB.copy_(Tensor.randn(adapter.loraB.shape) * 0.1) } }
        let unmerged = withNoGrad { model(images, questions).logits }
        LoRA.mergeAll(model)
        #expect(maxAbsDifference(withNoGrad { model(images, questions).logits }, unmerged) <= 1e-6)
        #expect(model.namedParameters().filter { $0.1.requiresGrad }.allSatisfy { $0.0.contains(".lora_") })
    }
}
