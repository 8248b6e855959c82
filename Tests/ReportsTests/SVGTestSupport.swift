import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// An SVG parsed with Foundation's `XMLParser`: element names, the text of each element,
/// numeric attributes, and the pieces the chart tests look at.
final class ParsedSVG: NSObject, XMLParserDelegate {
    private(set) var root: String?
    private(set) var elements: [String] = []
    /// The character data of every element, each on its own (a `<title>` inside a `<text>`
    /// is a separate entry).
    private(set) var texts: [String] = []
    private(set) var numericAttributes: [(String, String)] = []
    private(set) var pathData: [String] = []
    private(set) var seriesStyles: [String] = []
    private(set) var images: [(x: String, y: String, href: String)] = []
    private(set) var cellRects = 0
    private(set) var cellTexts = 0

    private var open: [(name: String, text: String, group: String?)] = []
    private var parseError: Error?

    init(_ svg: String) throws {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        guard parser.parse() else {
            throw SVGCheckError("XMLParser rejected the SVG: \(parser.parserError.map(String.init(describing:)) ?? "?")")
        }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if root == nil { root = name }
        elements.append(name)
        let group = name == "g" ? attributes["class"] : open.last?.group
        open.append((name, "", group))
        for key in ["x", "y", "x1", "y1", "x2", "y2", "width", "height", "d", "transform", "viewBox", "font-size"] {
            if let value = attributes[key] { numericAttributes.append((key, value)) }
        }
        if name == "path", let d = attributes["d"] {
            pathData.append(d)
            seriesStyles.append((attributes["stroke"] ?? "") + "/" + (attributes["stroke-dasharray"] ?? ""))
        }
        if name == "image" { images.append((attributes["x"] ?? "", attributes["y"] ?? "", attributes["href"] ?? "")) }
        if group == "cells" && name == "rect" { cellRects += 1 }
        if group == "cells" && name == "text" { cellTexts += 1 }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if !open.isEmpty { open[open.count - 1].text += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if let element = open.popLast(), !element.text.isEmpty { texts.append(element.text) }
    }
}

struct SVGCheckError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// External programs the tests use to check output independently (xmllint, python3).
enum SVGTool {
    /// The path of an executable on $PATH (or the usual system folders), or nil.
    static func path(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"]
        return folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `tool` with `arguments`; returns its exit status, stdout and stderr.
    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: Data, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // stderr is small (one message); reading stdout to its end first cannot deadlock.
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let error = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output, String(decoding: error, as: UTF8.self))
    }

    /// Writes `data` to a new temporary file and returns its path.
    static func temporaryFile(_ data: Data, suffix: String) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("reports-test-\(UUID().uuidString)\(suffix)").path
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Checks `svg` with `xmllint --noout`; records an issue if xmllint is missing.
func expectXmllintAccepts(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    guard let xmllint = SVGTool.path("xmllint") else {
        Issue.record("xmllint not found: install libxml2-utils (apt) or libxml2 (brew) to check SVG well-formedness",
                     sourceLocation: sourceLocation)
        return
    }
    let file = try SVGTool.temporaryFile(Data(svg.utf8), suffix: ".svg")
    defer { try? FileManager.default.removeItem(atPath: file) }
    let result = try SVGTool.run(xmllint, ["--noout", file])
    #expect(result.status == 0, "xmllint: \(result.error)", sourceLocation: sourceLocation)
}
