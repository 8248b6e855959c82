import Foundation

/// Lays out and draws `SVGChart.lines`.
struct LineChart {
    let series: [Series]
    let xLabel: String
    let yLabel: String
    let logScale: Bool
    let width: Double
    let height: Double

    private let padding = 12.0
    private let tickFont = 11.0
    private let labelFont = 13.0
    private let legendFont = 12.0
    private let legendRow = 18.0
    /// The legend swatch: a short line in the series' colour and dash, then a gap.
    private let swatch = 22.0, swatchGap = 5.0, entryGap = 16.0

    func render() -> String {
        let domain = dataDomain()
        guard domain.xMin <= domain.xMax else {
            return SVGChart.noData(title: yLabel, width: width, note: note(domain.skipped))
        }

        // Vertical layout: legend rows on top, then the plot, then tick labels, the x label
        // and an optional note. The plot keeps at least 100 units of height.
        let legend = legendLayout()
        let plotTop = padding + Double(legend.rows) * legendRow + 8
        let skipNote = note(domain.skipped)
        let bottomMargin = skipNote == nil ? 46.0 : 62.0
        let totalHeight = max(height, plotTop + 100 + bottomMargin)
        let plotBottom = totalHeight - bottomMargin

        // y ticks about every 50 units; the left margin fits the widest y tick label.
        let yScale = logScale
            ? AxisScale.log(minimum: domain.yMin, maximum: domain.yMax, maxTicks: max(3, Int((plotBottom - plotTop) / 28)))
            : AxisScale.linear(minimum: domain.yMin, maximum: domain.yMax, targetTicks: max(2, Int((plotBottom - plotTop) / 50)))
        let yLabels = yScale.ticks.map(yScale.label)
        let widestY = yLabels.map { TextMetrics.width($0, fontSize: tickFont) }.max() ?? 0
        let plotLeft = padding + labelFont + 8 + widestY + 6

        // x ticks: as many as fit without their labels touching.
        var plotRight = width - padding
        var xScale = xAxis(domain, plotWidth: plotRight - plotLeft)
        let lastLabelHalf = TextMetrics.width(xScale.label(xScale.upper), fontSize: tickFont) / 2
        plotRight = width - max(padding, lastLabelHalf + 4)
        xScale = xAxis(domain, plotWidth: plotRight - plotLeft)

        let plot = (left: plotLeft, right: plotRight, top: plotTop, bottom: plotBottom)
        func px(_ x: Double) -> Double { plot.left + xScale.fraction(x) * (plot.right - plot.left) }
        func py(_ y: Double) -> Double { plot.bottom - yScale.fraction(y) * (plot.bottom - plot.top) }

        var svg = SVGWriter(width: width, height: totalHeight, title: "\(yLabel) by \(xLabel)")
        drawLegend(&svg, legend)

        // Grid, axes and tick labels.
        svg.raw("<g class=\"grid\">\n")
        for (tick, label) in zip(yScale.ticks, yLabels) {
            let y = py(tick)
            svg.line(x1: plot.left, y1: y, x2: plot.right, y2: y, stroke: "#e3e3e3")
            svg.text(label, x: plot.left - 6, y: y + tickFont * 0.35, size: tickFont, anchor: "end")
        }
        for tick in xScale.ticks {
            let x = px(tick)
            svg.line(x1: x, y1: plot.top, x2: x, y2: plot.bottom, stroke: "#ececec")
            svg.line(x1: x, y1: plot.bottom, x2: x, y2: plot.bottom + 4, stroke: "#444")
            svg.text(xScale.label(tick), x: x, y: plot.bottom + 17, size: tickFont, anchor: "middle")
        }
        svg.line(x1: plot.left, y1: plot.top, x2: plot.left, y2: plot.bottom, stroke: "#444")
        svg.line(x1: plot.left, y1: plot.bottom, x2: plot.right, y2: plot.bottom, stroke: "#444")
        svg.raw("</g>\n")
        let shownX = TextMetrics.truncate(xLabel, toWidth: plot.right - plot.left, fontSize: labelFont)
        svg.text(shownX, full: xLabel, x: (plot.left + plot.right) / 2, y: plot.bottom + 36, size: labelFont, anchor: "middle")
        let shownY = TextMetrics.truncate(yLabel, toWidth: plot.bottom - plot.top, fontSize: labelFont)
        svg.text(shownY, full: yLabel, x: padding + labelFont - 2, y: (plot.top + plot.bottom) / 2, size: labelFont,
                 anchor: "middle", rotate: -90)

        // The curves. Coordinates are clamped to the plot in case of rounding at the edges.
        let decimator = LineDecimator(project: { x, value in
            (min(max(px(x), plot.left), plot.right), min(max(py(value), plot.top), plot.bottom))
        }, positiveOnly: logScale)
        svg.raw("<g class=\"series\" fill=\"none\" stroke-width=\"1.6\" stroke-linejoin=\"round\" stroke-linecap=\"round\">\n")
        for (index, item) in series.enumerated() {
            let segments = decimator.segments(of: item.points).segments
            guard !segments.isEmpty else { continue }
            let style = Palette.seriesStyle(index)
            let dash = style.dash.isEmpty ? "" : " stroke-dasharray=\"\(style.dash)\""
            svg.raw("<path stroke=\"\(style.color)\"\(dash) d=\"\(pathData(segments))\"><title>\(XML.escape(item.name))</title></path>\n")
        }
        svg.raw("</g>\n")

        if let note = skipNote {
            svg.text(TextMetrics.truncate(note, toWidth: width - 2 * padding, fontSize: 11), full: note,
                     x: plot.left, y: plot.bottom + 54, size: 11, fill: SVGWriter.mutedColor)
        }
        return svg.finish()
    }

    /// The range of the drawable points — steps of every series, values that are finite (and
    /// positive on a log scale) — and how many points are not drawable. When none is
    /// drawable, `xMin > xMax`.
    private func dataDomain() -> Domain {
        var domain = Domain()
        var xMin = Int.max, xMax = Int.min
        for item in series {
            for point in item.points {
                guard point.value.isFinite else { domain.skipped.nonFinite += 1; continue }
                guard !logScale || point.value > 0 else { domain.skipped.nonPositive += 1; continue }
                xMin = min(xMin, point.x); xMax = max(xMax, point.x)
                domain.yMin = min(domain.yMin, point.value); domain.yMax = max(domain.yMax, point.value)
            }
        }
        domain.xMin = Double(xMin); domain.xMax = Double(xMax)
        return domain
    }

    private struct Domain {
        var xMin = 0.0, xMax = -1.0, yMin = Double.infinity, yMax = -Double.infinity
        var skipped = LineDecimator.Skipped()
    }

    /// The x axis with the most ticks (up to one per 70 units) whose labels do not touch.
    private func xAxis(_ domain: Domain, plotWidth: Double) -> AxisScale {
        var target = max(2, Int(plotWidth / 70))
        while true {
            let scale = AxisScale.linear(minimum: domain.xMin, maximum: domain.xMax, targetTicks: target, integerSteps: true)
            let spacing = plotWidth / Double(max(scale.ticks.count - 1, 1))
            let widest = scale.ticks.map { TextMetrics.width(scale.label($0), fontSize: tickFont) }.max() ?? 0
            if widest + 10 <= spacing || target <= 2 { return scale }
            target -= 1
        }
    }

    /// Legend entries flowed into rows that fit the chart's width.
    private struct Legend {
        var entries: [(shown: String, full: String, x: Double, row: Int)] = []
        var rows = 0
    }

    private func legendLayout() -> Legend {
        var legend = Legend()
        guard !series.isEmpty else { return legend }
        let available = width - 2 * padding
        var x = padding, row = 0
        for item in series {
            let shown = TextMetrics.truncate(item.name, toWidth: available - swatch - swatchGap, fontSize: legendFont)
            let entryWidth = swatch + swatchGap + TextMetrics.width(shown, fontSize: legendFont)
            if x > padding && x + entryWidth > width - padding { row += 1; x = padding }
            legend.entries.append((shown, item.name, x, row))
            x += entryWidth + entryGap
        }
        legend.rows = row + 1
        return legend
    }

    private func drawLegend(_ svg: inout SVGWriter, _ legend: Legend) {
        svg.raw("<g class=\"legend\">\n")
        for (index, entry) in legend.entries.enumerated() {
            let baseline = padding + 12 + Double(entry.row) * legendRow
            let style = Palette.seriesStyle(index)
            let dash = style.dash.isEmpty ? "" : " stroke-dasharray=\"\(style.dash)\""
            let n = SVGWriter.number
            svg.raw("<line x1=\"\(n(entry.x))\" y1=\"\(n(baseline - 4))\" x2=\"\(n(entry.x + swatch))\" y2=\"\(n(baseline - 4))\" stroke=\"\(style.color)\" stroke-width=\"3\"\(dash)/>\n")
            svg.text(entry.shown, full: entry.full, x: entry.x + swatch + swatchGap, y: baseline, size: legendFont)
        }
        svg.raw("</g>\n")
    }

    /// SVG path data: "M x y L x y x y …" per segment; a lone point is a zero-length line,
    /// which the round line cap draws as a dot.
    private func pathData(_ segments: [[(x: Double, y: Double)]]) -> String {
        var d = ""
        d.reserveCapacity(segments.reduce(0) { $0 + $1.count } * 12)
        for segment in segments {
            var pairs: [String] = []
            for point in segment {
                let pair = SVGWriter.number(point.x) + " " + SVGWriter.number(point.y)
                if pair != pairs.last { pairs.append(pair) }  // same point after rounding
            }
            guard let first = pairs.first else { continue }
            d += "M" + first
            d += pairs.count == 1 ? "h0" : "L" + pairs.dropFirst().joined(separator: " ")
        }
        return d
    }

    /// What was skipped, in words, or `nil`.
    private func note(_ skipped: LineDecimator.Skipped) -> String? {
        var parts: [String] = []
        if skipped.nonFinite > 0 {
            parts.append("\(skipped.nonFinite) NaN/±∞ value\(skipped.nonFinite == 1 ? "" : "s") skipped")
        }
        if skipped.nonPositive > 0 {
            parts.append("\(skipped.nonPositive) value\(skipped.nonPositive == 1 ? "" : "s") ≤ 0 not shown on the log scale")
        }
        return parts.isEmpty ? nil : "Note: " + parts.joined(separator: "; ") + "."
    }
}
