import Foundation

/// Lays out and draws `SVGChart.heatmap`.
struct HeatmapChart {
    let values: [[Double]]
    let rowLabels: [String]
    let columnLabels: [String]
    let title: String
    let maxWidth: Double

    private let padding = 12.0
    private let labelFont = 11.0
    private let titleFont = 14.0
    /// Cells never grow past this, so a 2 × 2 matrix is not a wall of colour.
    private let maxCell = 56.0
    /// Matrices up to this many rows and columns print each value in its cell.
    static let maxAnnotated = 12
    /// The colour bar: its width, and how many bands draw it (rects, not a gradient, so
    /// the chart needs no `id` and inlines anywhere).
    private let barWidth = 12.0, barBands = 48

    func render() -> String {
        let rows = values.count
        let columns = values.map(\.count).max() ?? 0
        guard rows > 0, columns > 0 else { return SVGChart.noData(title: title, width: maxWidth) }

        let finite = values.joined().filter(\.isFinite)
        let low = finite.min() ?? 0, high = finite.max() ?? 1
        // A constant matrix gets the middle colour rather than a division by zero.
        let span = high > low ? high - low : 0
        func colourFraction(_ value: Double) -> Double { span > 0 ? (value - low) / span : 0.5 }
        let lowText = NumberFormat.compact(low), highText = NumberFormat.compact(high)

        // Horizontal layout: row labels | cells | colour bar and its min/max labels.
        let rowNames = (0..<rows).map { $0 < rowLabels.count ? rowLabels[$0] : "" }
        let columnNames = (0..<columns).map { $0 < columnLabels.count ? columnLabels[$0] : "" }
        let rowLabelWidth = min(rowNames.map { TextMetrics.width($0, fontSize: labelFont) }.max() ?? 0, maxWidth * 0.3)
        let gridLeft = padding + rowLabelWidth + (rowLabelWidth > 0 ? 6 : 0)
        let barLabelWidth = max(TextMetrics.width(lowText, fontSize: labelFont), TextMetrics.width(highText, fontSize: labelFont))
        let rightMargin = 14 + barWidth + 4 + barLabelWidth + padding
        let cell = min(maxCell, max(1, (maxWidth - gridLeft - rightMargin) / Double(columns)))
        let gridWidth = cell * Double(columns), gridHeight = cell * Double(rows)
        let width = min(maxWidth, gridLeft + gridWidth + rightMargin)

        // Labels are thinned to every k-th when cells are smaller than a line of text.
        let labelEvery = max(1, Int(((labelFont + 2) / cell).rounded(.up)))
        // Column labels rotate 45° when the widest does not fit in its cell (or its stride).
        let columnRoom = cell * Double(labelEvery) - 4
        let maxColumnLabel = min(120.0, maxWidth * 0.35)
        let widestColumn = min(columnNames.map { TextMetrics.width($0, fontSize: labelFont) }.max() ?? 0, maxColumnLabel)
        let rotate = widestColumn > columnRoom
        // A label rotated by 45° drops by its width × sin 45°, plus the glyph height.
        let columnLabelHeight = rotate ? widestColumn * 0.7071 + labelFont + 4 : labelFont + 8

        let titleHeight = title.isEmpty ? 0 : titleFont + 12
        let gridTop = padding + titleHeight
        let barHeight = max(min(gridHeight, 240), 60)
        let height = max(gridTop + gridHeight + 6 + columnLabelHeight, gridTop + barHeight) + padding

        var svg = SVGWriter(width: width, height: height, title: title.isEmpty ? "heat map" : title)
        if !title.isEmpty {
            let shown = TextMetrics.truncate(title, toWidth: width - 2 * padding, fontSize: titleFont)
            svg.text(shown, full: title, x: padding, y: padding + titleFont, size: titleFont, weight: "600")
        }

        // Cells, with their values when the matrix is small.
        let annotate = rows <= Self.maxAnnotated && columns <= Self.maxAnnotated
        let valueFont = min(12, max(7, cell * 0.3))
        svg.raw("<g class=\"cells\">\n")
        for row in 0..<rows {
            for column in 0..<columns {
                let x = gridLeft + Double(column) * cell, y = gridTop + Double(row) * cell
                let value = column < values[row].count ? values[row][column] : .nan
                // Cells overlap by a hair so no white seam shows between them when scaled.
                let size = cell + (cell > 4 ? 0.3 : 0)
                guard value.isFinite else { svg.rect(x: x, y: y, width: size, height: size, fill: "#e0e0e0"); continue }
                let colour = Palette.sequential(colourFraction(value))
                svg.rect(x: x, y: y, width: size, height: size, fill: colour.hex)
                if annotate {
                    let text = NumberFormat.compact(value)
                    let font = min(valueFont, (cell - 3) / max(TextMetrics.width(text, fontSize: 1), 0.1))
                    svg.text(text, x: x + cell / 2, y: y + cell / 2 + font * 0.35, size: font, anchor: "middle",
                             fill: colour.prefersDarkText ? "#111" : "#fff")
                }
            }
        }
        svg.raw("</g>\n")

        // Row labels, right-aligned against the cells.
        svg.raw("<g class=\"labels\">\n")
        for row in stride(from: 0, to: rows, by: labelEvery) where !rowNames[row].isEmpty {
            let shown = TextMetrics.truncate(rowNames[row], toWidth: rowLabelWidth, fontSize: labelFont)
            svg.text(shown, full: rowNames[row], x: gridLeft - 6, y: gridTop + (Double(row) + 0.5) * cell + labelFont * 0.35,
                     size: labelFont, anchor: "end")
        }
        // Column labels below the cells; rotated ones end under their column's centre.
        for column in stride(from: 0, to: columns, by: labelEvery) where !columnNames[column].isEmpty {
            let centre = gridLeft + (Double(column) + 0.5) * cell
            let shown = TextMetrics.truncate(columnNames[column], toWidth: rotate ? maxColumnLabel : columnRoom, fontSize: labelFont)
            if rotate {
                svg.text(shown, full: columnNames[column], x: centre + labelFont * 0.3, y: gridTop + gridHeight + 8,
                         size: labelFont, anchor: "end", rotate: -45)
            } else {
                svg.text(shown, full: columnNames[column], x: centre, y: gridTop + gridHeight + 6 + labelFont,
                         size: labelFont, anchor: "middle")
            }
        }
        svg.raw("</g>\n")

        drawColourBar(&svg, x: gridLeft + gridWidth + 14, top: gridTop, height: barHeight,
                      lowText: lowText, highText: highText)
        return svg.finish()
    }

    /// A vertical colour bar, highest value on top, labelled with the matrix's min and max.
    private func drawColourBar(_ svg: inout SVGWriter, x: Double, top: Double, height: Double, lowText: String, highText: String) {
        svg.raw("<g class=\"colour-bar\">\n")
        let band = height / Double(barBands)
        for index in 0..<barBands {
            // Band 0 is at the top and shows the top of the scale.
            let t = 1 - (Double(index) + 0.5) / Double(barBands)
            svg.rect(x: x, y: top + Double(index) * band, width: barWidth, height: band + 0.3, fill: Palette.sequential(t).hex)
        }
        svg.rect(x: x, y: top, width: barWidth, height: height, fill: "none", extra: " stroke=\"#888\" stroke-width=\"0.5\"")
        svg.text(highText, x: x + barWidth + 4, y: top + labelFont * 0.8, size: labelFont)
        svg.text(lowText, x: x + barWidth + 4, y: top + height, size: labelFont)
        svg.raw("</g>\n")
    }
}
