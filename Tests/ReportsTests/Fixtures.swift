import Foundation
import Reports

/// Report documents for the renderer tests, built from fixed values (dates included) so
/// every rendering is byte-for-byte the same on every machine.
enum Fixtures {
    /// 2025-06-15 15:06:40 UTC. Dates are whole seconds: JSON's ISO-8601 dates keep no more.
    static let started = Date(timeIntervalSince1970: 1_750_000_000)

    /// Three steps: `data` (cached), `train` (a 50-point loss series, a line chart and a
    /// metric), `eval` (a heat map, a table, a text sample and a grid of two 4×4 images).
    static func document() -> ReportDocument {
        let loss = Series(name: "loss", points: (0..<50).map { SeriesPoint(x: $0 * 10, value: 2.0 / Double($0 + 1) + 0.05) })
        let run = RunInfo(
            id: "20250615-150640-a1b2", experiment: "fashion-mlp", status: "succeeded", startedAt: started,
            endedAt: started.addingTimeInterval(83), commit: "0123456789abcdef0123456789abcdef01234567",
            branch: "main", remote: "origin", dirty: true, seed: 42, smoke: false, failedStep: nil, error: nil,
            errorLocation: nil,
            environment: ["libtorch": "2.8.0", "swift": "6.3.1", "os": "Debian 12", "cpu": "AMD EPYC", "threads": "2",
                          "accelerator": "none"])
        let data = StepSection(
            name: "data", kind: "data", prose: "## Data\n\nWe load **Fashion-MNIST** and hold out 10%.",
            source: "@Step func data() -> Dataset {\n    FashionMNIST.load(split: .train)\n}", sourceLine: 12,
            cacheHit: true, status: "succeeded", seconds: 0.04, metrics: [], series: [], items: [])
        let train = StepSection(
            name: "train", kind: "train", prose: "A two-layer MLP with `ReLU`, trained with Adam.",
            source: "@Step func train(data: Dataset) -> Model {\n    // a run of ``` backticks\n    fit(model, data, epochs: config.epochs)\n}",
            sourceLine: 20, cacheHit: false, status: "succeeded", seconds: 61.234,
            metrics: [MetricEntry(step: "train", name: "final_loss", value: 0.09)],
            series: [loss], items: [.figure(name: "loss", .lines(series: ["loss"], yLabel: "loss", logScale: true))])
        let eval = StepSection(
            name: "eval", kind: "eval", prose: "Accuracy on the test split:",
            source: "@Step func eval(model: Model, data: Dataset) -> Metrics {\n    evaluate(model, data.test)\n}",
            sourceLine: 34, cacheHit: false, status: "succeeded", seconds: 1.5,
            metrics: [MetricEntry(step: "eval", name: "accuracy", value: 0.8812), MetricEntry(step: "eval", name: "test_loss", value: 0.3345)],
            series: [],
            items: [
                .figure(name: "confusion", .heatmap(values: [[50, 2, 1], [3, 45, 5], [0, 4, 48]],
                                                   rowLabels: ["shirt", "coat", "bag"], columnLabels: ["shirt", "coat", "bag"],
                                                   title: "Confusion matrix")),
                .table(name: "per class", Table(columns: ["class", "precision", "recall"],
                                                 rows: [["shirt", "0.94", "0.94"], ["coat", "0.88", "0.85"], ["bag", "0.89", "0.92"]])),
                .text(name: "sample prediction", "input: a shirt\npredicted: shirt (0.97)"),
                .images(name: "samples", ImageGrid(width: 4, height: 4, pixels: [Array(0..<16).map { UInt8($0 * 16) },
                                                                                   Array(0..<16).map { UInt8(255 - $0 * 16) }],
                                                   captions: ["shirt", "bag"])),
            ])
        return ReportDocument(
            title: "Fashion-MNIST MLP",
            preamble: "How far does a **small MLP** get on Fashion-MNIST?\n\n- one hidden layer\n- Adam, 5 epochs",
            run: run,
            config: [ConfigEntry(key: "learningRate", value: "0.001"), ConfigEntry(key: "epochs", value: "5"),
                     ConfigEntry(key: "optimizer", value: "\"adam\""), ConfigEntry(key: "normalize", value: "true")],
            steps: [data, train, eval],
            epilogue: "The MLP reaches about 88% — a baseline for the CNN.",
            metrics: train.metrics + eval.metrics)
    }

    static let script = "<script>alert(1)</script>"

    /// Hostile strings in every user field except prose (prose is Markdown by intent; see
    /// `proseIsCleaned`).
    static func hostile() -> ReportDocument {
        var doc = document()
        let evil = "a|b`c`\\d\n<b>e</b> " + script
        doc.title = "Exp " + script + " | `x`"
        doc.run.experiment = "../" + script
        doc.run.id = "run`|" + script
        doc.run.status = "failed"
        doc.run.failedStep = "train" + script
        doc.run.error = "boom </details> " + script + "\n```\n</pre></code>"
        doc.run.errorLocation = "exp.swift:3 " + script
        doc.run.branch = "feature/<img src=x onerror=alert(1)>"
        doc.run.environment["cpu"] = script
        doc.config = [ConfigEntry(key: "k|" + script, value: "\"" + evil + "\""),
                      ConfigEntry(key: "url", value: "\"javascript:alert(1)\"")]
        doc.steps[0].name = "data" + script
        doc.steps[0].kind = "<i>kind</i>|"
        doc.steps[1].source = "let s = \"</code></pre></details>\" + \"" + script + "\"\n// ````` five backticks"
        doc.steps[1].series = [Series(name: "\"]]>" + script, points: doc.steps[1].series[0].points)]
        doc.steps[1].items = [.figure(name: "loss " + script, .lines(series: ["\"]]>" + script, "missing" + script],
                                                                      yLabel: script, logScale: false))]
        doc.steps[1].metrics = [MetricEntry(step: "train", name: "loss|" + script, value: .nan)]
        doc.steps[2].items = [
            .figure(name: "[x](javascript:alert(1))", .heatmap(values: [[1, 2], [3, 4]], rowLabels: [script, "b"],
                                                                columnLabels: ["|", "`"], title: script)),
            .table(name: script, Table(columns: ["a|b", "`c`", script],
                                       rows: [[evil, "x\ny", "![i](javascript:alert(1))"], ["1", "2"], ["|", "||", "\\|", "extra"]])),
            .text(name: "</pre>" + script, "```\n" + script + "\n</pre>"),
            .images(name: "![img](javascript:alert(1))", ImageGrid(width: 4, height: 4, pixels: [Array(repeating: 9, count: 16)],
                                                                   captions: [script])),
        ]
        doc.metrics = [MetricEntry(step: "eval" + script, name: "acc|`x`", value: .infinity)]
        return doc
    }

    /// Ten steps with 10,000 points each.
    static func large() -> ReportDocument {
        var doc = document()
        doc.steps = (0..<10).map { i in
            let series = Series(name: "loss", points: (0..<10_000).map { SeriesPoint(x: $0, value: 1 / Double($0 + 1) + Double(i)) })
            return StepSection(name: "step\(i)", kind: "train", prose: "Step \(i).", source: "@Step func step\(i)() {}",
                               sourceLine: i * 10, cacheHit: false, status: "succeeded", seconds: 1,
                               metrics: [MetricEntry(step: "step\(i)", name: "loss", value: 1)], series: [series],
                               items: [.figure(name: "loss", .lines(series: ["loss"], yLabel: "loss", logScale: false))])
        }
        return doc
    }
}
