import Foundation
import Testing
@testable import Reports

/// Report folder names and the index's links (D21, D24, D25), and the hash behind them.
struct FileNameTests {
    /// Every experiment name of the campaign's D24 and D25, and more.
    static let names = [
        "../../etc/x", "/abs/path", "a/b", "a-b", "tab\tname", "\\~", "~", "", ".", "..", "...", ".git", "-rf", "a b",
        "spirals", "Spirals", "SPIRALS", "fashion-mlp", "café", "cafe\u{301}", "line1\nline2", "rtl\u{202E}txt.exe",
        "a~0123456789abcdef", String(repeating: "x", count: 100), String(repeating: "x", count: 101),
        String(repeating: "long name ", count: 10_000),
    ]

    @Test func sha256MatchesTheStandardsVectors() {
        #expect(SHA256.hex("".utf8) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc".utf8) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno" +
                            "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu").utf8)
            == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    @Test func plainNamesStayAndOthersGetASlugAndAHash() {
        #expect(FileName.component("spirals") == "spirals")
        #expect(FileName.component("fashion-mlp") == "fashion-mlp")
        #expect(FileName.component("model_v2.bin") == "model_v2.bin")
        #expect(FileName.component("a/b").hasPrefix("a-b~"))
        #expect(FileName.component("..").hasPrefix("experiment~"))
        #expect(FileName.component("").hasPrefix("experiment~"))
        #expect(FileName.component("/x", fallback: "unnamed") == "x~" + String(SHA256.hex("/x".utf8).prefix(16)))
        #expect(FileName.component(".git").hasPrefix("git~"))
        #expect(FileName.component("Spirals").hasPrefix("Spirals~"))
    }

    @Test func everyNameGetsItsOwnSafeFolder() throws {
        let folders = Self.names.map { FileName.component($0) }
        #expect(Set(folders).count == Self.names.count, "two names share a folder: \(folders)")
        #expect(Set(folders.map { $0.lowercased() }).count == Self.names.count, "two folders differ only in case")
        for (name, folder) in zip(Self.names, folders) {
            #expect(!folder.isEmpty && folder.utf8.count <= 100, "\(name.prefix(40)) → \(folder)")
            #expect(folder.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._~-".contains($0)) }, "\(folder)")
            #expect(!folder.hasPrefix(".") && !folder.hasPrefix("-") && !folder.hasPrefix("~"), "\(folder)")
            #expect(ReportWriter.pathSegment(folder) == folder, "the link would not name the folder: \(folder)")
        }
    }

    /// D24, D25: each name's report is written to its own folder inside `reports/`, and the
    /// index links to exactly that folder.
    @Test func indexLinksNameTheFoldersThatWereWritten() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lab-names-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let reports = root.appendingPathComponent("reports")
        let names = Self.names.filter { $0.count < 1000 }
        for (index, name) in names.enumerated() {
            var doc = Fixtures.document()
            doc.title = name
            doc.run.experiment = name
            doc.run.id = "run-\(index)"
            try ReportWriter.write(doc, to: reports.appendingPathComponent(FileName.component(name)))
        }
        let written = try FileManager.default.contentsOfDirectory(atPath: reports.path).sorted()
        #expect(written.count == names.count, "\(written)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["reports"], "a folder outside reports/")
        let entries = IndexEntry.entries(in: reports)
        #expect(Set(entries.map(\.experiment)) == Set(names))
        #expect(Set(entries.map(\.runId)).count == names.count)
        try ReportWriter.writeIndex(entries, to: reports)
        let index = try String(contentsOf: reports.appendingPathComponent("README.md"), encoding: .utf8)
        let links = try NSRegularExpression(pattern: #"\[README\]\(([^)]*)/README\.md\)"#)
            .matches(in: index, range: NSRange(index.startIndex..., in: index))
            .map { String(index[Range($0.range(at: 1), in: index)!]) }
        #expect(links.sorted() == written.filter { $0 != "README.md" }.sorted())
        for link in links {
            #expect(FileManager.default.fileExists(atPath: reports.appendingPathComponent(link).appendingPathComponent("README.md").path))
        }
    }
}
