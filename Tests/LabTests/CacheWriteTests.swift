import Foundation
import Testing
@testable import Lab

/// The fast path for large outputs: bytes hashed while they are written.
@Suite struct CacheWriteTests {
    func makeStore() throws -> (CacheStore, URL) {
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("lab-cache-write-\(UUID().uuidString.prefix(8))")
        return (try CacheStore(root: root), root)
    }

    @Test func writtenFilesGetTheSameManifestAsHashedOnes() throws {
        let (store, root) = try makeStore()
        defer { try? FileManager.default.removeItem(at: root) }
        let bytes = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
        let fast = try store.stage()
        try store.write(bytes, named: "tensors.safetensors", into: fast)
        try store.commit(key: String(repeating: "a", count: 64), staged: fast, step: "s", experiment: "e")
        let slow = try store.stage()
        try bytes.write(to: slow.appendingPathComponent("tensors.safetensors"))
        try store.commit(key: String(repeating: "b", count: 64), staged: slow, step: "s", experiment: "e")
        guard case .hit(let a) = store.lookup(key: String(repeating: "a", count: 64)),
              case .hit(let b) = store.lookup(key: String(repeating: "b", count: 64)) else {
            Issue.record("both entries must verify"); return
        }
        #expect(try Data(contentsOf: a.appendingPathComponent("tensors.safetensors")) == bytes)
        let manifestA = try String(contentsOf: a.appendingPathComponent("manifest.json"), encoding: .utf8)
        let manifestB = try String(contentsOf: b.appendingPathComponent("manifest.json"), encoding: .utf8)
        let digest = try FileIO.sha256(of: b.appendingPathComponent("tensors.safetensors"))
        #expect(manifestA.contains(digest) && manifestB.contains(digest))
    }

    @Test func aFileChangedAfterItsWriteIsCaughtOnLookup() throws {
        let (store, root) = try makeStore()
        defer { try? FileManager.default.removeItem(at: root) }
        let staged = try store.stage()
        try store.write(Data(repeating: 7, count: 4096), named: "tensors.safetensors", into: staged)
        // Same size, other bytes: the recorded digest no longer matches.
        try Data(repeating: 8, count: 4096).write(to: staged.appendingPathComponent("tensors.safetensors"))
        let key = String(repeating: "c", count: 64)
        try store.commit(key: key, staged: staged, step: "s", experiment: "e")
        guard case .corrupt(let reason) = store.lookup(key: key) else {
            Issue.record("a stale digest must not verify"); return
        }
        #expect(reason.contains("tensors.safetensors"))
    }
}
