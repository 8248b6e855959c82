/// Prose that tries to run script or load something in `index.html`: every payload of the
/// reliability campaign (D22, D23, appendix B) and more (namespaces, frames, refresh,
/// `<base>`, forms, plugins, style sheets, disguised schemes, srcset, mutation-XSS shapes).
/// A payload that runs sets a `data-pwned-…` attribute on `<html>`; one that loads asks
/// `host` (a loopback server in the browser test) for a path.
enum HostileProse {
    static func pwn(_ name: String) -> String { "document.documentElement.setAttribute('data-pwned-\(name)','1')" }

    /// Each payload as its own prose block.
    static func payloads(host: String = "127.0.0.1:9") -> [String] {
        let h = "//" + host
        return [
            // D22: unbalanced quotes.
            "<img src=x onerror=\(pwn("unbalanced-dq")) \"a>",
            "<img src=x onerror=\(pwn("unbalanced-sq")) 'a>",
            "<video poster=x><source onerror=\(pwn("source-onerror")) \"a></video>",
            "<input autofocus onfocus=\(pwn("autofocus")) 'x>",
            // D23: remote loads.
            "<img src=\"\(h)/protocol-relative.png\">",
            "![md image](\(h)/md-protocol-relative.png)",
            "<div style=\"background-image: image-set('http:\(h)/image-set.png' 1x); width: 10px; height: 10px\">i</div>",
            "<div style=\"background: u\\72 l(http:\(h)/css-escape.png); width: 10px; height: 10px\">j</div>",
            "<img src=\"\\/\(host)/backslash.png\">",
            // Appendix B and the earlier cleaner's cases.
            "<script>\(pwn("script"))</script>",
            "\"><img src=x onerror=\(pwn("attr-dq"))>",
            "'><img src=x onerror='\(pwn("attr-sq"))'>",
            "[link](javascript:\(pwn("js-link")))",
            "<svg onload=\(pwn("svg-onload"))></svg>",
            "]]><script>\(pwn("cdata"))</script>",
            "<svg><script>\(pwn("svg-script"))</script></svg>",
            "<scr<script></script>ipt>\(pwn("nested"))</script>",
            "<details open ontoggle=\(pwn("ontoggle"))>x</details>",
            "<math><mi xlink:href=\"javascript:\(pwn("math-xlink"))\">m</mi></math>",
            "Hidden from here <!-- everything after this is a comment",
            "<b>`code`</b> | pipes | <!-- and a comment -->",
            // Namespaces and mutation-XSS shapes.
            "<svg><foreignObject><img src=x onerror=\(pwn("foreign-object"))></foreignObject></svg>",
            "<svg><style><img src=x onerror=\(pwn("svg-style"))></style></svg>",
            "<math><mtext><table><mglyph><style><img src=x onerror=\(pwn("mglyph"))>",
            "<svg></p><style><a id=\"</style><img src=1 onerror=\(pwn("svg-p-style"))>\">",
            "<noscript><p title=\"</noscript><img src=x onerror=\(pwn("noscript"))>\"></noscript>",
            "<textarea><img src=x onerror=\(pwn("textarea"))></textarea>",
            "<title><img src=x onerror=\(pwn("title"))></title>",
            "<![CDATA[<img src=x onerror=\(pwn("cdata-section"))>]]>",
            "<!--><img src=x onerror=\(pwn("abrupt-comment"))>-->",
            "<?xml <img src=x onerror=\(pwn("pi"))>?>",
            "</x <img src=x onerror=\(pwn("end-tag-attr"))>",
            "<img/src=x/onerror=\(pwn("slashes"))>",
            "<img src=x onerror\u{0C}=\(pwn("form-feed"))>",
            "<IMG SRC=x ONERROR=\(pwn("uppercase"))>",
            "<image src=x onerror=\(pwn("image-alias"))>",
            "<body onload=\(pwn("body-onload"))>",
            "<a href=\"x\" onclick=\(pwn("onclick"))>click</a>",
            "<img src=x onerror=\(pwn("cut-off")) ",
            // Frames, refresh, base, forms, plugins, style sheets.
            "<iframe srcdoc=\"<script>parent.\(pwn("srcdoc"))</script>\"></iframe>",
            "<iframe src=\"http:\(h)/iframe\"></iframe>",
            "<meta http-equiv=\"refresh\" content=\"0; url=http:\(h)/refresh\">",
            "<base href=\"http:\(h)/\"><img src=\"base-relative.png\">",
            "<form action=\"http:\(h)/form\"><button autofocus formaction=\"http:\(h)/formaction\">go</button><input type=submit></form>",
            "<input type=image src=\"http:\(h)/input-image.png\">",
            "<object data=\"http:\(h)/object\"></object>",
            "<object data=\"javascript:\(pwn("object-js"))\"></object>",
            "<embed src=\"http:\(h)/embed\">",
            "<link rel=stylesheet href=\"http:\(h)/link.css\">",
            "<link rel=prefetch href=\"http:\(h)/prefetch\">",
            "<style>@import url(http:\(h)/import.css); @import 'http:\(h)/import2.css';</style>",
            "<p style=\"background:url(http:\(h)/style-url.png)\">s</p>",
            "<audio src=\"http:\(h)/audio.mp3\" autoplay></audio>",
            "<video><source src=\"http:\(h)/video.mp4\"></video>",
            "<table background=\"http:\(h)/table-background.png\"><tr><td>t</td></tr></table>",
            // Disguised schemes and sources.
            "[entity](&#106;avascript:\(pwn("entity-link")))",
            "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;\(pwn("entity-all"))\">e</a>",
            "<a href=\"jav&#x09;ascript:\(pwn("tab-entity"))\">tab</a>",
            "<a href=\"jav\tascript:\(pwn("tab-raw"))\">tab</a>",
            "<a href=\"javascript&colon;\(pwn("colon-entity"))\">colon</a>",
            "<a href=\"JAVASCRIPT:\(pwn("upper-scheme"))\">upper</a>",
            "<a href=\" \u{1}javascript:\(pwn("control-prefix"))\">control</a>",
            "<a href=\"data:text/html,<script>\(pwn("data-link"))</script>\">data</a>",
            "<a href=\"vbscript:msgbox(1)\">vb</a>",
            "<img src=\"HTTP:\(h)/upper-http.png\">",
            "<img src=\"http&#58;\(h)/entity-http.png\">",
            "<img src=\" \(h)/spaced-protocol-relative.png\">",
            "<img src=\"/\\\(host)/slash-backslash.png\">",
            "<img src=\"\\\\\(host)/double-backslash.png\">",
            "<img src=\"data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload='\(pwn("svg-data"))'/>\">",
            "<img srcset=\"http:\(h)/srcset.png 1x\" src=\"data:image/png;base64,iVBORw0KGgo=\">",
            "<picture><source srcset=\"http:\(h)/picture.png\"><img src=x></picture>",
            "<img src=\"http:\(h)/remote.png\">",
            "![remote](https:\(h)/remote-md.png)",
            "<a href=\"http:\(h)/allowed-link\">an allowed link: loads nothing until clicked</a>",
        ]
    }
}
