import Foundation
import Testing
@testable import Reports

/// The prose sanitizer, its tokenizer and its URL policy (D22, D23).
struct SanitizerTests {
    /// Every tag in `html`, found by a regular expression independent of the tokenizer: a
    /// `<` that the browser would start a tag with, then the tag's name.
    private func tagNames(_ html: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: #"<(/?)([A-Za-z][^\s/>]*)"#)
        return regex.matches(in: html, range: NSRange(html.startIndex..., in: html)).map {
            String(html[Range($0.range(at: 2), in: html)!]).lowercased()
        }
    }

    @Test(arguments: HostileProse.payloads())
    func payloadIsInert(payload: String) throws {
        let html = Prose.html(payload)
        for name in tagNames(html) {
            #expect(HTMLSanitizer.allowedElements.contains(name), "element <\(name)> in \(html)")
        }
        #expect(!html.contains("<!"), "a comment or doctype in \(html)")
        for token in HTMLTokenizer.tokens(html) {
            guard case .startTag(let name, let attributes, _) = token else { continue }
            for attribute in attributes {
                #expect(["title", "lang", "dir", "href", "src", "alt", "align", "colspan", "rowspan", "scope", "start",
                         "reversed", "type", "value", "class", "cite", "datetime", "open", "span", "width", "height"]
                    .contains(attribute.name), "attribute \(attribute.name) on <\(name)> in \(html)")
                let value = HTMLEntities.decode(attribute.value)
                if attribute.name == "href" || attribute.name == "cite" {
                    #expect(URLPolicy.isSafeLink(value), "link \(value)")
                }
                if attribute.name == "src" {
                    #expect(URLPolicy.isSafeImage(value), "image \(value)")
                    #expect(!value.lowercased().contains("127.0.0.1"), "remote image \(value)")
                }
            }
        }
        #expect(!html.lowercased().contains("javascript:"), "\(html)")
    }

    @Test func pageWithEveryPayloadHasNoTidyErrors() throws {
        var doc = Fixtures.document()
        doc.preamble = HostileProse.payloads().joined(separator: "\n\n")
        doc.steps[1].prose = HostileProse.payloads().joined(separator: "\n")
        try expectTidyClean(HTMLRenderer.render(doc))
    }

    @Test func unmatchedEndTagsCostNoSearch() {
        let html = String(repeating: "<b>", count: 20_000) + String(repeating: "</i>", count: 20_000)
        #expect(HTMLSanitizer.sanitize(html) == String(repeating: "<b>", count: 20_000) + String(repeating: "</b>", count: 20_000))
    }

    @Test(arguments: [
        // D22: the quote is an attribute name to the browser, and so it is here.
        ("<img src=x onerror=alert(1) \"a>", "<img src=\"x\">"),
        ("<img src=x onerror=alert(1) 'a>", "<img src=\"x\">"),
        ("<input autofocus onfocus=alert(1) 'x>", ""),
        ("<video poster=x><source onerror=alert(1) \"a></video>", ""),
        // D23
        ("<img src=\"//127.0.0.1:8765/p.png\">", ""),
        ("![md image](//127.0.0.1:8765/p.png)", "md image"),
        ("<div style=\"background: u\\72 l(http://127.0.0.1:8765/c.png)\">j</div>", "<div>j</div>"),
        ("<img src=\"\\/127.0.0.1:8765/b.png\" alt=\"b\">", "b"),
        // What prose may keep.
        ("[ok](https://example.com/a?b=1&c=2)", "<p><a href=\"https://example.com/a?b=1&amp;c=2\">ok</a></p>"),
        ("[rel](figures/a.svg) [up](../spirals/README.md) [here](#step-2)",
         "<p><a href=\"figures/a.svg\">rel</a> <a href=\"../spirals/README.md\">up</a> <a href=\"#step-2\">here</a></p>"),
        ("![chart](figures/train-loss.svg)", "<img src=\"figures/train-loss.svg\" alt=\"chart\">"),
        ("a < b & **c** &mdash; &#x2014;", "<p>a &lt; b &amp; <strong>c</strong> &mdash; &#x2014;</p>"),
        ("| a | b |\n|:-|-:|\n| 1 | 2 |", "<table><thead><tr><th align=\"left\">a</th><th align=\"right\">b</th></tr></thead><tbody><tr><td align=\"left\">1</td><td align=\"right\">2</td></tr></tbody></table>"),
        ("```swift\nlet s = \"<script>\"\n```", "<pre><code class=\"language-swift\">let s = \"&lt;script&gt;\"\n</code></pre>"),
        ("<details><summary>more</summary>text</details>", "<details><summary>more</summary>text</details>"),
        // Prose cannot close the page's own elements, nor leave its own open.
        ("</div></section></main><h1>fake</h1>", "<h1>fake</h1>"),
        ("<div><b>open", "<div><b>open</b></div>"),
        ("<span class=\"badge badge-succeeded\">succeeded</span>", "<span>succeeded</span>"),
        // Dropped with their content, or kept as text when they never end.
        ("text <script>alert(1)</script> more", "<p>text  more</p>"),
        ("<svg><text>s</text></svg>after", "<p>after</p>"),
        ("Hidden <!-- a comment --> shown", "<p>Hidden  shown</p>"),
        ("Shown <!-- never closed", "<p>Shown &lt;!-- never closed</p>"),
    ])
    func proseKeepsOnlyAllowedMarkup(markdown: String, expected: String) {
        #expect(Prose.html(markdown) == expected)
    }

    @Test func tokenizerSplitsTagsAsBrowsersDo() {
        #expect(HTMLTokenizer.tokens("<img src=x onerror=f() \"a>") == [
            .startTag(name: "img", attributes: [HTMLAttribute(name: "src", value: "x"), HTMLAttribute(name: "onerror", value: "f()"),
                                                 HTMLAttribute(name: "\"a", value: "")], selfClosing: false),
        ])
        #expect(HTMLTokenizer.tokens("<a href=\"\"onclick=\"x\"/>") == [
            .startTag(name: "a", attributes: [HTMLAttribute(name: "href", value: ""), HTMLAttribute(name: "onclick", value: "x")],
                      selfClosing: true),
        ])
        #expect(HTMLTokenizer.tokens("<IMG/SRC=x/ONERROR=y>") == [
            .startTag(name: "img", attributes: [HTMLAttribute(name: "src", value: "x/ONERROR=y")], selfClosing: false),
        ])
        #expect(HTMLTokenizer.tokens("<style></Style ><b>") == [
            .startTag(name: "style", attributes: [], selfClosing: false), .rawText(""), .endTag(name: "style"),
            .startTag(name: "b", attributes: [], selfClosing: false),
        ])
        #expect(HTMLTokenizer.tokens("<!--><b>-->") == [.comment, .startTag(name: "b", attributes: [], selfClosing: false), .text("-->")])
        #expect(HTMLTokenizer.tokens("a < b <1 </ c") == [.text("a "), .text("<"), .text(" b "), .text("<"), .text("1 "), .text("</ c")])
        #expect(HTMLTokenizer.tokens("<a title='x>") == [.text("<a title='x>")])
    }

    @Test(arguments: [
        ("https://example.com/x", true), ("HTTP://example.com", true), ("mailto:a@b.c", true), ("#anchor", true),
        ("figures/a.svg", true), ("../other/README.md", true), ("?q=1", true),
        ("javascript:alert(1)", false), ("JavaScript:alert(1)", false), (" \u{1}javascript:x", false),
        ("jav\tascript:x", false), ("java\nscript:x", false), ("data:text/html,x", false), ("vbscript:x", false),
        ("//host/x", false), ("\\/host/x", false), ("/\\host", false), ("/etc/passwd", false), ("file:///etc/passwd", false),
        ("a\u{7F}b", false),
    ])
    func linkPolicy(url: String, safe: Bool) {
        #expect(URLPolicy.isSafeLink(url) == safe, "\(url)")
    }

    @Test(arguments: [
        ("figures/a.png", true), ("a b.png", true), ("data:image/png;base64,AAAA", true), ("DATA:IMAGE/JPEG;base64,AA", true),
        ("data:image/gif,x", true), ("data:image/webp;base64,x", true),
        ("data:image/svg+xml,<svg/>", false), ("data:text/html,x", false), ("http://h/x.png", false), ("https://h/x.png", false),
        ("//h/x.png", false), (" //h/x.png", false), ("\\/h/x.png", false), ("\\\\h/x.png", false), ("/x.png", false),
        ("../x.png", false), ("figures/../../x.png", false), ("figures/%2e%2e/%2E%2E/x.png", false), ("#", false), ("", false),
        ("?x", false), ("javascript:x", false),
    ])
    func imagePolicy(url: String, safe: Bool) {
        #expect(URLPolicy.isSafeImage(url) == safe, "\(url)")
    }

    @Test func entitiesAreDecodedBeforeSchemesAreChecked() {
        #expect(HTMLEntities.decode("jav&#x09;ascript&colon;x") == "jav\tascript:x")
        #expect(HTMLEntities.decode("&#106&#97;&#X76;a&Tab;&NewLine;") == "java\t\n")
        #expect(HTMLEntities.decode("a&b=1&unknown;&#0;&#x110000;") == "a&b=1&unknown;\u{FFFD}\u{FFFD}")
        #expect(Prose.html("<a href=\"&#106;avascript:x\">a</a>") == "<a>a</a>")
        #expect(Prose.html("<a href=\"a&unknown;b\">a</a>") == "<a href=\"a&amp;unknown;b\">a</a>")
    }
}
