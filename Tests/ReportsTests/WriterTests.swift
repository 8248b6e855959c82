import Foundation
import Testing
@testable import Reports

/// Figure files and the report folder on disk.
struct WriterTests {
    private func temporaryFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lab-reports-\(UUID().uuidString)")
    }

    @Test func figureFileNamesAreSanitizedAndUnique() {
        var doc = Fixtures.document()
        let grid = ImageGrid(width: 1, height: 1, pixels: [[0]], captions: ["x"])
        doc.steps[2].items = [.images(name: "Samples!", grid), .images(name: "samples", grid), .images(name: "../../etc", grid),
                              .images(name: "", grid), .images(name: "ÜBER grid", grid)]
        doc.steps[2].name = "Eval Step"
        #expect(FigureFile.figureFiles(doc).map(\.fileName) == [
            "train-loss.svg", "eval-step-samples.svg", "eval-step-samples-2.svg", "eval-step-etc.svg", "eval-step.svg",
            "eval-step-ber-grid.svg",
        ])
    }

    @Test func lineChartsFindSeriesInTheirStepOrByStepName() {
        var doc = Fixtures.document()
        doc.steps[2].items = [.figure(name: "both", .lines(series: ["train/loss", "loss", "nope/loss"], yLabel: "loss", logScale: false))]
        doc.steps[2].series = [Series(name: "loss", points: [SeriesPoint(x: 0, value: 1)])]
        let figure = FigureFile.figureFiles(doc).last
        #expect(figure?.caption == "train/loss, loss; not found: nope/loss")
        #expect(FigureFile.lookUp("train/loss", in: doc.steps[2], of: doc)?.points.count == 50)
        #expect(FigureFile.lookUp("loss", in: doc.steps[2], of: doc)?.points.count == 1)
    }

    @Test func writeMakesEveryFileAndRemovesStaleFigures() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let figures = folder.appendingPathComponent("figures")
        try FileManager.default.createDirectory(at: figures, withIntermediateDirectories: true)
        try Data("old".utf8).write(to: figures.appendingPathComponent("train-old-chart.svg"))
        try Data("keep".utf8).write(to: figures.appendingPathComponent("notes.txt"))

        try ReportWriter.write(Fixtures.document(), to: folder)

        let files = try FileManager.default.contentsOfDirectory(atPath: figures.path).sorted()
        #expect(files == ["eval-confusion.svg", "eval-samples.svg", "notes.txt", "train-loss.svg"])
        for name in ["README.md", "index.html", "results.json"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path))
        }
        let svg = try String(contentsOf: figures.appendingPathComponent("train-loss.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "temporary files left behind: \(leftovers)")
    }

    @Test func writeReportsAFolderItCannotCreate() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("a file".utf8).write(to: folder)  // a file where the folder should be
        #expect {
            try ReportWriter.write(Fixtures.document(), to: folder)
        } throws: { error in
            guard case ReportsError.cannotWrite(let path, _) = error else { return false }
            return path.hasSuffix("figures") && "\(error)".contains("Check that the reports folder exists and is writable.")
        }
    }

    @Test func indexListsEachExperimentWithSafeLinks() throws {
        let date = Fixtures.started
        let entries = [
            IndexEntry(experiment: "zeta", runId: "r2", status: "failed", commit: nil, date: date, metrics: []),
            IndexEntry(experiment: "a b|<script>(x)", runId: "r1", status: "succeeded", commit: "abcdef0123", date: date,
                       metrics: (1...6).map { MetricEntry(step: "eval", name: "m\($0)", value: Double($0) / 3) }),
        ]
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try ReportWriter.writeIndex(entries, to: folder)
        let markdown = try String(contentsOf: folder.appendingPathComponent("README.md"), encoding: .utf8)
        let hostile = FileName.component("a b|<script>(x)")
        #expect(hostile.hasPrefix("a-b-script-x~"))
        #expect(markdown == """
            # Experiments

            The published run of each experiment, from its folder's `results.json`. Written by `lab run` and `lab report --publish`; do not edit.

            | Experiment | Status | Commit | Date | Metrics | Report |
            | --- | --- | --- | --- | --- | --- |
            | a b\\|&lt;script&gt;(x) | succeeded | `abcdef0` | 2025-06-15 15:06:40 UTC | eval/m1 0.3333<br>eval/m2 0.6667<br>eval/m3 1<br>eval/m4 1.333 | [README](\(hostile)/README.md) · [HTML](\(hostile)/index.html) |
            | zeta | failed | — | 2025-06-15 15:06:40 UTC |  | [README](zeta/README.md) · [HTML](zeta/index.html) |

            """)
        #expect(ReportWriter.indexMarkdown([]).hasSuffix("No experiment has run yet.\n"))
    }

    /// D5: the index line comes from the run whose report is in the folder, not from
    /// whichever run started last; a folder known only by its `results.json` is listed too.
    @Test func indexDescribesTheRunWhoseReportIsInEachFolder() throws {
        let reports = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: reports) }
        var later = Fixtures.document()
        later.run.id = "20250615-150641-late"
        later.metrics = [MetricEntry(step: "eval", name: "accuracy", value: 0.9)]
        var earlier = Fixtures.document()
        earlier.run.id = "20250615-150640-early"
        earlier.metrics = [MetricEntry(step: "eval", name: "accuracy", value: 0.5), MetricEntry(step: "eval", name: "loss", value: .nan)]
        let folder = reports.appendingPathComponent(FileName.component(later.run.experiment))
        try ReportWriter.write(later, to: folder)
        try ReportWriter.write(earlier, to: folder)   // the run that started first finished last
        try FileManager.default.createDirectory(at: reports.appendingPathComponent("no-results"), withIntermediateDirectories: true)
        let entries = IndexEntry.entries(in: reports)
        #expect(entries.map(\.runId) == ["20250615-150640-early"])
        #expect(entries.first?.folder == "fashion-mlp" && entries.first?.experiment == "fashion-mlp" && entries.first?.date == Fixtures.started)
        #expect(entries.first?.metrics.count == 2 && entries.first?.metrics.last?.value.isNaN == true)
        let markdown = ReportWriter.indexMarkdown(entries)
        #expect(markdown.contains("| fashion-mlp | succeeded | `0123456` | 2025-06-15 15:06:40 UTC | eval/accuracy 0.5<br>eval/loss NaN | [README](fashion-mlp/README.md)"),
                "\(markdown)")
    }
}
