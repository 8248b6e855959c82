import Foundation

/// Accumulates the markup of one SVG document.
///
/// Invariant: every number written goes through `SVGWriter.number`, which never prints
/// `nan` or `inf`, and every user string goes through `XML.escape`.
struct SVGWriter {
    /// System fonts only: the charts name no web font and fetch nothing.
    static let fontFamily = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
    static let textColor = "#222"
    static let mutedColor = "#666"

    private(set) var markup = ""

    /// Opens the document. The viewBox carries the size; `width`/`height` only give the
    /// natural size, and `max-width:100%;height:auto` lets the chart shrink on a phone.
    /// A white background keeps black text readable on dark-mode pages.
    init(width: Double, height: Double, title: String) {
        let w = SVGWriter.number(width), h = SVGWriter.number(height)
        markup.reserveCapacity(16_384)
        markup += "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(w) \(h)\" width=\"\(w)\" height=\"\(h)\""
        markup += " style=\"max-width:100%;height:auto\" role=\"img\" font-family=\"\(SVGWriter.fontFamily)\""
        markup += " fill=\"\(SVGWriter.textColor)\">\n"
        markup += "<title>\(XML.escape(title))</title>\n"
        rect(x: 0, y: 0, width: width, height: height, fill: "#fff")
    }

    /// Formats a coordinate with at most one decimal ("12", "-3.5"); a non-finite value
    /// becomes "0" and huge values are clamped, so the output is always a valid number.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = Int((min(max(value, -1e9), 1e9) * 10).rounded())
        let magnitude = tenths.magnitude
        let sign = tenths < 0 ? "-" : ""
        let whole = magnitude / 10, fraction = magnitude % 10
        return fraction == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }

    /// Appends markup that the caller has already escaped.
    mutating func raw(_ text: String) { markup += text }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, extra: String = "") {
        let n = SVGWriter.number
        markup += "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(width, 0)))\" height=\"\(n(max(height, 0)))\" fill=\"\(fill)\"\(extra)/>\n"
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1) {
        let n = SVGWriter.number
        markup += "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\"/>\n"
    }

    /// Writes `shown` as a `<text>` element. When `full` differs from `shown` (the text was
    /// truncated to fit), the full text goes into a `<title>` child, shown as a tooltip.
    mutating func text(_ shown: String, full: String? = nil, x: Double, y: Double, size: Double,
                       anchor: String = "start", fill: String? = nil, weight: String? = nil,
                       rotate: Double? = nil) {
        let n = SVGWriter.number
        var attributes = "x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\""
        if anchor != "start" { attributes += " text-anchor=\"\(anchor)\"" }
        if let fill { attributes += " fill=\"\(fill)\"" }
        if let weight { attributes += " font-weight=\"\(weight)\"" }
        if let rotate { attributes += " transform=\"rotate(\(n(rotate)) \(n(x)) \(n(y)))\"" }
        var body = XML.escape(shown)
        if let full, full != shown { body = "<title>\(XML.escape(full))</title>" + body }
        markup += "<text \(attributes)>\(body)</text>\n"
    }

    /// Closes the document and returns it.
    mutating func finish() -> String {
        markup += "</svg>\n"
        return markup
    }
}
