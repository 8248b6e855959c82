import Foundation
import Testing
@testable import Reports

/// The escaping helpers, input by input: what a user string becomes in each format.
struct EscapingTests {
    @Test(arguments: [
        ("plain words", "plain words"),
        ("final_loss", "final_loss"),
        ("_private_", "\\_private\\_"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("a|b", "a\\|b"),
        ("`code`", "\\`code\\`"),
        ("back\\slash", "back\\\\slash"),
        ("line\nbreak", "line break"),
        ("crlf\r\nbreak", "crlf break"),
        ("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"),
        ("**bold** ~~s~~ # $x$ !", "\\*\\*bold\\*\\* \\~\\~s\\~\\~ \\# \\$x\\$ \\!"),
        ("a & b", "a &amp; b"),
        ("nul\u{0}", "nul\u{FFFD}"),
    ])
    func gfmText(input: String, expected: String) {
        #expect(GFM.text(input) == expected)
    }

    @Test func gfmCellKeepsOneCellAndBreaksLines() {
        #expect(GFM.cell("a|b\nc") == "a\\|b<br>c")
    }

    @Test(arguments: [
        ("main", "`main`"),
        ("feature/x-1", "`feature/x-1`"),
        ("has`tick", "has\\`tick"),
        ("a|b", "a\\|b"),
        (" padded", " padded"),
        ("", ""),
        ("<b>", "`<b>`"),
    ])
    func gfmCodeSpanOnlyWhenSafe(input: String, expected: String) {
        #expect(GFM.code(input) == expected)
    }

    @Test func gfmFenceIsLongerThanAnyBacktickRun() {
        #expect(GFM.fenced("plain", info: "swift") == "```swift\nplain\n```\n")
        #expect(GFM.fenced("a ``` b\n", info: "") == "````\na ``` b\n````\n")
        #expect(GFM.fenced("`````", info: "text") == "``````text\n`````\n``````\n")
    }

    @Test func gfmTablePadsRaggedRows() {
        #expect(GFM.table(header: ["a"], rows: [["1", "2"]]) == "| a |  |\n| --- | --- |\n| 1 | 2 |\n")
    }

    @Test(arguments: [
        ("<a href=\"x\">'&'</a>", "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"),
        ("bell\u{7}", "bell\u{FFFD}"),
        ("tab\tnewline\n", "tab\tnewline\n"),
    ])
    func htmlEscape(input: String, expected: String) {
        #expect(HTML.escape(input) == expected)
    }

    @Test(arguments: [
        ("text <script>alert(1)</script> more", "<p>text  more</p>"),
        ("<SCRIPT src=x></SCRIPT>\n\npara", "<p>para</p>"),
        ("<scr<script></script>ipt>alert(1)</script>", "ipt&gt;alert(1)"),
        ("[x](javascript:alert(1))", "<p><a>x</a></p>"),
        ("[x]( JaVaScRiPt:alert(1))", "<p><a>x</a></p>"),
        ("[x](java&#115;cript:alert(1))", "<p><a>x</a></p>"),
        ("[y](\"onmouseover=\"alert(1))", "<p><a href=\"\">y</a></p>"),
        ("[ok](https://example.com/a?b=1&c=2)", "<p><a href=\"https://example.com/a?b=1&amp;c=2\">ok</a></p>"),
        ("[rel](figures/a.svg)", "<p><a href=\"figures/a.svg\">rel</a></p>"),
        // Ink gives an image alone in its paragraph no <p>; a refused image becomes its alt text.
        ("![remote](http://example.com/x.png)", "remote"),
        ("<img src=x onerror=alert(1)>", "<img src=\"x\">"),
        ("<p onclick='x' style=\"background:url(http://x)\">hi</p>", "<p>hi</p>"),
        ("<iframe src=\"https://x\"></iframe>", ""),
        ("a < b & **c**", "<p>a &lt; b &amp; <strong>c</strong></p>"),
        ("```swift\nlet s = \"<script>\"\n```", "<pre><code class=\"language-swift\">let s = \"&lt;script&gt;\"\n</code></pre>"),
    ])
    func proseIsCleaned(markdown: String, expected: String) {
        #expect(Prose.html(markdown) == expected)
    }
}
