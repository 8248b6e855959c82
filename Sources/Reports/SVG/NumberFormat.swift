import Foundation

/// Compact number labels for axes, colour bars and cells: "0.25", "1.5k", "3M", "2.5e-3".
enum NumberFormat {
    private static let suffixes = ["k", "M", "G", "T"]

    /// Formats `value` compactly.
    ///
    /// - Parameters:
    ///   - value: The number. Non-finite values are spelled "NaN", "∞", "-∞" (as text only:
    ///     coordinates go through `SVGWriter.number`).
    ///   - resolution: The smallest difference the label must show, e.g. the tick step, so
    ///     that neighbouring ticks never print alike. `nil` shows three significant digits.
    /// - Returns: Magnitudes from 0.01 up to 1000 in plain decimals; 1000 up to 10^15 with a
    ///   k/M/G/T suffix; the rest as mantissa "e" exponent. Trailing zeros are dropped.
    static func compact(_ value: Double, resolution: Double? = nil) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "∞" : "-∞" }
        if value == 0 { return "0" }
        var resolution = abs(resolution ?? pow(10, Foundation.log10(abs(value)).rounded(.down) - 2))
        if !(resolution.isFinite && resolution > 0) { resolution = abs(value) / 100 }
        // A tick like 0.1 + 0.2 - 0.3 = 5.5e-17 on a 0.1 grid is zero.
        if abs(value) < resolution * 1e-6 { return "0" }
        // Choose the form by the value as it will print: 0.00999999 shows as 0.01, not 1e-2.
        let rounded = (value / resolution).rounded() * resolution
        let magnitude = rounded.isFinite && rounded != 0 ? abs(rounded) : abs(value)

        if magnitude >= 1000 && magnitude < 1e15 {
            var group = min(Int(Foundation.log10(magnitude) / 3), suffixes.count)
            while true {
                let divisor = pow(1000, Double(group))
                let text = fixed(value / divisor, resolution: resolution / divisor)
                // 999_999 rounds to "1000k": move up to "1M".
                if group < suffixes.count, let shown = Double(text), abs(shown) >= 1000 { group += 1; continue }
                return text + suffixes[group - 1]
            }
        }
        if magnitude < 0.01 || magnitude >= 1e15 {
            var exponent = Foundation.log10(magnitude).rounded(.down)
            while true {
                let scale = pow(10, exponent)
                let mantissa = fixed(value / scale, resolution: resolution / scale)
                // 9.996e-3 rounds to "10e-3": write "1e-2".
                if let shown = Double(mantissa), abs(shown) >= 10 { exponent += 1; continue }
                return "\(mantissa)e\(Int(exponent))"
            }
        }
        return fixed(value, resolution: resolution)
    }

    /// `value` with as many decimals as `resolution` needs (at most 6), trailing zeros dropped.
    private static func fixed(_ value: Double, resolution: Double) -> String {
        // The 1e-9 keeps log10(0.1) = -0.9999999999999999 from asking for an extra decimal.
        let decimals = min(6, max(0, Int(-(Foundation.log10(resolution) + 1e-9).rounded(.down))))
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }
}
