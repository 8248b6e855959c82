import Foundation

/// Reports a long step's progress: on a terminal, one line rewritten in place (count,
/// rate, ETA); in CI, with `NO_COLOR`, or without a terminal, a plain line every 10%.
public final class Progress {
    let step: String
    let label: String
    let total: Int
    let unit: String
    private let start = Date()
    private var lastPrinted = -1
    private let interactive: Bool

    init(step: String, label: String, total: Int, unit: String) {
        self.step = step; self.label = label; self.total = max(1, total); self.unit = unit
        let env = ProcessInfo.processInfo.environment
        interactive = isatty(STDOUT_FILENO) != 0 && env["CI"] == nil && env["NO_COLOR"] == nil && env["TERM"] != "dumb"
    }

    /// Reports that `done` of `total` units are finished; `samples` per unit gives a samples/s rate.
    public func update(_ done: Int, samplesPerUnit: Int? = nil, note: String = "") {
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let throughput = samplesPerUnit.map { String(format: " %.0f samples/s", rate * Double($0)) } ?? String(format: " %.1f \(unit)/s", rate)
        let line = "[\(step)] \(label) \(done)/\(total)\(throughput) ETA \(Progress.clock(eta))\(note.isEmpty ? "" : " " + note)"
        if interactive {
            FileHandle.standardOutput.write(Data(("\r\u{1B}[2K" + line + (done >= total ? "\n" : "")).utf8))
        } else {
            let decile = done * 10 / total
            if decile != lastPrinted || done >= total {
                lastPrinted = decile
                print(line)
            }
        }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d", s / 60, s % 60)
    }
}
