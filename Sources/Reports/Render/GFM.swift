import Foundation

/// Escaping for GitHub-flavoured Markdown: how a user string (a step name, a config value,
/// a table cell, an error message) is written into `README.md` so that GitHub and
/// cmark-gfm show it as plain text and never as markup, HTML, a link or a table break.
enum GFM {
    /// Inline text on one line: Markdown punctuation backslash-escaped, `<` `>` `&` as
    /// character references (so `<script>` is inert), line breaks as spaces.
    static func text(_ s: String) -> String {
        escape(s, newline: " ")
    }

    /// Text for a table cell: like ``text(_:)``, with `|` escaped (so the row keeps its
    /// column count) and line breaks as `<br>`.
    static func cell(_ s: String) -> String {
        escape(s, newline: "<br>")
    }

    /// `s` as a code span when that is safe (no backtick, pipe, line break or control
    /// character, no surrounding space, not empty); otherwise as escaped ``text(_:)``, or
    /// ``cell(_:)`` when `inCell`.
    static func code(_ s: String, inCell: Bool = false) -> String {
        let unsafe = s.isEmpty || s.first == " " || s.last == " " || s.unicodeScalars.contains {
            $0 == "`" || $0 == "|" || $0.value < 0x20 || $0.value == 0x7F
        }
        if unsafe { return inCell ? cell(s) : text(s) }
        return "`" + s + "`"
    }

    /// `**label**` on a line of its own, or nothing for an empty label (a bare `****` would
    /// be a thematic break).
    static func label(_ s: String) -> String {
        s.isEmpty ? "" : "**" + text(s) + "**\n\n"
    }

    /// A fenced code block holding `content` verbatim, with a fence longer than any run of
    /// backticks inside it.
    static func fenced(_ content: String, info: String) -> String {
        let fence = String(repeating: "`", count: max(3, longestBacktickRun(content) + 1))
        var body = stripControls(content.replacingOccurrences(of: "\r\n", with: "\n"))
        if !body.hasSuffix("\n") { body += "\n" }
        return fence + info + "\n" + body + fence + "\n"
    }

    /// A table; `header` and `rows` are already-escaped cells (see ``cell(_:)``). Every row
    /// is padded to the widest row, so a ragged table still renders.
    static func table(header: [String], rows: [[String]]) -> String {
        let width = max(1, header.count, rows.map(\.count).max() ?? 0)
        func line(_ cells: [String]) -> String {
            let padded = cells + Array(repeating: "", count: width - cells.count)
            return "| " + padded.joined(separator: " | ") + " |\n"
        }
        var out = line(header)
        out += "|" + String(repeating: " --- |", count: width) + "\n"
        for row in rows { out += line(row) }
        return out
    }

    /// The longest run of consecutive backticks in `s`.
    static func longestBacktickRun(_ s: String) -> Int {
        var longest = 0, current = 0
        for c in s.unicodeScalars {
            current = c == "`" ? current + 1 : 0
            longest = max(longest, current)
        }
        return longest
    }

    private static func escape(_ s: String, newline: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        let scalars = Array(s.unicodeScalars)
        func isAlphanumeric(_ i: Int) -> Bool {
            i >= 0 && i < scalars.count && CharacterSet.alphanumerics.contains(scalars[i])
        }
        for (i, scalar) in scalars.enumerated() {
            let previousWasCR = i > 0 && scalars[i - 1] == "\r"
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            // An `_` between two letters or digits cannot start or end emphasis in GFM, so
            // `final_loss` stays readable in the Markdown source.
            case "_" where isAlphanumeric(i - 1) && isAlphanumeric(i + 1):
                out += "_"
            case "\\", "`", "*", "_", "[", "]", "|", "~", "#", "!", "$":
                out += "\\"
                out.unicodeScalars.append(scalar)
            case "\r": out += newline
            case "\n": if !previousWasCR { out += newline }
            case "\t": out += " "
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    private static func stripControls(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0x7F })
        else { return s }
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            let control = (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || scalar.value == 0x7F
            out.append(control ? "\u{FFFD}" : scalar)
        }
        return String(out)
    }
}
