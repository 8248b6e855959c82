import Foundation
import Ink

/// The researcher's prose (Markdown by intent) as HTML, through Ink.
///
/// Ink passes raw HTML in the Markdown through unchanged and does not check link or image
/// targets. A report is something others open (a reviewer, from a pull request), and
/// `index.html` promises to run no script and to load nothing from outside, so Ink's output
/// goes through `HTMLSanitizer`: an allow-list of elements, attributes and URL schemes,
/// with everything re-serialized. The page's Content-Security-Policy is a second wall.
enum Prose {
    /// `markdown` rendered by Ink and sanitized.
    static func html(_ markdown: String) -> String {
        let trimmed = markdown.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return "" }
        return HTMLSanitizer.sanitize(MarkdownParser().html(from: trimmed))
    }
}
