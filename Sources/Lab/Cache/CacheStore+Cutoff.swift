import Foundation

/// Early cut-off: a step whose key changed only because an input's key changed, while that
/// input's output came out byte-identical, reuses the entry it computed from those bytes.
///
/// A step's key covers its inputs' *keys*, so any change above a step re-runs it. Keys are
/// known before anything runs, which is what makes `--explain`, `--dry-run` and `lab status`
/// possible; outputs are known only after. So the key stays as it is, and each committed
/// entry also gets an *alias*: SHA-256 over the key's parts except `upstream`, plus the
/// digest of each input's output (``outputDigest(of:)``). On a miss, the runner computes the
/// alias from the inputs it now has and, when an entry was made from the same own parts and
/// the same input bytes, takes it (Bazel's and Shake's early cut-off).
///
/// Aliases live in `cache/aliases/<alias>` as one line: the key of the entry they name.
/// An alias whose entry is gone is a miss, and `lab cache gc` removes it.
extension CacheStore {
    /// The folder of alias files.
    var aliasesDirectory: URL { root.appendingPathComponent("aliases", isDirectory: true) }

    /// SHA-256 over an entry's output files (name and digest, sorted), from its manifest,
    /// leaving out `recording.json` (logged series and metrics, which no consumer reads):
    /// equal digests mean byte-identical outputs. Nil when the entry or its manifest is missing.
    package func outputDigest(of folder: URL) -> String? {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent(CacheManifest.fileName)),
              let manifest = try? JSONDecoder.iso8601Manifest.decode(CacheManifest.self, from: data) else { return nil }
        let lines = manifest.files.filter { $0.key != "recording.json" }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.sha256)" }
        return sha256Hex(lines.joined(separator: "\n"))
    }

    /// The alias of a step computed from `parts` (its key's parts) and the output digests
    /// of its inputs, in input order.
    package static func alias(parts: [String: String], inputDigests: [String]) -> String {
        let own = parts.filter { $0.key != "upstream" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return sha256Hex((own + inputDigests.map { "input=\($0)" }).joined(separator: "\n"))
    }

    /// Records that the entry under `key` was computed from the inputs `alias` describes.
    /// Best effort: a failure only costs a future cut-off.
    package func recordAlias(_ alias: String, for key: String) {
        guard Self.isValid(alias), Self.isValid(key) else { return }
        try? FileManager.default.createDirectory(at: aliasesDirectory, withIntermediateDirectories: true)
        try? FileIO.writeDurably(Data((key + "\n").utf8), to: aliasesDirectory.appendingPathComponent(alias))
    }

    /// The entry an alias names, when it is still there and intact.
    package func lookup(alias: String) -> (key: String, folder: URL)? {
        guard Self.isValid(alias),
              let text = try? String(contentsOf: aliasesDirectory.appendingPathComponent(alias), encoding: .utf8) else { return nil }
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard case .hit(let folder) = lookup(key: key) else { return nil }
        return (key, folder)
    }

    /// Removes aliases whose entry is gone. - Returns: how many were removed.
    @discardableResult
    package func removeDanglingAliases() -> Int {
        let fm = FileManager.default
        var removed = 0
        for name in (try? fm.contentsOfDirectory(atPath: aliasesDirectory.path)) ?? [] {
            let url = aliasesDirectory.appendingPathComponent(name)
            let key = (try? String(contentsOf: url, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if !Self.isValid(key) || (try? FileIO.status(entryURL(key).path)) == nil {
                if (try? fm.removeItem(at: url)) != nil { removed += 1 }
            }
        }
        return removed
    }
}

extension JSONDecoder {
    /// Decodes manifests (ISO 8601 dates).
    static var iso8601Manifest: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
