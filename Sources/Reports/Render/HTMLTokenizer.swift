/// One piece of an HTML fragment, as the HTML5 tokenizer splits it.
enum HTMLToken: Equatable {
    /// Text as written: character references are not decoded.
    case text(String)
    /// The content of a raw-text element (`script`, `style`, `textarea`, `title`, …), which a
    /// browser does not parse as markup.
    case rawText(String)
    /// A start tag: its lowercased name and its attributes in order (names lowercased,
    /// values as written, not decoded).
    case startTag(name: String, attributes: [HTMLAttribute], selfClosing: Bool)
    /// An end tag's lowercased name.
    case endTag(name: String)
    /// A comment, doctype, CDATA section or processing instruction: never shown.
    case comment
}

/// An attribute of a start tag.
struct HTMLAttribute: Equatable {
    /// The lowercased name, as the browser sees it (it may hold `"`, `'` or `<`).
    var name: String
    /// The value with its quotes removed and its character references not decoded; `""`
    /// for an attribute without a value.
    var value: String
}

/// Splits HTML into tokens the way the HTML5 tokenizer does (WHATWG, "Tokenization"), so a
/// sanitizer sees the tags and attributes a browser would: quotes inside attribute names,
/// attributes run together without spaces, `/` between attributes, unquoted values, comments
/// (`<!-->`, `--!>`), bogus comments (`<!…>`, `<?…>`, `</…>` not followed by a letter),
/// CDATA outside foreign content, and raw-text elements whose content is not markup.
///
/// It differs from a browser where the input ends inside a tag or comment (a browser drops
/// what follows the `<`, this tokenizer returns it as text so the reader sees it) and inside
/// `svg` and `math`, which it reads as HTML; the sanitizer drops those whole, and it writes
/// its output from scratch, so a difference can only change what is shown, never let markup
/// through.
struct HTMLTokenizer {
    private let s: [Unicode.Scalar]
    private var i = 0

    /// Elements whose content is not markup: up to the matching end tag it is one
    /// `rawText` token (`plaintext`: to the end).
    static let rawTextElements: Set<String> = [
        "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext",
    ]

    init(_ html: String) { s = Array(html.unicodeScalars) }

    /// All tokens of `html`, in order.
    static func tokens(_ html: String) -> [HTMLToken] {
        var tokenizer = HTMLTokenizer(html)
        var out: [HTMLToken] = []
        while let token = tokenizer.next() { out.append(token) }
        return out
    }

    /// The next token, or nil at the end.
    mutating func next() -> HTMLToken? {
        guard i < s.count else { return nil }
        if let element = pendingRawText {
            pendingRawText = nil
            return rawText(until: element)
        }
        if s[i] != "<" {
            let start = i
            while i < s.count, s[i] != "<" { i += 1 }
            return .text(string(start..<i))
        }
        let start = i
        switch markup() {
        case .token(let token):
            return token
        case .notMarkup:
            // `<` then a space, a digit, …: the `<` is text.
            i = start + 1
            return .text("<")
        case .cutOff:
            i = s.count
            return .text(string(start..<s.count))
        }
    }

    // MARK: - Markup

    private enum Markup { case token(HTMLToken), notMarkup, cutOff }

    /// After a raw-text element's start tag, the next call returns its content.
    private var pendingRawText: String?

    /// Reads the markup starting at `<`.
    private mutating func markup() -> Markup {
        i += 1
        guard i < s.count else { return .notMarkup }
        switch s[i] {
        case "!":
            i += 1
            return matches("--") ? comment() : bogusComment()
        case "?":
            return bogusComment()
        case "/":
            i += 1
            guard i < s.count else { return .notMarkup }
            if isASCIILetter(s[i]) {
                guard case .startTag(let name, _, _)? = tag() else { return .cutOff }
                return .token(.endTag(name: name))
            }
            if s[i] == ">" { i += 1; return .token(.comment) }   // `</>` is dropped
            return bogusComment()
        default:
            guard isASCIILetter(s[i]) else { return .notMarkup }
            guard let token = tag() else { return .cutOff }
            if case .startTag(let name, _, let selfClosing) = token, !selfClosing, Self.rawTextElements.contains(name) {
                pendingRawText = name
            }
            return .token(token)
        }
    }

    /// `<!--` has been read: the comment ends at `-->` or `--!>`, or at once with `>` / `->`.
    private mutating func comment() -> Markup {
        if matches(">") || matches("->") { return .token(.comment) }
        while i < s.count {
            if matches("-->") || matches("--!>") { return .token(.comment) }
            i += 1
        }
        return .cutOff
    }

    /// A bogus comment runs to the next `>`.
    private mutating func bogusComment() -> Markup {
        while i < s.count, s[i] != ">" { i += 1 }
        guard i < s.count else { return .cutOff }
        i += 1
        return .token(.comment)
    }

    /// The content of raw-text `element`, up to its end tag (`</name` then a space, `/` or
    /// `>`, in any case) or the end; `plaintext` has no end tag.
    private mutating func rawText(until element: String) -> HTMLToken {
        let start = i
        let close = Array(("</" + element).unicodeScalars)
        while i < s.count {
            if element != "plaintext", s[i] == "<", i + close.count < s.count,
               (0..<close.count).allSatisfy({ lower(s[i + $0]) == close[$0] }),
               isSpace(s[i + close.count]) || s[i + close.count] == "/" || s[i + close.count] == ">" {
                break
            }
            i += 1
        }
        return .rawText(string(start..<i))
    }

    /// Reads a tag from its name (the `<` or `</` already read); nil when the input ends inside it.
    private mutating func tag() -> HTMLToken? {
        var name = ""
        while i < s.count, !isSpace(s[i]), s[i] != "/", s[i] != ">" {
            name.unicodeScalars.append(lower(s[i]))
            i += 1
        }
        var attributes: [HTMLAttribute] = []
        var selfClosing = false
        while i < s.count {
            let c = s[i]
            if isSpace(c) { i += 1; continue }
            if c == ">" {
                i += 1
                return .startTag(name: name, attributes: attributes, selfClosing: selfClosing)
            }
            if c == "/" {
                i += 1
                selfClosing = i < s.count && s[i] == ">"
                continue
            }
            selfClosing = false
            // An attribute name: its first character may be `=`; then up to a space, `/`, `>` or `=`.
            var attributeName = String(lower(c))
            i += 1
            while i < s.count, !isSpace(s[i]), s[i] != "/", s[i] != ">", s[i] != "=" {
                attributeName.unicodeScalars.append(lower(s[i]))
                i += 1
            }
            var j = i
            while j < s.count, isSpace(s[j]) { j += 1 }
            guard j < s.count, s[j] == "=" else {
                attributes.append(HTMLAttribute(name: attributeName, value: ""))
                continue
            }
            i = j + 1
            while i < s.count, isSpace(s[i]) { i += 1 }
            guard i < s.count else { return nil }
            var value = ""
            if s[i] == "\"" || s[i] == "'" {
                let quote = s[i]
                i += 1
                let valueStart = i
                while i < s.count, s[i] != quote { i += 1 }
                guard i < s.count else { return nil }
                value = string(valueStart..<i)
                i += 1
            } else if s[i] != ">" {
                let valueStart = i
                while i < s.count, !isSpace(s[i]), s[i] != ">" { i += 1 }
                value = string(valueStart..<i)
            }
            attributes.append(HTMLAttribute(name: attributeName, value: value))
        }
        return nil
    }

    // MARK: - Helpers

    private mutating func matches(_ literal: String) -> Bool {
        let scalars = Array(literal.unicodeScalars)
        guard i + scalars.count <= s.count else { return false }
        for (k, c) in scalars.enumerated() where lower(s[i + k]) != c { return false }
        i += scalars.count
        return true
    }

    private func string(_ range: Range<Int>) -> String {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: s[range])
        return String(out)
    }

    private func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}" }
    private func isASCIILetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
    private func lower(_ c: Unicode.Scalar) -> Unicode.Scalar {
        ("A"..."Z").contains(c) ? Unicode.Scalar(c.value + 32)! : c
    }
}
