import Foundation
import Testing
@testable import Lab
import Torch

private struct SpiralConfig: ExperimentConfig {
    var hidden = 32
    var learningRate = 0.01
    var widths = [1.0, 2.0]
}

/// `--set` overrides: what is refused, by name, before anything runs.
@Suite struct ConfigOverrideTests {
    @Test func aKeyGivenTwiceIsRefusedNamingBothValues() throws {
        #expect(throws: LabError.duplicateConfigKey("hidden", first: "16", second: "32")) {
            try SpiralConfig().overriding(["hidden=16", "hidden=32"])
        }
        #expect(LabError.duplicateConfigKey("hidden", first: "16", second: "32").description
                == "config key 'hidden' is set twice: --set hidden=16 and --set hidden=32. Give each key once")
    }

    @Test(arguments: ["nan", "NaN", "inf", "-inf", "infinity", "1e999"])
    func aNonFiniteValueIsRefusedNamingTheKey(value: String) throws {
        #expect(throws: LabError.nonFiniteConfigValue(key: "learningRate", value: value, type: "Double")) {
            try SpiralConfig().overriding(["learningRate=\(value)"])
        }
    }

    @Test func aNonFiniteArrayElementIsRefusedToo() throws {
        #expect(throws: LabError.nonFiniteConfigValue(key: "widths", value: "[1,nan]", type: "[Double]")) {
            try SpiralConfig().overriding(["widths=[1,nan]"])
        }
        #expect(LabError.nonFiniteConfigValue(key: "learningRate", value: "nan", type: "Double").description
                == "config key 'learningRate' (Double) takes finite numbers only; 'nan' is not finite. "
                + "Configs are recorded as JSON, which has no NaN or infinity: give a finite number, e.g. 1e300")
    }

    @Test func aCodableFieldTakesItsOwnSpellingAndItsErrors() throws {
        struct Mixed: ExperimentConfig {
            var precision = Precision.float32
            var shape = Shape(width: 2, depth: 1)
            struct Shape: Codable, Hashable { var width: Int; var depth: Int }
        }
        #expect(try Mixed().overriding(["precision=bf16"]).precision == .bfloat16)
        #expect(try Mixed().overriding(["precision=\"fp16\""]).precision == .float16)
        #expect(try Mixed().overriding(["shape={\"width\": 8, \"depth\": 3}"]).shape == .init(width: 8, depth: 3))
        #expect(throws: LabError.badConfigValue(key: "precision", value: "fp64",
                                                 type: "Precision (precision 'fp64' is not one of fp32, bf16, fp16)")) {
            try Mixed().overriding(["precision=fp64"])
        }
        #expect(throws: LabError.self) { try Mixed().overriding(["shape={\"width\": 8}"]) }
    }

    @Test func finiteOverridesStillApply() throws {
        let config = try SpiralConfig().overriding(["hidden=16", "learningRate=1e300", "widths=[3,4]"])
        #expect(config.hidden == 16 && config.learningRate == 1e300 && config.widths == [3, 4])
    }
}

/// Step recordings and outputs with NaN and infinities (D14).
@Suite struct NonFiniteCodingTests {
    struct Output: Codable, Equatable { var loss: Double; var curve: [Float] }

    @Test func recordingsWithNonFiniteValuesRoundTrip() throws {
        var recording = StepRecording()
        recording.metrics = ["nan": .nan, "inf": .infinity, "minus": -.infinity, "one": 1]
        recording.series["loss"] = [.init(x: 0, value: 1), .init(x: 1, value: .nan)]
        let data = try NonFinite.encoder().encode(recording)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"nan\":\"nan\"") && text.contains("\"inf\":\"inf\"") && text.contains("\"minus\":\"-inf\""), "\(text)")
        let back = try NonFinite.decoder().decode(StepRecording.self, from: data)
        #expect(back.metrics["nan"]!.isNaN && back.metrics["inf"] == .infinity && back.metrics["minus"] == -.infinity)
        #expect(back.series["loss"]![1].value.isNaN && back.series["loss"]![0].value == 1)
    }

    @Test func outputsWithNonFiniteValuesRoundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lab-nonfinite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = Output(loss: .nan, curve: [1, .infinity, -.infinity])
        try OutputCoding.save(output, step: "work") { data, name in try data.write(to: folder.appendingPathComponent(name)) }
        let json = try String(contentsOf: folder.appendingPathComponent("output.json"), encoding: .utf8)
        #expect(json == #"{"value":{"curve":[1,"inf","-inf"],"loss":"nan"}}"#)
        let back = try OutputCoding.load(Output.self, from: folder)
        #expect(back.loss.isNaN && back.curve == [1, .infinity, -.infinity])
    }
}
