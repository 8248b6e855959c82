import Foundation

/// Lays out and draws `SVGChart.imageGrid`.
///
/// Each image is an inline PNG rather than a `<rect>` per pixel, because it keeps the SVG
/// far smaller: a 28 × 28 image is 784 pixels, and at about 45 bytes per `<rect>` that is
/// ~35 KB per image (still ~10 KB if runs of equal pixels are merged), whereas the PNG
/// from `PNGEncoder` — 784 bytes of pixels, 28 filter bytes and ~70 bytes of headers and
/// checksums, stored uncompressed — is ~880 bytes, ~1.2 KB as base64: about 30 times less,
/// and one element for the renderer to draw instead of 784.
struct ImageGridChart {
    let grid: ImageGrid
    let scale: Int

    static let maxPerRow = 8
    /// Rows hold as many images as fit in this width (a report's column), at least one.
    static let maxWidth = 880.0
    private let padding = 10.0
    private let gap = 10.0
    private let captionFont = 11.0
    private let captionLine = 13.0
    /// Narrow images still get a caption this wide.
    private let minCellWidth = 64.0

    func render() -> String {
        let count = grid.pixels.count
        guard count > 0, grid.width > 0, grid.height > 0 else {
            return SVGChart.noData(title: "images", width: 320)
        }
        let imageWidth = Double(grid.width * scale), imageHeight = Double(grid.height * scale)
        let cellWidth = max(imageWidth, minCellWidth)
        let fitting = max(1, Int((Self.maxWidth - 2 * padding + gap) / (cellWidth + gap)))
        let columns = min(Self.maxPerRow, count, fitting)
        let rows = (count + columns - 1) / columns

        // Captions wrap onto two lines at most; every cell reserves what the longest needs.
        let captions = (0..<count).map { $0 < grid.captions.count ? grid.captions[$0] : "" }
        let lines = captions.map { TextMetrics.wrap($0, toWidth: cellWidth, fontSize: captionFont, maxLines: 2) }
        let captionLines = lines.map { $0.count }.max() ?? 1
        let captionHeight = captions.allSatisfy(\.isEmpty) ? 0 : 4 + Double(captionLines) * captionLine
        let cellHeight = imageHeight + captionHeight

        let width = 2 * padding + Double(columns) * cellWidth + Double(columns - 1) * gap
        let height = 2 * padding + Double(rows) * cellHeight + Double(rows - 1) * gap
        var svg = SVGWriter(width: width, height: height, title: "\(count) image\(count == 1 ? "" : "s")")

        let n = SVGWriter.number
        for index in 0..<count {
            let left = padding + Double(index % columns) * (cellWidth + gap)
            let top = padding + Double(index / columns) * (cellHeight + gap)
            let imageLeft = left + (cellWidth - imageWidth) / 2
            let png = PNGEncoder.grayscale(width: grid.width, height: grid.height, pixels: grid.pixels[index])
            // `image-rendering` keeps pixels square when scaled up: the SVG 1.1 keyword as an
            // attribute, the CSS one (`pixelated`, understood by browsers) as a style.
            svg.raw("<image x=\"\(n(imageLeft))\" y=\"\(n(top))\" width=\"\(n(imageWidth))\" height=\"\(n(imageHeight))\""
                + " preserveAspectRatio=\"none\" image-rendering=\"optimizeSpeed\" style=\"image-rendering:pixelated\""
                + " href=\"data:image/png;base64,\(Data(png).base64EncodedString())\"/>\n")
            svg.rect(x: imageLeft, y: top, width: imageWidth, height: imageHeight, fill: "none",
                     extra: " stroke=\"#999\" stroke-width=\"0.5\"")
            drawCaption(&svg, lines[index], full: captions[index], centre: left + cellWidth / 2, top: top + imageHeight + 4)
        }
        return svg.finish()
    }

    /// One caption, centred under its image, one `<tspan>` per line.
    private func drawCaption(_ svg: inout SVGWriter, _ lines: [String], full: String, centre: Double, top: Double) {
        guard !full.isEmpty else { return }
        if lines.count == 1 {
            svg.text(lines[0], full: full, x: centre, y: top + captionFont, size: captionFont, anchor: "middle")
            return
        }
        let n = SVGWriter.number
        var body = "<title>\(XML.escape(full))</title>"
        for (index, line) in lines.enumerated() {
            body += "<tspan x=\"\(n(centre))\" y=\"\(n(top + captionFont + Double(index) * captionLine))\">\(XML.escape(line))</tspan>"
        }
        svg.raw("<text font-size=\"\(n(captionFont))\" text-anchor=\"middle\">\(body)</text>\n")
    }
}
