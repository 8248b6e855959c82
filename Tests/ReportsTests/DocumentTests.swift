import Foundation
import Testing
@testable import Reports

@Suite struct DocumentTests {
    @Test func documentsRoundTripThroughJSON() throws {
        let doc = ReportDocument(
            title: "t", preamble: "p",
            run: RunInfo(id: "r", experiment: "t", status: "succeeded", startedAt: Date(timeIntervalSince1970: 0), endedAt: nil,
                         commit: nil, branch: nil, remote: nil, dirty: nil, seed: 1, smoke: false, failedStep: nil,
                         error: nil, errorLocation: nil, environment: ["libtorch": "2.13.0"]),
            config: [ConfigEntry(key: "k", value: "1")],
            steps: [StepSection(name: "s", kind: "data", prose: "", source: "lab.data(\"s\") { _ in 1 }", sourceLine: 3,
                                cacheHit: true, status: "succeeded", seconds: 0.1, metrics: [],
                                series: [Series(name: "loss", points: [SeriesPoint(x: 0, value: 1)])],
                                items: [.table(name: "t", Table(columns: ["a"], rows: [["1"]]))])],
            epilogue: "", metrics: [MetricEntry(step: "s", name: "m", value: 0.5)])
        let data = try JSONEncoder().encode(doc)
        #expect(try JSONDecoder().decode(ReportDocument.self, from: data) == doc)
    }
}
