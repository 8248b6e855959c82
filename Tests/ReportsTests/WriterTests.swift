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
        #expect(markdown == """
            # Experiments

            The latest run of each experiment. Written by `lab run`; do not edit.

            | Experiment | Status | Commit | Date | Metrics | Report |
            | --- | --- | --- | --- | --- | --- |
            | a b\\|&lt;script&gt;(x) | succeeded | `abcdef0` | 2025-06-15 15:06:40 UTC | eval/m1 0.3333<br>eval/m2 0.6667<br>eval/m3 1<br>eval/m4 1.333 | [README](a%20b%7C%3Cscript%3E%28x%29/README.md) · [HTML](a%20b%7C%3Cscript%3E%28x%29/index.html) |
            | zeta | failed | — | 2025-06-15 15:06:40 UTC |  | [README](zeta/README.md) · [HTML](zeta/index.html) |

            """)
        #expect(ReportWriter.indexMarkdown([]).hasSuffix("No experiment has run yet.\n"))
    }
}
