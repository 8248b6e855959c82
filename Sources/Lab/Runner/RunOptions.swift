import Foundation

/// The arguments an experiment binary takes (`lab run FILE` passes them through).
package struct RunOptions: Sendable, Equatable {
    /// `--set key=value`, in the order given.
    package var assignments: [String] = []
    /// `--smoke`: tiny data.
    package var smoke = false
    /// `--explain`: per step, hit or miss and why.
    package var explain = false
    /// `--dry-run`: print, per step, hit or miss and why, then exit; nothing runs or is recorded.
    package var dryRun = false
    /// `--no-cache`: run every step.
    package var noCache = false
    /// The root seed.
    package var seed: UInt64 = 0
    /// `keys`: print every step's cache key as JSON and exit; nothing runs (`lab status`).
    package var keysOnly = false
    /// The project folder holding `.lab/`: `LAB_ROOT`, else the top of the git repository
    /// holding the current directory, else the current directory (see ``ProjectRoot``).
    package var root: String

    /// Defaults, in the project folder `root`.
    package init(root: String) { self.root = root }

    /// Parses `run [--set key=value]… [--smoke] [--explain] [--dry-run] [--no-cache] [--seed N]`, or
    /// `keys` with the same options (``keysOnly``), through ``RunArguments``, the parser `lab run` uses.
    /// - Throws: ``LabError/badArguments(_:)`` with ArgumentParser's message.
    package static func parse(_ arguments: [String], environment: [String: String]) throws -> RunOptions {
        var options = RunOptions(root: ProjectRoot.find(environment: environment))
        var args = arguments
        if args.first == "run" { args.removeFirst() } else if args.first == "keys" { args.removeFirst(); options.keysOnly = true }
        let parsed: RunArguments
        do {
            parsed = try RunArguments.parse(args)
        } catch {
            throw LabError.badArguments(RunArguments.message(for: error))
        }
        options.assignments = parsed.assignments
        options.smoke = parsed.smoke
        options.explain = parsed.explain
        options.dryRun = parsed.dryRun
        options.noCache = parsed.noCache
        options.seed = parsed.seed
        return options
    }
}
