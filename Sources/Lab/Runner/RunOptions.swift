import Foundation

/// The arguments an experiment binary takes (`lab run FILE` passes them through).
public struct RunOptions: Sendable, Equatable {
    public var assignments: [String] = []
    public var smoke = false
    public var explain = false
    /// `--dry-run`: print, per step, hit or miss and why, then exit; nothing runs or is recorded.
    public var dryRun = false
    public var noCache = false
    public var seed: UInt64 = 0
    /// `keys`: print every step's cache key as JSON and exit; nothing runs (`lab status`).
    public var keysOnly = false
    /// The project folder holding `.lab/`: `LAB_ROOT`, else the top of the git repository
    /// holding the current directory, else the current directory (see ``ProjectRoot``).
    public var root: String

    public init(root: String) { self.root = root }

    /// Parses `run [--set key=value]… [--smoke] [--explain] [--dry-run] [--no-cache] [--seed N]`, or
    /// `keys` with the same options (``keysOnly``).
    public static func parse(_ arguments: [String], environment: [String: String]) throws -> RunOptions {
        var options = RunOptions(root: ProjectRoot.find(environment: environment))
        var i = 0
        var args = arguments
        if args.first == "run" { args.removeFirst() } else if args.first == "keys" { args.removeFirst(); options.keysOnly = true }
        while i < args.count {
            let a = args[i]
            func value() throws -> String {
                guard i + 1 < args.count else { throw LabError.unknownArgument(a + " (needs a value)") }
                i += 1
                return args[i]
            }
            switch a {
            case "--set": options.assignments.append(try value())
            case "--smoke": options.smoke = true
            case "--explain": options.explain = true
            case "--dry-run": options.dryRun = true
            case "--no-cache": options.noCache = true
            case "--seed":
                let text = try value()
                guard let s = UInt64(text) else { throw LabError.unknownArgument("--seed \(text) (needs a non-negative integer)") }
                options.seed = s
            default:
                if a.hasPrefix("--set=") { options.assignments.append(String(a.dropFirst(6))) } else { throw LabError.unknownArgument(a) }
            }
            i += 1
        }
        return options
    }
}
