import Foundation

/// Escaping for HTML text and attribute values: the one helper every user string goes
/// through on its way into `index.html` (prose, which is Markdown by intent, goes through
/// `Prose` instead).
public enum HTML {
    /// Escapes `s` for use as HTML text or inside a double- or single-quoted attribute value.
    ///
    /// `&`, `<`, `>`, `"` and `'` become character references; C0 control characters other
    /// than tab, line feed and carriage return (which HTML forbids) become U+FFFD.
    /// - Parameter s: Any string, e.g. a step name, a table cell or an error message.
    /// - Returns: Text that a browser shows as `s` and never parses as markup.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0xFDD0...0xFDEF).contains(scalar.value) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
