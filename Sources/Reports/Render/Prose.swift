import Foundation
import Ink

/// The researcher's prose (Markdown by intent) as HTML, through Ink.
///
/// Ink passes raw HTML in the Markdown through unchanged, and does not check link or image
/// targets. Prose comes from the researcher's own experiment file, so its HTML is allowed
/// by intent — but a report is something others open, and `index.html` promises to run no
/// script and to load nothing from outside. So Ink's output is cleaned defensively:
/// `<script>` elements are removed with their content; elements that run or load things
/// (`iframe`, `object`, `embed`, `link`, `meta`, `base`, `style`, `form`, …) have their tags
/// made inert text; `on…=` event-handler attributes are removed; and `href`/`src` values
/// with a scheme other than http, https or mailto (e.g. `javascript:`), plus remote `src`
/// (which would load at view time), become "#". This is a defence, not a sanitizer for
/// arbitrary untrusted HTML.
enum Prose {
    /// `markdown` rendered by Ink and cleaned as described above.
    static func html(_ markdown: String) -> String {
        let trimmed = markdown.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return "" }
        return clean(MarkdownParser().html(from: trimmed))
    }

    /// Removes script and script-like constructs from `html` (see the type's description).
    static func clean(_ html: String) -> String {
        var s = html
        s = replace(#"<script\b[^>]*>[\s\S]*?</script\s*>"#, in: s, with: "")
        s = replace(#"<(/?)(script|iframe|frame|frameset|object|embed|applet|link|meta|base|style|form|noscript|template|svg|math)\b"#,
                    in: s, with: "&lt;$1$2")
        return replaceTags(in: s)
    }

    /// Rewrites every start tag: event handlers dropped, unsafe URL attributes set to "#".
    /// Only real tags are touched — text and code that merely look like attributes are
    /// escaped by Ink and so never match.
    private static func replaceTags(in html: String) -> String {
        let tag = #"<([A-Za-z][A-Za-z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>"#
        // No separator is required before a name: Ink writes a link target into `href="…"`
        // without escaping its quotes, so `[x]("onclick="…)` gives `href=""onclick="…"`.
        let attribute = #"[\s/]*([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?"#
        guard let tagRegex = try? NSRegularExpression(pattern: tag),
              let attributeRegex = try? NSRegularExpression(pattern: attribute) else { return html }
        return map(tagRegex, in: html) { tagText in
            let ns = tagText as NSString
            guard let m = tagRegex.firstMatch(in: tagText, range: NSRange(location: 0, length: ns.length)) else { return tagText }
            let rest = ns.substring(with: m.range(at: 2))
            var attributes = ""
            for a in attributeRegex.matches(in: rest, range: NSRange(location: 0, length: (rest as NSString).length)) {
                let text = rest as NSString
                let name = text.substring(with: a.range(at: 1)).lowercased()
                var value = a.range(at: 2).location == NSNotFound ? nil : text.substring(with: a.range(at: 2))
                if let v = value, v.hasPrefix("\"") || v.hasPrefix("'") { value = String(v.dropFirst().dropLast()) }
                if name.hasPrefix("on") { continue }
                if urlAttributes.contains(name), let v = value, !isSafe(url: v, loads: !name.hasSuffix("href")) {
                    value = "#"
                }
                if name == "style", let v = value?.lowercased(), v.contains("url(") || v.contains("@import") || v.contains("expression(") {
                    continue
                }
                attributes += " " + name
                if let value { attributes += "=\"" + escapeAttribute(value) + "\"" }
            }
            let selfClosing = rest.trimmingCharacters(in: .whitespaces).hasSuffix("/") ? "/" : ""
            return "<" + ns.substring(with: m.range(at: 1)) + attributes + selfClosing + ">"
        }
    }

    private static let urlAttributes: Set<String> = [
        "href", "src", "xlink:href", "action", "formaction", "poster", "srcset", "background", "cite", "data",
    ]

    /// `value` for a double-quoted attribute: `"` and `<` escaped, and `&` unless it
    /// already starts a character reference (Ink leaves `&` in URLs bare).
    private static func escapeAttribute(_ value: String) -> String {
        var out = value.replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "<", with: "&lt;")
        if let bare = try? NSRegularExpression(pattern: #"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);)"#) {
            out = bare.stringByReplacingMatches(in: out, range: NSRange(location: 0, length: (out as NSString).length),
                                                withTemplate: "&amp;")
        }
        return out
    }

    /// Replaces each match of `regex` in `s` with `transform(match)`.
    private static func map(_ regex: NSRegularExpression, in s: String, _ transform: (String) -> String) -> String {
        let ns = s as NSString
        var out = "", last = 0
        for match in regex.matches(in: s, range: NSRange(location: 0, length: ns.length)) {
            out += ns.substring(with: NSRange(location: last, length: match.range.location - last))
            out += transform(ns.substring(with: match.range))
            last = match.range.location + match.range.length
        }
        return out + ns.substring(from: last)
    }

    /// Whether `url` is relative, a fragment, or (unless it `loads` at view time) an
    /// http, https or mailto address. Anything with a character reference before its first
    /// `/`, `?` or `#` is refused, since it may spell a scheme in disguise.
    static func isSafe(url: String, loads: Bool) -> Bool {
        let compact = String(url.lowercased().unicodeScalars.filter { $0.value > 0x20 })
        let head = compact.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if head.contains("&") { return false }
        guard let colon = head.firstIndex(of: ":") else { return true }
        let scheme = head[..<colon]
        return !loads && ["http", "https", "mailto"].contains(scheme)
    }

    private static func replace(_ pattern: String, in s: String, with template: String) -> String {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else { return s }
        return regex.stringByReplacingMatches(in: s, range: NSRange(location: 0, length: (s as NSString).length),
                                              withTemplate: template)
    }
}
