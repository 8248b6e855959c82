import Foundation
import Testing
import Torch
@testable import Multimodal

/// all-MiniLM-L6-v2 (installed by scripts/install-deps) in Lab, against `tokenizers` and a
/// PyTorch forward of the same weights (fixtures by scripts/make-pretrained-fixtures.py).
@Suite(.serialized) struct PretrainedTextTests {
    static let folder = try! PretrainedModels.folder("all-MiniLM-L6-v2")

    /// Identical ids on 3,038 strings: vocabulary sentences, made-up words, accents, CJK,
    /// emoji, control and zero-width characters, words over 100 characters, empty strings.
    @Test func wordPieceGivesTheIdsOfTheTokenizersPackage() throws {
        let tokenizer = try WordPieceTokenizer(folder: Self.folder)
        let data = try Data(contentsOf: Fixture.directory.appendingPathComponent("wordpiece.json"))
        let cases = (try JSONSerialization.jsonObject(with: data) as! [String: Any])["cases"] as! [[String: Any]]
        #expect(cases.count > 3000)
        var wrong: [String] = []
        for c in cases {
            let text = c["text"] as! String, expected = c["ids"] as! [Int]
            let ids = tokenizer.encode(text)
            if ids != expected { wrong.append("\(text.debugDescription): \(ids) vs \(expected)") }
        }
        #expect(wrong.isEmpty, "\(wrong.count) of \(cases.count) differ, e.g. \(wrong.prefix(5))")
        #expect(tokenizer.encode("It's so sunny outside!") == [101, 2009, 1005, 1055, 2061, 11559, 2648, 999, 102])
    }

    @Test func batchesPadCutAndMask() throws {
        let tokenizer = try WordPieceTokenizer(folder: Self.folder)
        let (ids, mask) = tokenizer.batch(["a coat", "the weather is lovely today", ""], maxLength: 6)
        #expect(ids.shape == [3, 6] && mask.shape == [3, 6])
        #expect(ids[0].asArray(Int.self) == [101, 1037, 5435, 102, 0, 0])
        #expect(ids[1].asArray(Int.self).last == 102, "a cut text keeps its [SEP]")
        #expect(mask.asArray(Int.self) == [1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    }

    /// Every hidden state within 1e-5 of PyTorch's, and the published example's cosines.
    @Test func miniLMMatchesPyTorchAndThePublishedCosines() throws {
        let encoder = try SentenceEncoder.load(folder: Self.folder)
        encoder.eval()
        let fixture = Fixture.load("minilm")
        let ids = fixture.tensors["ids"]!, mask = fixture.tensors["mask"]!
        let sentences = try JSONDecoder().decode([String].self, from: Data(fixture.metadata["sentences"]!.utf8))
        let (myIDs, myMask) = encoder.tokenize(sentences)
        #expect(myIDs.asArray(Int.self) == ids.asArray(Int.self) && myMask.asArray(Int.self) == mask.asArray(Int.self))
        let states = withNoGrad { encoder.bert.hiddenStates(ids: ids, mask: mask) }
        #expect(states.count == 7)
        for (i, state) in states.enumerated() {
            let keep = mask.to(.float32).unsqueeze(-1)        // padding positions are not compared: no one reads them
            expectClose(state * keep, fixture.tensors["hidden.\(i)"]! * keep, rtol: 0, atol: 1e-5, "hidden state \(i)")
        }
        let e = encoder.embed(sentences)
        expectClose(e, fixture.tensors["embeddings"]!, rtol: 0, atol: 1e-5, "sentence embeddings")
        let cosine = withNoGrad { e.matmul(e.T) }
        #expect(abs(cosine[0, 1].item() - 0.6660) < 1e-4 && abs(cosine[0, 2].item() - 0.1046) < 1e-4
                && abs(cosine[1, 2].item() - 0.1411) < 1e-4, "\(cosine)")
        #expect(encoder.parameterCount() == 22_565_376, "every tensor of the checkpoint but the pooler")
        #expect(encoder.stateDictKeys().contains("encoder.layer.5.attention.self.query.weight"))
    }

    /// The loader names what is wrong with a folder.
    @Test func aBrokenFolderIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bert-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "no error" } catch { return "\(error)" }
        }
        #expect(message { _ = try BertModel.load(folder: folder) }.contains("config.json"))
        let config = BertConfig(vocabularySize: 30, hiddenSize: 8, layers: 2, heads: 2, intermediateSize: 16, maxPositions: 10)
        var json = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        try json.replacingOccurrences(of: "{", with: "{\"model_type\":\"roberta\",").write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
        #expect(message { _ = try BertModel.load(folder: folder) }.contains("model_type is \"roberta\""))
        json = json.replacingOccurrences(of: "{", with: "{\"model_type\":\"bert\",\"hidden_act\":\"gelu\",")
        try json.write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
        #expect(message { _ = try BertModel.load(folder: folder) }.contains("no model.safetensors"))
        manualSeed(3)
        var weights = BertModel(config).stateDict()
        weights["pooler.dense.weight"] = Tensor.zeros([8, 8])
        try Safetensors.save(weights, to: folder + "/model.safetensors")
        #expect(message { _ = try BertModel.load(folder: folder) } == "no error", "a complete folder loads; the pooler is skipped")
        weights["encoder.layer.1.output.dense.weight"] = nil
        try Safetensors.save(weights, to: folder + "/model.safetensors")
        #expect(message { _ = try BertModel.load(folder: folder) }.contains("no tensor 'encoder.layer.1.output.dense.weight'"))
        weights["encoder.layer.1.output.dense.weight"] = Tensor.zeros([8, 15])
        try Safetensors.save(weights, to: folder + "/model.safetensors")
        #expect(message { _ = try BertModel.load(folder: folder) }.contains("'encoder.layer.1.output.dense.weight' is [8, 15], but config.json makes it [8, 16]"))
        #expect(message { _ = try WordPieceTokenizer(folder: folder) }.contains("tokenizer.json or vocab.txt"))
    }
}
