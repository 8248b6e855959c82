import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Reports

/// SVG charts: well-formed, escaped, finite, small, with nice ticks and a PNG that decodes.
@Suite struct SVGChartTests {
    // MARK: Well-formed XML

    /// One of each chart, including the edge cases, for the checks that apply to all.
    static let samples: [(name: String, svg: String)] = {
        let wave = (0..<500).map { SeriesPoint(x: $0 * 10, value: 1 / Double($0 + 1) + 0.05 * sin(Double($0))) }
        let digits = (0..<10).map { digit in (0..<784).map { UInt8(($0 * (digit + 1)) % 256) } }
        return [
            ("lines", SVGChart.lines([Series(name: "train", points: wave), Series(name: "val", points: wave.map {
                SeriesPoint(x: $0.x, value: $0.value * 1.1) })], yLabel: "loss")),
            ("lines-log", SVGChart.lines([Series(name: "loss", points: wave)], yLabel: "loss", logScale: true)),
            ("lines-empty", SVGChart.lines([], yLabel: "loss")),
            ("lines-all-nan", SVGChart.lines([Series(name: "a", points: [SeriesPoint(x: 0, value: .nan)])], yLabel: "y")),
            ("heatmap", SVGChart.heatmap(values: [[5, 1], [0, 7]], rowLabels: ["cat", "dog"],
                                         columnLabels: ["cat", "dog"], title: "Confusion")),
            ("heatmap-large", SVGChart.heatmap(values: (0..<40).map { r in (0..<40).map { Double(r * $0) } },
                                               rowLabels: (0..<40).map { "token \($0)" },
                                               columnLabels: (0..<40).map { "token number \($0)" }, title: "Attention")),
            ("heatmap-empty", SVGChart.heatmap(values: [], rowLabels: [], columnLabels: [], title: "none")),
            ("images", SVGChart.imageGrid(ImageGrid(width: 28, height: 28, pixels: digits,
                                                    captions: (0..<10).map { "digit \($0)" }))),
            ("images-empty", SVGChart.imageGrid(ImageGrid(width: 28, height: 28, pixels: [], captions: []))),
        ]
    }()

    @Test(arguments: samples.map(\.name))
    func chartIsWellFormedXML(name: String) throws {
        let svg = try #require(Self.samples.first { $0.name == name }?.svg)
        let parsed = try ParsedSVG(svg)
        #expect(parsed.root == "svg")
        #expect(svg.contains("viewBox=\"0 0 "))
        try expectXmllintAccepts(svg)
    }

    @Test(arguments: samples.map(\.name))
    func coordinatesAreFiniteAndNothingIsFetched(name: String) throws {
        let svg = try #require(Self.samples.first { $0.name == name }?.svg)
        for (attribute, value) in try ParsedSVG(svg).numericAttributes {
            #expect(!value.lowercased().contains("nan") && !value.lowercased().contains("inf"),
                    "\(attribute)=\"\(value)\" in \(name)")
        }
        #expect(!svg.contains("<script"))
        #expect(!svg.contains("http://") || svg.components(separatedBy: "http://").count == 2,
                "only the SVG namespace may be a URL")
        #expect(!svg.contains("https://"))
    }

    @Test func emptyInputSaysNoData() throws {
        for name in ["lines-empty", "lines-all-nan", "heatmap-empty", "images-empty"] {
            let svg = try #require(Self.samples.first { $0.name == name }?.svg)
            #expect(try ParsedSVG(svg).texts.contains("no data"), "\(name)")
        }
    }

    // MARK: Escaping

    static let hostile = ["<script>alert(1)</script>", "\"]]>", "Tom & Jerry's <b>", "</text><script>x</script>"]

    @Test func escapeReplacesTheFiveSpecialCharacters() {
        #expect(XML.escape("<a href=\"x\">Tom & 'Jerry'</a>")
                == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;")
        #expect(XML.escape("\"]]>") == "&quot;]]&gt;")
        #expect(XML.escape("plain ü 字") == "plain ü 字")
        // Control characters cannot appear in XML even as references.
        #expect(XML.escape("a\u{0}b\u{1B}c\td") == "a\u{FFFD}b\u{FFFD}c\td")
    }

    @Test(arguments: hostile)
    func hostileStringsInEveryLabelComeOutAsText(_ evil: String) throws {
        let charts = [
            SVGChart.lines([Series(name: evil, points: [SeriesPoint(x: 0, value: 1), SeriesPoint(x: 1, value: 2)])],
                           xLabel: evil, yLabel: evil),
            SVGChart.lines([], yLabel: evil),
            SVGChart.heatmap(values: [[1, 2], [3, 4]], rowLabels: [evil, "b"], columnLabels: ["c", evil], title: evil),
            SVGChart.imageGrid(ImageGrid(width: 2, height: 2, pixels: [[0, 255, 255, 0]], captions: [evil])),
        ]
        for svg in charts {
            let parsed = try ParsedSVG(svg)
            #expect(!parsed.elements.contains("script"))
            #expect(!svg.contains("<script"))
            #expect(parsed.texts.contains(evil), "\(evil) is not a text of \(parsed.texts)")
            try expectXmllintAccepts(svg)
        }
        // The line chart shows the x label, the y label and the legend entry: three times.
        let lines = try ParsedSVG(charts[0])
        #expect(lines.texts.filter { $0 == evil }.count >= 3)
    }

    // MARK: Ticks and labels

    @Test func linearTicksAreNice() {
        func expectTicks(_ scale: AxisScale, _ expected: [Double]) {
            #expect(scale.ticks.count == expected.count, "\(scale.ticks)")
            for (tick, value) in zip(scale.ticks, expected) { #expect(abs(tick - value) < 1e-12, "\(scale.ticks)") }
        }
        expectTicks(.linear(minimum: 0, maximum: 1, targetTicks: 5), [0, 0.2, 0.4, 0.6, 0.8, 1])
        expectTicks(.linear(minimum: 0.13, maximum: 0.87, targetTicks: 5), [0, 0.2, 0.4, 0.6, 0.8, 1])
        expectTicks(.linear(minimum: 0.003, maximum: 870, targetTicks: 5), [0, 200, 400, 600, 800, 1000])
        expectTicks(.linear(minimum: -3.7, maximum: 12, targetTicks: 5), [-5, 0, 5, 10, 15])
        expectTicks(.linear(minimum: 0, maximum: 98_000, targetTicks: 5, integerSteps: true),
                    [0, 20_000, 40_000, 60_000, 80_000, 100_000])
        expectTicks(.linear(minimum: 0, maximum: 3, targetTicks: 8, integerSteps: true), [0, 1, 2, 3])
        expectTicks(.linear(minimum: 2.5, maximum: 2.5, targetTicks: 4), [2.2, 2.4, 2.6, 2.8])
        #expect(AxisScale.niceStep(0.0031) == 0.002 || AxisScale.niceStep(0.0031) == 0.005)
        for raw in [0.013, 0.7, 3.3, 47.0, 123_456.0] {
            let step = AxisScale.niceStep(raw)
            let mantissa = step / pow(10, log10(step).rounded(.down))
            #expect([1, 2, 5].contains { abs(mantissa - $0) < 1e-9 }, "\(raw) → \(step)")
        }
    }

    @Test func logTicksAreDecades() {
        let scale = AxisScale.log(minimum: 0.003, maximum: 870)
        #expect(scale.ticks.count == 7)
        for (tick, exponent) in zip(scale.ticks, -3...3) { #expect(abs(log10(tick) - Double(exponent)) < 1e-12) }
        #expect(scale.ticks.map(scale.label) == ["1e-3", "0.01", "0.1", "1", "10", "100", "1k"])
        // Twenty decades are labelled every third: at most eight ticks.
        let wide = AxisScale.log(minimum: 1e-10, maximum: 1e10, maxTicks: 8)
        #expect(wide.ticks.count <= 8)
        #expect(wide.ticks.first! <= 1e-10 && wide.ticks.last! >= 1e10)
    }

    @Test func tickLabelsAreCompact() {
        let cases: [(Double, Double?, String)] = [
            (0, nil, "0"), (1000, nil, "1k"), (2500, nil, "2.5k"), (1_000_000, nil, "1M"), (0.0025, nil, "2.5e-3"),
            (0.5, nil, "0.5"), (-1500, 500, "-1.5k"), (0.6000000000000001, 0.2, "0.6"), (5.5e-17, 0.1, "0"),
            (999_999, nil, "1M"), (123.456, nil, "123"), (3e20, nil, "3e20"), (0.00999999, nil, "0.01"),
        ]
        for (value, resolution, expected) in cases {
            #expect(NumberFormat.compact(value, resolution: resolution) == expected, "\(value)")
        }
    }

    // MARK: Line charts

    @Test func nonFiniteValuesAreSkippedAsGaps() throws {
        let values: [Double] = [1, 2, .nan, 3, 4, .infinity, 5, -.infinity, 6, 7]
        let series = Series(name: "s", points: values.enumerated().map { SeriesPoint(x: $0.offset, value: $0.element) })
        let svg = SVGChart.lines([series], yLabel: "y")
        let path = try #require(try ParsedSVG(svg).pathData.first)
        // Four runs of finite points: 1 2 | 3 4 | 5 | 6 7 — a lone point is drawn as a dot.
        #expect(path.filter { $0 == "M" }.count == 4)
        #expect(path.contains("h0"))
        #expect(try ParsedSVG(svg).texts.contains { $0.contains("3 NaN/±∞ values skipped") })
    }

    @Test func logScaleSkipsNonPositiveValuesWithANote() throws {
        let values: [Double] = [10, 1, 0, -1, 0.1, 0.01]
        let series = Series(name: "s", points: values.enumerated().map { SeriesPoint(x: $0.offset, value: $0.element) })
        let parsed = try ParsedSVG(SVGChart.lines([series], yLabel: "y", logScale: true))
        #expect(parsed.texts.contains { $0.contains("2 values ≤ 0 not shown on the log scale") })
        #expect(parsed.texts.contains("1e-3") == false && parsed.texts.contains("0.01") && parsed.texts.contains("10"))
    }

    @Test func everySeriesHasALegendEntryAndDistinctStyle() throws {
        let series = (0..<10).map { index in
            Series(name: "run \(index)", points: (0..<5).map { SeriesPoint(x: $0, value: Double($0 * index)) })
        }
        let svg = SVGChart.lines(series, yLabel: "accuracy")
        let parsed = try ParsedSVG(svg)
        for index in 0..<10 { #expect(parsed.texts.contains("run \(index)")) }
        let styles = parsed.seriesStyles
        #expect(styles.count == 10)
        #expect(Set(styles).count == 10, "each series needs its own colour or dash: \(styles)")
    }

    @Test func longSeriesAreReducedBelow200KB() throws {
        var generator = SystemRandomNumberGenerator()
        let noisy = (0..<4).map { run in
            Series(name: "run \(run)", points: (0..<100_000).map {
                SeriesPoint(x: $0, value: 2 * exp(-Double($0) / 20_000) + Double.random(in: 0..<0.3, using: &generator))
            })
        }
        for count in [1, 4] {
            let svg = SVGChart.lines(Array(noisy.prefix(count)), yLabel: "loss")
            #expect(svg.utf8.count < 200_000, "\(count) × 100k points: \(svg.utf8.count) bytes")
            #expect(try ParsedSVG(svg).pathData.count == count)
        }
        let logSVG = SVGChart.lines([noisy[0]], yLabel: "loss", logScale: true)
        #expect(logSVG.utf8.count < 200_000)
    }

    @Test func decimationKeepsTheExtremesOfEachColumn() {
        // 1000 points in 10 pixel columns, a spike at 555: the spike must survive.
        let decimator = LineDecimator(project: { x, value in (x / 100, -value) }, positiveOnly: false)
        let points = (0..<1000).map { SeriesPoint(x: $0, value: $0 == 555 ? 100 : 0) }
        let (segments, skipped) = decimator.segments(of: points)
        #expect(segments.count == 1 && skipped == LineDecimator.Skipped())
        #expect(segments[0].count <= 40)
        #expect(segments[0].contains { $0.y == -100 })
        #expect(segments[0].first!.x == 0 && segments[0].last!.x == 9.99)
    }

    // MARK: Heat maps

    @Test func heatmapHasOneCellPerValue() throws {
        for (rows, columns) in [(3, 4), (12, 12), (20, 30)] {
            let values = (0..<rows).map { r in (0..<columns).map { Double(r * columns + $0) } }
            let svg = SVGChart.heatmap(values: values, rowLabels: (0..<rows).map { "r\($0)" },
                                       columnLabels: (0..<columns).map { "c\($0)" }, title: "t")
            let parsed = try ParsedSVG(svg)
            #expect(parsed.cellRects == rows * columns, "\(rows)×\(columns)")
            // Values are printed only in small matrices.
            let printed = parsed.cellTexts
            #expect(printed == (rows <= 12 && columns <= 12 ? rows * columns : 0), "\(rows)×\(columns)")
        }
    }

    @Test func heatmapShowsMinAndMaxOnTheColourBar() throws {
        let parsed = try ParsedSVG(SVGChart.heatmap(values: [[0.25, .nan], [3, 1500]], rowLabels: ["a", "b"],
                                                    columnLabels: ["c", "d"], title: "t"))
        #expect(parsed.texts.contains("0.25") && parsed.texts.contains("1.5k"))
        #expect(parsed.cellRects == 4)
    }

    // MARK: Image grids

    @Test func imageGridHasAnImagePerPictureAndEightPerRow() throws {
        let grid = ImageGrid(width: 28, height: 28, pixels: Array(repeating: Array(repeating: 128, count: 784), count: 10),
                             captions: (0..<10).map { "pred \($0) (true \(9 - $0))" })
        let svg = SVGChart.imageGrid(grid)
        let parsed = try ParsedSVG(svg)
        #expect(parsed.images.count == 10)
        #expect(Set(parsed.images.map(\.y)).count == 2)
        #expect(Set(parsed.images.map(\.x)).count == 8)
        #expect(parsed.images.allSatisfy { $0.href.hasPrefix("data:image/png;base64,") })
        // Inline PNGs keep a 28×28 image near 1.2 KB of base64.
        #expect(svg.utf8.count < 10 * 1_600 + 4_000)
    }
}

/// Caption wrapping and truncation for labels.
@Suite struct TextMetricsTests {
    @Test func captionsWrapAtSpacesThenInsideLongWords() {
        #expect(TextMetrics.wrap("pred 7 (true 2)", toWidth: 200, fontSize: 11, maxLines: 2) == ["pred 7 (true 2)"])
        let two = TextMetrics.wrap("predicted seven, true two", toWidth: 90, fontSize: 11, maxLines: 2)
        #expect(two.count == 2 && two.joined(separator: " ") == "predicted seven, true two", "\(two)")
        let long = TextMetrics.wrap("<script>alert(1)</script>", toWidth: 84, fontSize: 11, maxLines: 2)
        #expect(long.count == 2 && long[0].hasPrefix("<script>"), "\(long)")
        for line in long { #expect(TextMetrics.width(line, fontSize: 11) <= 84) }
        let cut = TextMetrics.wrap(String(repeating: "word ", count: 40), toWidth: 84, fontSize: 11, maxLines: 2)
        #expect(cut.count == 2 && cut[1].hasSuffix("…"))
    }
}
