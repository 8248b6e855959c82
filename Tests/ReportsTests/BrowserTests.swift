import Foundation
import Testing
@testable import Reports

/// Opens `index.html` in headless Chromium, as a reader would: it must load without a
/// console error or a blocked request and paint a page. The screenshots are left in
/// `$TMPDIR/lab-reports-browser/` to look at (desktop 1280 px and phone 400 px wide).
@Suite(.serialized) struct BrowserTests {
    static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lab-reports-browser")

    @Test(arguments: [("fixture", 1280), ("fixture", 400), ("hostile", 1280)])
    func chromiumRendersThePage(name: String, width: Int) throws {
        guard let chromium = ExternalTool.find("chromium") else { return }
        let doc = name == "hostile" ? Fixtures.hostile() : Fixtures.document()
        let folder = Self.folder.appendingPathComponent(name)
        try ReportWriter.write(doc, to: folder)
        let page = folder.appendingPathComponent("index.html")
        let screenshot = Self.folder.appendingPathComponent("\(name)-\(width).png")
        try? FileManager.default.removeItem(at: screenshot)
        let result = try chromium.run([
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--user-data-dir=" + Self.folder.appendingPathComponent("profile").path,
            "--enable-logging=stderr", "--v=0",
            "--screenshot=" + screenshot.path, "--window-size=\(width),2400", page.absoluteString,
        ])
        #expect(result.status == 0, "chromium exited \(result.status):\n\(result.stderr)")
        let png = try Data(contentsOf: screenshot)
        #expect(png.count > 1000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "not a PNG screenshot: \(png.count) bytes")
        let complaints = result.stderr.split(separator: "\n").filter {
            $0.contains("Uncaught") || $0.contains("Refused to") || $0.contains("CONSOLE") || $0.contains("Failed to load resource")
        }
        #expect(complaints.isEmpty, "the page logged: \(complaints.joined(separator: "\n"))")
    }

    /// D22, D23: with every hostile prose payload (``HostileProse``), no script runs and
    /// nothing loads — in the report page (sanitizer and Content-Security-Policy) and in a
    /// bare page holding only the sanitized prose (the sanitizer alone). Both are served by a
    /// loopback server, so a protocol-relative or relative URL would reach it too.
    @Test func hostileProseRunsNothingAndLoadsNothing() throws {
        guard let chromium = ExternalTool.find("chromium"), let timeout = ExternalTool.find("timeout", package: "coreutils") else {
            return
        }
        // Two origins: `server` serves the pages (and may see relative loads inside their
        // folders), `remote` stands for every other host and must see no request at all.
        let server = try LoopbackServer(), remote = try LoopbackServer()
        defer { server.stop(); remote.stop() }
        let payloads = HostileProse.payloads(host: "127.0.0.1:\(remote.port)")
        var doc = Fixtures.document()
        let template = doc.steps[0]
        doc.steps = payloads.enumerated().map { index, payload in
            var step = template
            step.name = "s\(index)"
            step.prose = payload
            return step
        }
        doc.preamble = payloads.joined(separator: "\n\n")
        server.serve(HTMLRenderer.render(doc), at: "/report/index.html")
        let bare = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>bare</title></head>\n<body>\n"
            + payloads.map { "<section>" + Prose.html($0) + "</section>\n" }.joined() + "</body>\n</html>\n"
        server.serve(bare, at: "/bare/index.html")
        for page in ["/report/index.html", "/bare/index.html"] {
            let result = try timeout.run([
                "120", chromium.path, "--headless", "--no-sandbox", "--disable-gpu",
                "--user-data-dir=" + Self.folder.appendingPathComponent("profile-hostile").path,
                "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom", server.url(page),
            ])
            #expect(result.status == 0, "chromium exited \(result.status):\n\(result.stderr)")
            #expect(result.stdout.contains("</html>"), "no DOM for \(page)")
            #expect(!Self.htmlTag(result.stdout).contains("data-pwned"), "script ran in \(page): \(Self.htmlTag(result.stdout))")
            let refused = result.stderr.split(separator: "\n").filter { $0.contains("Refused to") || $0.contains("violates") }
            #expect(refused.isEmpty, "the sanitizer left something for the CSP to stop in \(page): \(refused.joined(separator: "\n"))")
        }
        // Relative images inside the report's folder may load; nothing else (the browser's
        // own favicon request aside).
        let outside = server.unexpectedRequests.filter {
            !$0.hasPrefix("/report/") && !$0.hasPrefix("/bare/") && $0 != "/favicon.ico"
        }
        #expect(outside.isEmpty, "the pages requested \(outside)")
        #expect(remote.unexpectedRequests.isEmpty, "the pages loaded from another host: \(remote.unexpectedRequests)")
    }

    /// The `<html …>` start tag of a dumped DOM, where a payload that ran leaves its mark.
    static func htmlTag(_ dom: String) -> String {
        guard let start = dom.range(of: "<html"), let end = dom[start.upperBound...].firstIndex(of: ">") else { return dom }
        return String(dom[start.lowerBound...end])
    }

    /// The Content-Security-Policy stops what the sanitizer is not there to stop (a
    /// renderer bug that let markup through): here, markup written into the page directly.
    @Test func contentSecurityPolicyBlocksScriptAndRemoteLoads() throws {
        guard let chromium = ExternalTool.find("chromium"), let timeout = ExternalTool.find("timeout", package: "coreutils") else {
            return
        }
        let server = try LoopbackServer(), remote = try LoopbackServer()
        defer { server.stop(); remote.stop() }
        let page = HTMLRenderer.render(Fixtures.document()).replacingOccurrences(
            of: "<main>",
            with: "<main><script>\(HostileProse.pwn("csp-script"))</script><img src=x onerror=\"\(HostileProse.pwn("csp-handler"))\">"
                + "<img src=\"//127.0.0.1:\(remote.port)/csp-image.png\"><iframe src=\"//127.0.0.1:\(remote.port)/csp-frame\"></iframe>"
                + "<link rel=stylesheet href=\"//127.0.0.1:\(remote.port)/csp.css\">")
        server.serve(page, at: "/csp/index.html")
        let result = try timeout.run([
            "120", chromium.path, "--headless", "--no-sandbox", "--disable-gpu",
            "--user-data-dir=" + Self.folder.appendingPathComponent("profile-csp").path,
            "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom", server.url("/csp/index.html"),
        ])
        #expect(result.status == 0, "chromium exited \(result.status):\n\(result.stderr)")
        #expect(result.stdout.contains("<script>"), "the test page lost its script: \(result.stdout.prefix(300))")
        #expect(!Self.htmlTag(result.stdout).contains("data-pwned"), "script ran despite the policy: \(Self.htmlTag(result.stdout))")
        #expect(remote.unexpectedRequests.isEmpty, "the page loaded from another host: \(remote.unexpectedRequests)")
    }
}
