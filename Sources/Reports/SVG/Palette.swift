import Foundation

/// Colours for charts, chosen to stay distinct for colour-blind readers and in print.
enum Palette {
    /// Okabe & Ito's colour-blind-safe qualitative palette ("Color Universal Design", 2008),
    /// ordered so the first series get the colours with the most contrast on white; the
    /// yellow, weakest on white, comes last.
    static let categorical = ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"]

    /// Dash patterns that repeat the colours for a ninth series and beyond, so that every
    /// series still looks different (also in black-and-white print).
    static let dashes = ["", "6 3", "2 3", "8 3 2 3"]

    /// Stroke colour and dash pattern ("" for solid) of series number `index`.
    static func seriesStyle(_ index: Int) -> (color: String, dash: String) {
        let colour = categorical[index % categorical.count]
        let dash = dashes[(index / categorical.count) % dashes.count]
        return (colour, dash)
    }

    /// Viridis (van der Walt & Smith, matplotlib 2015), sampled at nine even stops: a
    /// sequential scale that is perceptually uniform, colour-blind-safe, and still ordered
    /// dark → light when printed in grey.
    private static let viridis: [(Double, Double, Double)] = [
        (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
        (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
    ]

    /// The sequential colour of `t` in 0…1 (clamped), as "#rrggbb", with whether dark text
    /// reads better on it than white text.
    static func sequential(_ t: Double) -> (hex: String, prefersDarkText: Bool) {
        let clamped = t.isFinite ? min(max(t, 0), 1) : 0
        let position = clamped * Double(viridis.count - 1)
        let index = min(Int(position), viridis.count - 2)
        let mix = position - Double(index)
        let a = viridis[index], b = viridis[index + 1]
        let red = a.0 + (b.0 - a.0) * mix, green = a.1 + (b.1 - a.1) * mix, blue = a.2 + (b.2 - a.2) * mix
        // Relative luminance with Rec. 709 weights on the (approximately linear) channels.
        let luminance = (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255
        return (hex(red, green, blue), luminance > 0.45)
    }

    private static func hex(_ red: Double, _ green: Double, _ blue: Double) -> String {
        let channels = [red, green, blue].map { UInt8(min(max($0.rounded(), 0), 255)) }
        return "#" + channels.map { String(format: "%02x", $0) }.joined()
    }
}
