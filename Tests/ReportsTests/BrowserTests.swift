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
}
