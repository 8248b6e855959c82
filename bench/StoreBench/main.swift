// Measures metric logging end to end: MetricLogger.log for every point, with its automatic
// flushes, then close(). Build with `swift build -c release`; the target is at least
// 1,000,000 points/s.
//
// Usage: LabStoreBench [points] [database]
//   points    how many points to log (default 2,000,000)
//   database  where to keep the database for inspection with sqlite3 (must not exist);
//             by default a temporary one, removed afterwards
import Foundation
import Lab

let arguments = CommandLine.arguments.dropFirst()
let points = arguments.first.flatMap(Int.init) ?? 2_000_000
let keptPath = arguments.dropFirst().first
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lab-store-bench-\(getpid())")
defer { try? FileManager.default.removeItem(at: folder) }

let store = try RunStore(path: keptPath ?? folder.appendingPathComponent("lab.sqlite").path)
let runId = "20261129-110203-3f9a"
try store.insert(RunRecord(
    id: runId, experiment: "bench", status: .running, startedAt: Date(),
    pid: getpid(), hostname: RunStore.currentHostname))

// Four series logged in turn, as a training loop logs loss, accuracy, lr and grad norm.
let names = ["loss", "accuracy", "lr", "grad_norm"]
let logger = store.metricLogger(runId: runId)
let start = DispatchTime.now().uptimeNanoseconds
for i in 0..<points {
    try logger.log(step: "train", name: names[i & 3], x: Int64(i >> 2), value: 1.0 / Double(i + 1))
}
try logger.close()
let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
var run = try store.run(id: runId)
run.status = .succeeded
run.endedAt = Date()
try store.update(run)

let stored = try store.series(runId: runId).values.reduce(0) { $0 + $1.count }
guard stored == points else {
    FileHandle.standardError.write(Data("error: logged \(points) points but \(stored) are stored\n".utf8))
    exit(1)
}
let rate = Double(points) / seconds
print("logged \(points) points in \(String(format: "%.3f", seconds)) s: \(Int(rate)) points/s "
    + (rate >= 1_000_000 ? "(target 1,000,000 met)" : "(below the 1,000,000 target)"))
