/// Escaping for text that goes into XML (SVG) and HTML: every string that came from a user
/// (a series name, a label, a title, a caption) passes through `XML.escape` before it is
/// written, in element text and in attribute values alike.
public enum XML {
    /// Returns `text` with `&`, `<`, `>`, `"` and `'` replaced by character references, so it
    /// reads as the same text inside an element or a quoted attribute of XML or HTML.
    ///
    /// Characters that XML 1.0 forbids even when escaped (control characters other than tab,
    /// line feed and carriage return; U+FFFE and U+FFFF) become U+FFFD, the replacement
    /// character, so the document stays well-formed whatever the input.
    ///
    /// - Parameter text: Any string.
    /// - Returns: Text that is safe in element content and in `"…"` or `'…'` attributes.
    public static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        out.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            // &#39; rather than &apos;: the same in XML, and also understood by HTML 4 parsers.
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            default: out.append(isAllowed(scalar) ? scalar : "\u{FFFD}")
            }
        }
        return String(out)
    }

    /// XML 1.0 `Char`: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
    /// (Swift strings cannot hold lone surrogates, so D800–DFFF never reach here.)
    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD: return true
        case 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }
}
