// The runner's side of `make bench` (issue targets in brackets):
//   cache_write_100mb   durable write of a 100 MB output through the cache (hash, fsync, rename) vs dd conv=fsync [≥ 80% of dd]
//   cache_mmap_read     reading it back through a memory map [≥ 2 GB/s]
//   metric_logging      scalar points per second into the run store, buffered [≥ 1,000,000/s]
//   cached_rerun        `lab run` of an unchanged, fully cached experiment, end to end [≤ 1 s]
//   key_computation     parsing a ~600-line experiment and finding every step's dependencies (its cache keys' source) [≤ 50 ms]
//   compile_new / compile_edit   compiling a new ~100-line experiment file, and after an edit [≤ 15 s]
//
//   LabBench --lab PATH/TO/lab --out FILE.json
import Crypto
import Foundation
import Lab
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let megabyte = 1 << 20
let size = 100 * megabyte
let rounds = 5
let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
let labCommand = option("--lab") ?? ".build/release/lab"
let folder = URL(fileURLWithPath: ".build/lab-bench").standardizedFileURL
try? FileManager.default.removeItem(at: folder)
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
let store = try CacheStore(root: folder.appendingPathComponent("cache"))

// Pseudo-random contents (xorshift), so nothing on the way can shortcut zeros.
nonisolated(unsafe) let source: UnsafeMutableRawBufferPointer = {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    let words = buffer.bindMemory(to: UInt64.self)
    for i in words.indices {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        words[i] = state
    }
    return UnsafeMutableRawBufferPointer(words)
}()

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
func mbps(_ seconds: Double) -> Double { Double(size) / 1e6 / seconds }
func gbps(_ seconds: Double) -> Double { Double(size) / 1e9 / seconds }

func check(_ status: Int, _ what: String) {
    if status < 0 { fatalError("\(what): \(String(cString: strerror(errno)))") }
}

/// Writes the source in 1 MiB `write(2)` calls, as `dd bs=1M` does.
func writeSource(to url: URL) {
    let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    check(Int(fd), "open \(url.path)")
    for offset in stride(from: 0, to: size, by: megabyte) {
        check(write(fd, source.baseAddress! + offset, megabyte), "write")
    }
    close(fd)
}

struct WriteTiming { var total = 0.0, write = 0.0, commit = 0.0 }

/// stage → write → commit (hash + fsync + manifest + rename + fsync folder).
/// The runner's path for a large output: the serialized bytes (in memory, as
/// `Safetensors.serialize` leaves them) written through `CacheStore.write`, which hashes
/// them on a second thread while writing and fsyncing, then committed (manifest, rename).
let sourceData = Data(bytesNoCopy: source.baseAddress!, count: size, deallocator: .none)
func durableWrite(key: String) throws -> WriteTiming {
    let start = now()
    let staged = try store.stage()
    try store.write(sourceData, named: "tensors.safetensors", into: staged)
    let written = now()
    try store.commit(key: key, staged: staged, step: "bench", experiment: "bench")
    let end = now()
    return WriteTiming(total: end - start, write: written - start, commit: end - written)
}

/// `dd if=/dev/zero of=FILE bs=1M count=100 conv=fsync`: wall time, and dd's own rate.
func ddWrite(_ url: URL) throws -> (seconds: Double, own: Double, reported: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/dd")
    process.arguments = ["if=/dev/zero", "of=\(url.path)", "bs=1M", "count=100", "conv=fsync"]
    let errors = Pipe()
    process.standardError = errors
    let start = now()
    try process.run()
    process.waitUntilExit()
    let seconds = now() - start
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    // "104857600 bytes (105 MB, 100 MiB) copied, 0.0497 s, 2.1 GB/s"
    let fields = (text.split(separator: "\n").last ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    let own = fields.count >= 2 ? Double(fields[fields.count - 2].dropLast(2)) : nil
    return (seconds, own ?? seconds, fields.last ?? "?")
}

/// Drops a file's pages from the page cache (they are clean after fsync), for a cold read.
func evictFromPageCache(_ url: URL) {
    let fd = open(url.path, O_RDONLY)
    _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
    close(fd)
}

/// mmaps the file and reads one byte per 4 KiB page (`touch`) or compares it all with
/// the source (`memcmp`).
func mmapRead(_ url: URL, compare: Bool) -> Double {
    let start = now()
    let fd = open(url.path, O_RDONLY)
    check(Int(fd), "open \(url.path)")
    let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)!
    precondition(mapped != MAP_FAILED)
    if compare {
        precondition(memcmp(mapped, source.baseAddress!, size) == 0, "read back differs")
    } else {
        let bytes = mapped.assumingMemoryBound(to: UInt8.self)
        var sum = 0
        for offset in stride(from: 0, to: size, by: 4096) { sum &+= Int(bytes[offset]) }
        precondition(sum != -1)
    }
    munmap(mapped, size)
    close(fd)
    return now() - start
}

func hashFile(_ url: URL, chunk: Int) -> Double {
    let start = now()
    let fd = open(url.path, O_RDONLY)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
    var hasher = SHA256()
    while true {
        let count = read(fd, buffer.baseAddress, chunk)
        if count <= 0 { break }
        hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }
    _ = hasher.finalize()
    buffer.deallocate()
    close(fd)
    return now() - start
}

print("CacheBench: \(size / megabyte) MiB, \(rounds) rounds, medians; folder \(folder.path)")
print(String(repeating: "-", count: 72))


// MARK: measurements

var results: [String: Any] = [:]
@MainActor func record(_ key: String, _ value: Double, _ unit: String, target: String, reference: Double? = nil, referenceName: String? = nil) {
    var entry: [String: Any] = ["value": value, "unit": unit, "target": target]
    if let reference { entry["reference"] = reference; entry["reference_name"] = referenceName ?? "" }
    results[key] = entry
    FileHandle.standardError.write(Data("\(key): \(String(format: "%.3f", value)) \(unit)\(reference.map { String(format: " (reference %.3f)", $0) } ?? "")\n".utf8))
}

// Durable write vs dd, interleaved so both see the same disk weather.
var ours: [Double] = [], dd: [Double] = []
for round in 0..<rounds {
    let key = String(format: "%064x", round + 1)
    ours.append(try durableWrite(key: key).total)
    let ddFile = folder.appendingPathComponent("dd-\(round)")
    dd.append(try ddWrite(ddFile).own)   // dd's own timing: without its process start-up, the stricter reference
    try FileManager.default.removeItem(at: ddFile)
    if round < rounds - 1 { _ = try store.remove(key: key) }
}
if arguments.contains("--verbose") {
    let timings = try (0..<3).map { i -> WriteTiming in let t = try durableWrite(key: String(format: "%064x", 100 + i)); return t }
    for t in timings { FileHandle.standardError.write(Data(String(format: "write %.1f ms, commit %.1f ms\n", t.write * 1000, t.commit * 1000).utf8)) }
}
record("cache_write_100mb", mbps(median(ours)), "MB/s", target: "≥ 80% of dd", reference: mbps(median(dd)), referenceName: "dd bs=1M conv=fsync, its own timing")

let lastKey = String(format: "%064x", rounds)
let file = store.entryURL(lastKey).appendingPathComponent("tensors.safetensors")
record("cache_mmap_read", gbps(median((0..<rounds).map { _ in mmapRead(file, compare: true) })), "GB/s", target: "≥ 2 GB/s")
record("cache_mmap_read_verified", gbps(median((0..<rounds).map { _ -> Double in
    let start = now()
    guard case .hit = store.lookup(key: lastKey, verify: true) else { fatalError("bench entry failed verification") }
    _ = mmapRead(file, compare: true)
    return now() - start
})), "GB/s", target: "(with SHA-256 verification)")

// Metric logging: four series in turn, as a training loop logs them.
do {
    let runStore = try RunStore(path: folder.appendingPathComponent("lab.sqlite").path)
    let runId = "20261129-000000-0000"
    try runStore.insert(RunRecord(id: runId, experiment: "bench", status: .running, startedAt: Date(),
                                  pid: getpid(), hostname: RunStore.currentHostname))
    let names = ["loss", "accuracy", "lr", "grad_norm"]
    let points = 2_000_000
    let logger = runStore.metricLogger(runId: runId)
    let start = now()
    for i in 0..<points { try logger.log(step: "train", name: names[i & 3], x: Int64(i >> 2), value: 1.0 / Double(i + 1)) }
    try logger.close()
    record("metric_logging", Double(points) / (now() - start), "points/s", target: "≥ 1,000,000")
}

// The lab command: cached re-run and compile times, on a copy of the spirals experiment.
func lab(_ args: [String], in directory: URL) throws -> Double {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: labCommand)
    process.arguments = args
    process.currentDirectoryURL = directory
    // The bench folder is inside this repository: without LAB_ROOT the runs would be recorded in
    // the repository's own store and publish into its reports/.
    process.environment = ProcessInfo.processInfo.environment.merging(["LAB_ROOT": directory.path]) { _, new in new }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    let start = now()
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { fatalError("lab \(args) failed with \(process.terminationStatus)") }
    return now() - start
}
let project = folder.appendingPathComponent("project")
try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
let experiment = try String(contentsOfFile: "experiments/spirals.swift", encoding: .utf8)
// A unique comment makes it a file the compiler has never seen.
let unique = "// bench \(UUID().uuidString)\n"
try (unique + experiment).write(to: project.appendingPathComponent("spirals.swift"), atomically: true, encoding: .utf8)
let lines = experiment.split(separator: "\n", omittingEmptySubsequences: false).count
record("compile_new", try lab(["build", "spirals.swift"], in: project), "s", target: "≤ 15 s (\(lines) lines)")
try (unique + experiment.replacingOccurrences(of: "var steps = 300", with: "var steps = 301"))
    .write(to: project.appendingPathComponent("spirals.swift"), atomically: true, encoding: .utf8)
record("compile_edit", try lab(["build", "spirals.swift"], in: project), "s", target: "≤ 15 s")
_ = try lab(["run", "spirals.swift"], in: project)
record("cached_rerun", median((0..<3).map { _ in try! lab(["run", "spirals.swift"], in: project) }), "s", target: "≤ 1 s")

// Keys: what every run (and `lab status`, `--dry-run`) does before anything else, on the
// longest shipped experiment.
do {
    let text = try String(contentsOfFile: "experiments/lora-adaptation.swift", encoding: .utf8)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
    let times = (0..<5).map { _ -> Double in
        let start = now()
        let analysis = StepAnalysis(text: text, configType: "Config", fields: [])
        for call in analysis.calls { _ = analysis.dependencies(line: call.lines.lowerBound, inputTypes: []) }
        return now() - start
    }
    record("key_computation", median(times) * 1000, "ms", target: "≤ 50 ms (\(lines) lines)")
}

// Reports: rendering a run of 10 steps with 100k metric points in all (README.md, index.html,
// results.json, figures), and `lab compare` over 50 recorded runs, end to end.
do {
    var steps: [StepSection] = []
    for s in 0..<10 {
        let points = (0..<10_000).map { SeriesPoint(x: $0, value: 1 / Double($0 + 1) + Double(s)) }
        steps.append(StepSection(
            name: "step\(s)", kind: "train", prose: "Step \(s) trains for a while.", source: "lab.step(\"step\(s)\") { ctx in … }",
            sourceLine: 10 * s, cacheHit: s % 2 == 0, status: "succeeded", seconds: 1.5,
            metrics: [MetricEntry(step: "step\(s)", name: "loss", value: 0.1)],
            series: [Series(name: "loss", points: points)],
            items: [.figure(name: "loss", .lines(series: ["loss"], yLabel: "loss", logScale: true)),
                    .table(name: "t", Table(columns: ["a", "b"], rows: [["1", "2"]]))]))
    }
    let document = ReportDocument(
        title: "bench", preamble: "# Bench\nProse.", run: RunInfo(
            id: "20261129-000000-0000", experiment: "bench", status: "succeeded", startedAt: Date(), endedAt: Date(),
            commit: String(repeating: "a", count: 40), branch: "main", remote: nil, dirty: false, seed: 0, smoke: false,
            failedStep: nil, error: nil, errorLocation: nil, environment: ["libtorch": "2.13.0"]),
        config: [ConfigEntry(key: "lr", value: "0.001")], steps: steps, epilogue: "", metrics: [])
    let out = folder.appendingPathComponent("report")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    record("report_render_10_steps_100k_points", median((0..<3).map { _ in
        let start = now()
        try! ReportWriter.write(document, to: out)
        return now() - start
    }), "s", target: "≤ 1 s")

    let compareRoot = folder.appendingPathComponent("compare")
    let runStore = try RunStore(path: compareRoot.appendingPathComponent(".lab/lab.sqlite").path)
    var ids: [String] = []
    for i in 0..<50 {
        let id = String(format: "20261129-000000-%04x", i)
        ids.append(id)
        try runStore.insert(RunRecord(id: id, experiment: "bench", status: .succeeded, startedAt: Date(),
                                      config: "{\"lr\": \(i % 5 == 0 ? 0.1 : 0.01), \"epochs\": 3}",
                                      rootSeed: Int64(i), pid: getpid(), hostname: RunStore.currentHostname))
        for m in 0..<5 { try runStore.setSummary(runId: id, step: "eval", name: "metric\(m)", value: Double(i * m)) }
        let logger = runStore.metricLogger(runId: id)
        for x in 0..<200 { try logger.log(step: "train", name: "loss", x: Int64(x), value: 1 / Double(x + 1)) }
        try logger.close()
    }
    let compare = Process()
    compare.executableURL = URL(fileURLWithPath: labCommand)
    compare.arguments = ["compare", "--html"] + ids
    compare.currentDirectoryURL = compareRoot
    // The bench folder is inside this repository: name its store, or the repository's own is used.
    compare.environment = ProcessInfo.processInfo.environment.merging(["LAB_ROOT": compareRoot.path]) { _, new in new }
    compare.standardOutput = FileHandle.nullDevice
    let start = now()
    try compare.run()
    compare.waitUntilExit()
    guard compare.terminationStatus == 0 else { fatalError("lab compare failed") }
    record("compare_50_runs", now() - start, "s", target: "≤ 1 s (lab compare --html, end to end)")
}

results["versions"] = ["libtorch": Runtime.libtorchVersion]
let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
if let out = option("--out") { try data.write(to: URL(fileURLWithPath: out)) } else { print(String(decoding: data, as: UTF8.self)) }
try? FileManager.default.removeItem(at: folder)
