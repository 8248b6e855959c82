/// Estimates how wide a string is drawn in a sans-serif font, to lay out labels without a
/// font engine. The estimate errs wide, so labels are given a little more room than needed.
enum TextMetrics {
    /// Approximate advance width of `text` at `fontSize`, in the same units.
    static func width(_ text: String, fontSize: Double) -> Double {
        var ems = 0.0
        for character in text {
            ems += emWidth(character)
        }
        return ems * fontSize
    }

    /// Width of one character in ems (a fraction of the font size), by character class;
    /// values close to Helvetica/Arial metrics.
    private static func emWidth(_ character: Character) -> Double {
        if "iljI.,:;'|!()[] ".contains(character) { return 0.3 }
        if "mwMW@%".contains(character) { return 0.88 }
        if character.isUppercase { return 0.68 }
        if character.isNumber { return 0.56 }
        if let scalar = character.unicodeScalars.first, scalar.value >= 0x2E80 { return 1.0 }  // CJK: full width
        return 0.56
    }

    /// `text` shortened with "…" so it fits in `maxWidth`; `text` itself if it already fits.
    static func truncate(_ text: String, toWidth maxWidth: Double, fontSize: Double) -> String {
        if width(text, fontSize: fontSize) <= maxWidth { return text }
        var kept = ""
        let budget = maxWidth - width("…", fontSize: fontSize)
        for character in text {
            if width(kept + String(character), fontSize: fontSize) > budget { break }
            kept.append(character)
        }
        return kept + "…"
    }

    /// Splits `text` into at most `maxLines` lines that each fit `maxWidth`, at spaces, or
    /// inside a word that is wider than a line on its own (a file name, a long token); the
    /// last line is truncated with "…" when the text does not fit.
    static func wrap(_ text: String, toWidth maxWidth: Double, fontSize: Double, maxLines: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        var rest = Substring(text)
        while let character = rest.first, lines.count < maxLines - 1 {
            if character == " " && current.isEmpty { rest.removeFirst(); continue }
            // The next word, with the space before it if the line already has text.
            let word = rest.prefix { $0 != " " }
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if width(candidate, fontSize: fontSize) <= maxWidth {
                current = candidate
                rest = rest.dropFirst(word.count).drop { $0 == " " }
            } else if current.isEmpty {
                // A word wider than a whole line: break it where the line is full.
                var piece = ""
                for c in word {
                    if width(piece + String(c), fontSize: fontSize) > maxWidth { break }
                    piece.append(c)
                }
                piece = piece.isEmpty ? String(word.prefix(1)) : piece
                lines.append(piece)
                rest = rest.dropFirst(piece.count)
            } else {
                lines.append(current)
                current = ""
            }
        }
        let last = current.isEmpty ? String(rest) : (rest.isEmpty ? current : current + " " + rest)
        if !last.isEmpty || lines.isEmpty { lines.append(last) }
        return lines.map { truncate($0, toWidth: maxWidth, fontSize: fontSize) }
    }
}
