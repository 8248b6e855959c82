import ArgumentParser
import Foundation
import Lab

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Inspect and maintain the step cache (.lab/cache).",
        subcommands: [Ls.self, Du.self, Gc.self, Verify.self])

    static func open() throws -> CacheStore {
        try CacheStore(root: projectRoot().appendingPathComponent(".lab/cache"))
    }

    static func size(_ bytes: Int64) -> String {
        ByteCountFormatter.string(fromByteCount: bytes, countStyle: .binary)
    }

    struct Ls: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List cache entries, newest use first.")
        func run() throws {
            let entries = try CacheCommand.open().entries().sorted { $0.lastUsedAt > $1.lastUsedAt }
            if entries.isEmpty { print("the cache is empty"); return }
            let formatter = ISO8601DateFormatter()
            print(table(["KEY", "EXPERIMENT", "STEP", "SIZE", "LAST USED"], entries.map {
                [String($0.key.prefix(16)), $0.experiment, $0.step, CacheCommand.size($0.bytes), formatter.string(from: $0.lastUsedAt)]
            }))
        }
    }

    struct Du: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Total size of the cache, by experiment and step.")
        func run() throws {
            let cache = try CacheCommand.open()
            var byStep: [String: (Int, Int64)] = [:]
            for e in try cache.entries() {
                let k = "\(e.experiment)/\(e.step)"
                byStep[k] = ((byStep[k]?.0 ?? 0) + 1, (byStep[k]?.1 ?? 0) + e.bytes)
            }
            print(table(["STEP", "ENTRIES", "SIZE"], byStep.keys.sorted().map { [$0, String(byStep[$0]!.0), CacheCommand.size(byStep[$0]!.1)] }))
            print("total \(CacheCommand.size(cache.totalBytes()))")
        }
    }

    struct Gc: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove old entries and checkpoints (keep the newest N per step and what the latest run of each experiment used), debris, and old compiled binaries.")
        @Option(name: .customLong("keep-last"), help: "Entries to keep per step.")
        var keepLast: Int = 1
        func run() throws {
            let cache = try CacheCommand.open()
            var protected = Set<String>()
            if let store = try? openStore() {
                var seen = Set<String>()
                for run in try store.runs() where seen.insert(run.experiment).inserted {
                    for step in try store.steps(runId: run.id) { protected.insert(step.key) }
                }
            }
            let (removed, freed) = try cache.gc(keepLast: keepLast, protecting: protected)
            let lab = projectRoot().appendingPathComponent(".lab")
            let checkpoints = Checkpoints.gc(root: lab.appendingPathComponent("checkpoints"), cache: cache,
                                             keepLast: keepLast, protecting: protected)
            let binaries = ExperimentCompiler.collect(bin: lab.appendingPathComponent("bin"), keepNewest: ExperimentCompiler.binariesKept)
            print("removed \(removed) entries, \(checkpoints.removed) checkpoints, \(binaries.removed) compiled binaries; freed \(CacheCommand.size(freed + checkpoints.freedBytes + binaries.freedBytes))")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every entry's and every idle checkpoint's hashes; remove the corrupt ones.")
        func run() throws {
            let problems = try CacheCommand.open().verifyAll()
            let checkpoints = Checkpoints.verifyAll(root: projectRoot().appendingPathComponent(".lab/checkpoints"))
            if problems.isEmpty && checkpoints.isEmpty { print("all entries verified"); return }
            for p in problems { print("evicted \(p.key.prefix(16)): \(p.problem)") }
            for p in checkpoints { print("removed checkpoint \(p.key.prefix(16)): \(p.problem)") }
            throw ExitCode(1)
        }
    }
}
