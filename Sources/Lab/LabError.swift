import Foundation

/// Every error the `Lab` module reports to a user. The wording of each message lives here.
public enum LabError: Error, Equatable, CustomStringConvertible {
    case badAssignment(String)
    case unknownConfigKey(String, valid: [ConfigField])
    case badConfigValue(key: String, value: String, type: String)
    /// The same config key was given twice on the command line.
    case duplicateConfigKey(String, first: String, second: String)
    /// A `--set` value that parses as NaN or an infinity.
    case nonFiniteConfigValue(key: String, value: String, type: String)
    case duplicateStep(String)
    /// The experiment binary's arguments did not parse (ArgumentParser's message).
    case badArguments(String)
    case stepFailed(step: String, message: String, location: String)
    case nonFinite(step: String, name: String, value: Double, iteration: Int)
    case outputNotCacheable(step: String, reason: String)
    case sourceUnavailable(path: String)
    /// An experiment file whose code ended without calling `Lab.main(experiment)`.
    case noExperimentRan(file: String)
    /// `ctx.shard(loader)` with a batch size the world size does not divide.
    case unevenBatch(step: String, batchSize: Int, worldSize: Int)
    /// A rank of a data-parallel run cannot find the cache entry rank 0 committed or took.
    case entryNotShared(step: String, entry: String, folder: String)

    /// The message shown to the user, naming what to fix.
    public var description: String {
        switch self {
        case .badAssignment(let text):
            return "--set takes key=value, got '\(text)'"
        case .unknownConfigKey(let key, let valid):
            let list = valid.map { "\($0.name) (\($0.type))" }.joined(separator: ", ")
            if let near = LabError.nearest(key, in: valid.map(\.name)) {
                return "unknown config key '\(key)'. Did you mean '\(near)'? Valid keys: \(list)"
            }
            return "unknown config key '\(key)'. Valid keys: \(list)"
        case .badConfigValue(let key, let value, let type):
            return "config key '\(key)' takes a value of type \(type); '\(value)' is not one"
        case .duplicateConfigKey(let key, let first, let second):
            return "config key '\(key)' is set twice: --set \(key)=\(first) and --set \(key)=\(second). Give each key once"
        case .nonFiniteConfigValue(let key, let value, let type):
            return "config key '\(key)' (\(type)) takes finite numbers only; '\(value)' is not finite. "
                + "Configs are recorded as JSON, which has no NaN or infinity: give a finite number, e.g. 1e300"
        case .duplicateStep(let name):
            return "two steps are named '\(name)'; step names must be unique within an experiment"
        case .badArguments(let message):
            return "\(message). Usage: run [--set key=value]… [--smoke] [--explain] [--dry-run] [--no-cache] [--seed N], or keys with the same options"
        case .stepFailed(let step, let message, let location):
            return "step '\(step)' failed at \(location): \(message)"
        case .nonFinite(let step, let name, let value, let iteration):
            return "step '\(step)': \(name) became \(value) at iteration \(iteration)"
        case .outputNotCacheable(let step, let reason):
            return "step '\(step)': its output cannot be stored in the cache: \(reason)"
        case .sourceUnavailable(let path):
            return "cannot read the experiment's source file '\(path)'"
        case .unevenBatch(let step, let batchSize, let worldSize):
            return "step '\(step)': a batch of \(batchSize) cannot be split evenly over \(worldSize) ranks; choose a batch size that \(worldSize) divides, or another --nproc"
        case .entryNotShared(let step, let entry, let folder):
            return "step '\(step)': rank 0's cache entry \(entry)… is not in \(folder): every rank must use one project folder (on several machines, a shared filesystem)"
        case .noExperimentRan(let file):
            return "\(file) ended without calling Lab.main(experiment): no experiment ran and nothing was recorded. "
                + "Declare `let experiment = Experiment(\"name\", config: Config()) { lab in … }` and end the file with `Lab.main(experiment)`"
        }
    }

    /// The closest name by edit distance, when it is close enough to be a likely typo.
    static func nearest(_ word: String, in candidates: [String]) -> String? {
        func distance(_ a: String, _ b: String) -> Int {
            let a = Array(a.lowercased()), b = Array(b.lowercased())
            var row = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var previous = row[0]
                row[0] = i
                for j in stride(from: 1, through: b.count, by: 1) {
                    let current = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                    previous = current
                }
            }
            return row[b.count]
        }
        let scored = candidates.map { ($0, distance(word, $0)) }.sorted { $0.1 < $1.1 }
        guard let best = scored.first, best.1 <= max(2, word.count / 3) else { return nil }
        return best.0
    }
}
