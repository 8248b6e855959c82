import Foundation
import Testing
@testable import Reports

// Golden files live in Tests/ReportsTests/Golden/. After an intended change to a renderer,
// regenerate them with
//
//     UPDATE_GOLDEN=1 swift test --filter RenderTests
//
// and review the diff of Golden/ like any other change: it shows what a reader will see.
// The HTML golden file has its inline <svg> bodies elided: the charts belong to SVGChart and
// its own tests, and this file pins the page around them.

@Suite struct RenderTests {
    @Test func markdownMatchesGolden() throws {
        let doc = Fixtures.document()
        try expectGolden(MarkdownRenderer.render(doc, figures: FigureFile.figureFiles(doc)), "README.md")
    }

    @Test func htmlMatchesGolden() throws {
        try expectGolden(elidingSVG(HTMLRenderer.render(Fixtures.document())), "index.html")
    }

    @Test func resultsJSONMatchesGolden() throws {
        try expectGolden(JSONRenderer.results(Fixtures.document()), "results.json")
    }

    @Test func resultsFileReadsWhatItWritesAndSchemaOne() throws {
        var doc = Fixtures.document()
        doc.steps[0].key = "abc"
        doc.steps[0].keyParts = ["source": "s1", "config.fields": "*"]
        doc.run.deviations = ["a smoke run (reduced data and steps)"]
        doc.run.environment["regression_thresholds"] = "{\"accuracy\":-0.01}"
        doc.metrics.append(MetricEntry(step: "eval", name: "nan", value: .nan))
        let text = JSONRenderer.results(doc)
        let read = try ResultsFile.decode(Data(text.utf8))
        #expect(read.text == text, "what it writes, it reads back unchanged")
        #expect(read.schema == 2 && read.steps.first?.parts["source"] == "s1" && read.thresholds == ["accuracy": -0.01])
        #expect(read.metrics["eval/nan"]?.isNaN == true && read.deviations.count == 1)
        let old = try ResultsFile.decode(Data(#"{"run_id":"r","experiment":"e","status":"succeeded","commit":null,"dirty":null,"config":{"lr":0.1},"metrics":{"a/b":1},"smoke":false,"seed":0}"#.utf8))
        #expect(old.schema == 1 && old.steps.isEmpty && old.config["lr"] == .double(0.1) && old.metrics == ["a/b": 1])
        #expect(throws: DecodingError.self) { try ResultsFile.decode(Data(#"{"experiment":"e"}"#.utf8)) }
    }

    @Test func markdownParsesAsGFMWithTablesAndFigures() throws {
        let doc = Fixtures.document()
        let figures = FigureFile.figureFiles(doc)
        #expect(figures.map(\.fileName) == ["train-loss.svg", "eval-confusion.svg", "eval-samples.svg"])
        guard let html = try cmarkGFM(MarkdownRenderer.render(doc, figures: figures)) else { return }
        // Config, train metrics, eval metrics, the per-class table, the closing metrics.
        #expect(count("<table>", in: html) == 5)
        #expect(imageSources(in: html) == figures.map { "figures/" + $0.fileName })
        #expect(!html.lowercased().contains("<script"))
        #expect(html.contains("<h3>Step <code>train</code> (train)</h3>"))
        #expect(html.contains("(uncommitted changes)"))
        #expect(html.contains("<code>0123456</code> on <code>main</code>"))
        // The source's ``` run did not end its fenced block early.
        #expect(html.contains("// a run of ``` backticks"))
    }

    @Test func htmlHasNoTidyErrors() throws {
        try expectTidyClean(HTMLRenderer.render(Fixtures.document()))
    }

    @Test func hostileStringsAreInertInMarkdown() throws {
        let doc = Fixtures.hostile()
        let markdown = MarkdownRenderer.render(doc, figures: FigureFile.figureFiles(doc))
        guard let html = try cmarkGFM(markdown) else { return }
        #expect(!html.lowercased().contains("<script"), "cmark-gfm made a <script> element")
        #expect(!html.contains("<a "), "a user string became a link")
        #expect(!html.contains("<b>") && !html.contains("<i>"), "a user string became markup")
        #expect(imageSources(in: html).allSatisfy { $0.hasPrefix("figures/") && !$0.contains(":") })
        for (index, widths) in tableRowWidths(in: html).enumerated() {
            #expect(Set(widths).count == 1, "table \(index) has rows of different widths: \(widths)")
        }
        // The per-class table keeps its three columns despite the pipes in its cells.
        #expect(tableRowWidths(in: html).contains([4, 4, 4, 4]))
        // The error is shown whole, `</details>` and all, inside its code block.
        #expect(html.contains("boom &lt;/details&gt;"))
    }

    @Test func hostileStringsAreInertInHTML() throws {
        let html = HTMLRenderer.render(Fixtures.hostile())
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("<img"))
        let handler = try NSRegularExpression(pattern: #"<[a-z][^>]*[\s"'/]on[a-z]+\s*="#, options: .caseInsensitive)
        let match = handler.firstMatch(in: html, range: NSRange(html.startIndex..., in: html))
        #expect(match == nil, "an event handler attribute: \(match.map { (html as NSString).substring(with: $0.range) } ?? "")")
        #expect(!html.contains("href=\"javascript"))
        try expectTidyClean(html)
    }

    @Test func hostileProseIsCleanedInHTML() throws {
        var doc = Fixtures.document()
        doc.preamble = "Intro <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n" +
            "<iframe src=\"https://example.com\"></iframe>\n\n![remote](https://example.com/x.png)"
        doc.steps[0].prose = "<SCRIPT>alert(2)</SCRIPT>\n\n[y](\"onmouseover=\"alert(1))"
        doc.epilogue = "<div onclick=\"alert(3)\">bye</div>"
        let html = HTMLRenderer.render(doc)
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.lowercased().contains("<iframe"))
        #expect(!html.lowercased().contains("javascript:"))
        #expect(!html.contains("<img src=\"http"), "prose loads a remote image")
        let handler = try NSRegularExpression(pattern: #"<[a-z][^>]*[\s"'/]on[a-z]+\s*="#, options: .caseInsensitive)
        #expect(handler.firstMatch(in: html, range: NSRange(html.startIndex..., in: html)) == nil)
        try expectTidyClean(html)
    }

    @Test func hostileStringsKeepJSONValid() throws {
        let doc = Fixtures.hostile()
        let results = try JSONSerialization.jsonObject(with: Data(JSONRenderer.results(doc).utf8)) as? [String: Any]
        #expect(results?["run_id"] as? String == doc.run.id)
        #expect((results?["config"] as? [String: Any])?["url"] as? String == "javascript:alert(1)")
        let decoded = try JSONDecoder.iso8601.decode(ReportDocument.self, from: Data(JSONRenderer.document(Fixtures.document()).utf8))
        #expect(decoded == Fixtures.document())
    }

    @Test func resultsJSONHoldsConfigValuesAndNullCommit() throws {
        var doc = Fixtures.document()
        doc.run.commit = nil
        doc.run.dirty = nil
        let json = JSONRenderer.results(doc)
        #expect(json.hasSuffix("}\n"))
        #expect(json.contains("\"commit\" : null"))
        #expect(json.contains("\"learningRate\" : 0.001"))
        #expect(json.contains("\"epochs\" : 5"))
        #expect(json.contains("\"optimizer\" : \"adam\""))
        #expect(json.contains("\"train/final_loss\" : 0.09"))
        let markdown = MarkdownRenderer.render(doc, figures: [])
        #expect(markdown.contains("- **Commit:** not in a git repository\n"))
    }

    @Test func failedRunShowsStepErrorAndLocation() throws {
        var doc = Fixtures.document()
        doc.run.status = "failed"; doc.run.failedStep = "eval"; doc.run.errorLocation = "fashion.swift:34"
        doc.run.error = "index out of range"
        doc.steps[2].status = "failed"
        let markdown = MarkdownRenderer.render(doc, figures: FigureFile.figureFiles(doc))
        #expect(markdown.contains("- **Status:** failed in step `eval` at `fashion.swift:34`\n"))
        #expect(markdown.contains("```text\nindex out of range\n```"))
        #expect(markdown.contains("_failed after 1.50 s_"))
        let html = HTMLRenderer.render(doc)
        #expect(html.contains("<span class=\"badge badge-failed\">failed</span> in step <code>eval</code>"))
        #expect(html.contains("<pre class=\"error\"><code>index out of range</code></pre>"))
    }

    @Test func largeDocumentRendersAtAReasonableSize() throws {
        let doc = Fixtures.large()
        #expect(doc.steps.reduce(0) { $0 + $1.series[0].points.count } == 100_000)
        let html = HTMLRenderer.render(doc)
        let markdown = MarkdownRenderer.render(doc, figures: FigureFile.figureFiles(doc))
        #expect(html.utf8.count < 2_000_000, "index.html is \(html.utf8.count) bytes")
        #expect(count("<figure>", in: html) == 10)
        #expect(count("![loss](figures/", in: markdown) == 10)
    }
}

// MARK: - Helpers

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }
}

let goldenFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

/// Compares `actual` with `Golden/<name>`, or rewrites the file when UPDATE_GOLDEN=1.
func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = goldenFolder.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
        try Data(actual.utf8).write(to: url, options: .atomic)
        return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        Issue.record("No golden file \(url.path): run `UPDATE_GOLDEN=1 swift test` once and review it.",
                     sourceLocation: sourceLocation)
        return
    }
    if actual != expected {
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let line = (0..<min(a.count, e.count)).first { a[$0] != e[$0] } ?? min(a.count, e.count)
        Issue.record("""
            \(name) differs from its golden file at line \(line + 1):
              golden: \(line < e.count ? String(e[line]) : "<end of file>")
              actual: \(line < a.count ? String(a[line]) : "<end of file>")
            If the change is intended, run `UPDATE_GOLDEN=1 swift test` and review the diff.
            """, sourceLocation: sourceLocation)
    }
}

/// `html` with each inline `<svg>…</svg>` replaced by `<svg>…</svg>`.
func elidingSVG(_ html: String) -> String {
    let regex = try! NSRegularExpression(pattern: #"<svg\b[\s\S]*?</svg>\s*"#)
    return regex.stringByReplacingMatches(in: html, range: NSRange(html.startIndex..., in: html), withTemplate: "<svg>…</svg>")
}

/// The Markdown as cmark-gfm renders it with GitHub's table extension; raw HTML is let
/// through (`--unsafe`) so that any a renderer leaked shows up.
func cmarkGFM(_ markdown: String) throws -> String? {
    guard let cmark = ExternalTool.find("cmark-gfm") else { return nil }
    let result = try cmark.run(["--unsafe", "-e", "table", "-e", "strikethrough", "-e", "autolink"], input: markdown)
    #expect(result.status == 0, "cmark-gfm failed: \(result.stderr)")
    return result.stdout
}

/// `tidy -q -e` exits 0 (clean) or 1 (warnings only), never 2 (errors).
func expectTidyClean(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    guard let tidy = ExternalTool.find("tidy") else { return }
    let result = try tidy.run(["-q", "-e", "--gnu-emacs", "yes"], input: html)
    #expect(result.status == 0 || result.status == 1, "tidy reports errors:\n\(result.stderr)", sourceLocation: sourceLocation)
}

func count(_ needle: String, in haystack: String) -> Int {
    haystack.components(separatedBy: needle).count - 1
}

/// The `src` of every `<img>`, in order.
func imageSources(in html: String) -> [String] {
    let regex = try! NSRegularExpression(pattern: #"<img src="([^"]*)""#)
    return regex.matches(in: html, range: NSRange(html.startIndex..., in: html)).map {
        String(html[Range($0.range(at: 1), in: html)!])
    }
}

/// For each `<table>`, the number of cells in each row.
func tableRowWidths(in html: String) -> [[Int]] {
    html.components(separatedBy: "<table>").dropFirst().map { table in
        let body = table.components(separatedBy: "</table>")[0]
        return body.components(separatedBy: "<tr>").dropFirst().map { row in
            count("<td", in: row) + count("<th", in: row)
        }
    }
}
