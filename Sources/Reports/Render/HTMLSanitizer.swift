/// An allow-list sanitizer for the HTML that Ink makes of the researcher's prose.
///
/// The HTML is split by ``HTMLTokenizer`` as a browser would split it, then written out
/// again from scratch: only elements and attributes on the allow-lists below survive, every
/// attribute value is decoded and re-escaped (so the browser reads exactly the value that was
/// checked), URLs pass ``URLPolicy``, text is escaped, and every element the fragment opens
/// is closed at its end, so prose cannot close the page's own sections. Nothing else
/// reaches the page:
///
/// - Elements that run, load, embed or restyle things (`script`, `style`, `iframe`,
///   `object`, `embed`, `svg`, `math`, `template`, `link`, `meta`, `base`, `form`, …) are
///   dropped with their content when they have any; other unknown elements (`font`,
///   `input`, `video`, custom ones) lose their tags and keep their text.
/// - Attributes: `title`, `lang`, `dir` on every element, plus a few per element (`href`,
///   `src`, `alt`, `align`, `colspan`, …). No event handler, no `style`, no `class` (the
///   page's own classes could dress prose up as a status badge) except `language-…` on
///   `code`, no `id`, no `srcset`.
/// - An image whose `src` is refused becomes its `alt` text.
/// - Comments, doctypes, CDATA sections and processing instructions are dropped.
enum HTMLSanitizer {
    /// `html` reduced to the allowed markup (see the type's description).
    static func sanitize(_ html: String) -> String {
        var tokenizer = HTMLTokenizer(html)
        var out = ""
        var open: [String] = []
        var openCount: [String: Int] = [:]   // so an end tag that closes nothing costs no search
        var skipping: (element: String, depth: Int)?
        while let token = tokenizer.next() {
            if let skip = skipping {
                switch token {
                case .startTag(let name, _, let selfClosing) where name == skip.element && !selfClosing:
                    skipping = (skip.element, skip.depth + 1)
                case .endTag(let name) where name == skip.element:
                    skipping = skip.depth == 1 ? nil : (skip.element, skip.depth - 1)
                default:
                    break
                }
                continue
            }
            switch token {
            case .text(let text):
                out += escapeText(text)
            case .rawText, .comment:
                continue
            case .startTag(let name, let attributes, let selfClosing):
                if droppedWithContent.contains(name) {
                    if !selfClosing { skipping = (name, 1) }
                    continue
                }
                guard allowedElements.contains(name) else { continue }
                if name == "img" {
                    out += image(attributes)
                    continue
                }
                out += "<" + name + allowedAttributes(of: name, attributes) + ">"
                if !voidElements.contains(name) {
                    open.append(name)
                    openCount[name, default: 0] += 1
                }
            case .endTag(let name):
                guard openCount[name, default: 0] > 0, let index = open.lastIndex(of: name) else { continue }
                for element in open[index...].reversed() {
                    out += "</" + element + ">"
                    openCount[element, default: 0] -= 1
                }
                open.removeSubrange(index...)
            }
        }
        for element in open.reversed() { out += "</" + element + ">" }
        return out
    }

    // MARK: - Allow-lists

    /// What Markdown makes, plus GitHub's usual inline and table elements.
    static let allowedElements: Set<String> = [
        "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del",
        "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "small", "span",
        "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "tt",
        "u", "ul", "var", "wbr",
    ]

    static let voidElements: Set<String> = ["br", "hr", "img", "wbr", "col"]

    /// Elements whose content is code, another document or a fallback: dropped with it.
    /// (Raw-text elements — `script`, `style`, `iframe`, … — come from the tokenizer as one
    /// text token, which is never written.)
    static let droppedWithContent: Set<String> = [
        "svg", "math", "template", "object", "applet", "frameset", "select", "head", "video", "audio",
    ]

    private enum Check { case any, link, digits, integer, oneOf(Set<String>), languageClass }

    private static let global: [String: Check] = ["title": .any, "lang": .any, "dir": .oneOf(["ltr", "rtl", "auto"])]

    private static let perElement: [String: [String: Check]] = {
        let cell: [String: Check] = ["align": .oneOf(["left", "center", "right"]), "colspan": .digits, "rowspan": .digits]
        var th = cell
        th["scope"] = .oneOf(["row", "col", "rowgroup", "colgroup"])
        return [
            "a": ["href": .link],
            "td": cell, "th": th,
            "ol": ["start": .integer, "reversed": .any, "type": .oneOf(["1", "a", "A", "i", "I"])],
            "li": ["value": .integer],
            "code": ["class": .languageClass],
            "blockquote": ["cite": .link], "q": ["cite": .link],
            "del": ["cite": .link, "datetime": .any], "ins": ["cite": .link, "datetime": .any],
            "time": ["datetime": .any],
            "details": ["open": .any],
            "col": ["span": .digits], "colgroup": ["span": .digits],
        ]
    }()

    /// The attributes of `element` that pass, as ` name="value"` (the first of each name).
    private static func allowedAttributes(of element: String, _ attributes: [HTMLAttribute]) -> String {
        var out = "", seen = Set<String>()
        for attribute in attributes where seen.insert(attribute.name).inserted {
            guard let check = perElement[element]?[attribute.name] ?? global[attribute.name] else { continue }
            let value = HTMLEntities.decode(attribute.value)
            guard passes(value, check) else { continue }
            out += " " + attribute.name + "=\"" + HTML.escape(value) + "\""
        }
        return out
    }

    private static func passes(_ value: String, _ check: Check) -> Bool {
        switch check {
        case .any: return true
        case .link: return URLPolicy.isSafeLink(value)
        case .digits: return (1...4).contains(value.count) && value.allSatisfy { $0.isASCII && $0.isNumber }
        case .integer:
            let digits = value.hasPrefix("-") ? value.dropFirst() : Substring(value)
            return (1...9).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
        case .oneOf(let values): return values.contains(value)
        case .languageClass:
            return value.hasPrefix("language-") && (10...40).contains(value.count)
                && value.dropFirst(9).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_+#.-".contains($0)) }
        }
    }

    /// `<img>` with a safe `src`, its `alt`, `title` and size; otherwise its `alt` as text.
    private static func image(_ attributes: [HTMLAttribute]) -> String {
        var values: [String: String] = [:]
        for attribute in attributes where values[attribute.name] == nil {
            values[attribute.name] = HTMLEntities.decode(attribute.value)
        }
        guard let src = values["src"], URLPolicy.isSafeImage(src) else { return HTML.escape(values["alt"] ?? "") }
        var out = "<img src=\"" + HTML.escape(src) + "\""
        for name in ["alt", "title", "width", "height"] {
            guard let value = values[name] else { continue }
            if name == "width" || name == "height", !passes(value, .digits) { continue }
            out += " " + name + "=\"" + HTML.escape(value) + "\""
        }
        return out + ">"
    }

    // MARK: - Text

    /// Text as HTML: `<` and `>` escaped, `&` escaped unless it starts a well-formed
    /// character reference (`&amp;`, `&#39;`, `&mdash;`, which the browser shows as text),
    /// control characters replaced.
    static func escapeText(_ text: String) -> String {
        let s = Array(text.unicodeScalars)
        var out = ""
        var i = 0
        while i < s.count {
            let c = s[i]
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&":
                let length = referenceLength(s, at: i)
                if length > 0 {
                    out.unicodeScalars.append(contentsOf: s[i..<(i + length)])
                    i += length
                    continue
                }
                out += "&amp;"
            default:
                out += c == "\"" || c == "'" ? String(c) : HTML.escape(String(c))
            }
            i += 1
        }
        return out
    }

    /// The length of a well-formed reference at `start` (`&name;`, `&#123;`, `&#x1F;`), or 0.
    private static func referenceLength(_ s: [Unicode.Scalar], at start: Int) -> Int {
        var i = start + 1
        func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
        func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
        func isHex(_ c: Unicode.Scalar) -> Bool { isDigit(c) || ("a"..."f").contains(c) || ("A"..."F").contains(c) }
        guard i < s.count else { return 0 }
        let body: (Unicode.Scalar) -> Bool
        if s[i] == "#" {
            i += 1
            if i < s.count, s[i] == "x" || s[i] == "X" { i += 1; body = isHex } else { body = isDigit }
        } else {
            guard isLetter(s[i]) else { return 0 }
            body = { isLetter($0) || isDigit($0) }
        }
        let bodyStart = i
        while i < s.count, i - bodyStart < 32, body(s[i]) { i += 1 }
        guard i > bodyStart, i < s.count, s[i] == ";" else { return 0 }
        return i + 1 - start
    }
}
