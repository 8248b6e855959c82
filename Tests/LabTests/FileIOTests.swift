import Crypto
import Foundation
import Testing
@testable import Lab

/// Each test gets its own folder, removed afterwards.
final class FileIOTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("lab-fileio-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
    }

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ])
    func sha256MatchesKnownVectors(text: String, digest: String) throws {
        let url = folder.appendingPathComponent("vector-\(text.count)")
        try Data(text.utf8).write(to: url)
        #expect(try FileIO.sha256(of: url) == digest)
    }

    @Test func sha256StreamsAcrossChunkBoundaries() throws {
        // Not a multiple of the chunk size, so the last read is short.
        let data = Data((0..<(2 * FileIO.hashChunkSize + 12345)).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) })
        let url = folder.appendingPathComponent("big")
        try data.write(to: url)
        #expect(try FileIO.sha256(of: url) == FileIO.hex(SHA256.hash(data: data)))
    }

    @Test func writeDurablyReplacesWholeAndLeavesNoTemporaryFile() throws {
        let url = folder.appendingPathComponent("manifest.json")
        try FileIO.writeDurably(Data("old".utf8), to: url)
        try FileIO.writeDurably(Data("new contents".utf8), to: url)
        #expect(try Data(contentsOf: url) == Data("new contents".utf8))
        #expect(try FileIO.contents(of: folder) == ["manifest.json"])
        try FileIO.fsync(url: url)
        try FileIO.fsync(url: folder)
    }

    @Test func errorsNameTheCallAndPath() throws {
        let missing = folder.appendingPathComponent("nope/file")
        #expect(throws: CacheError.io(operation: "open", path: missing.path, code: ENOENT)) {
            try FileIO.sha256(of: missing)
        }
        #expect(throws: CacheError.self) { try FileIO.writeDurably(Data(), to: missing) }
    }
}
