import ArgumentParser

/// The options of one run, parsed by one parser on both sides of the process boundary:
/// `lab run` takes them with `@OptionGroup` and hands them to the compiled experiment as
/// ``argv``, whose `Lab.main` parses that with this same type (``RunOptions/parse(_:environment:)``).
/// A flag added here is therefore known, documented and checked in both places at once.
public struct RunArguments: ParsableArguments, Sendable {
    /// `--set key=value`, in the order given.
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config field: --set key=value (repeatable).", valueName: "key=value"))
    public var assignments: [String] = []

    /// `--smoke`: tiny data.
    @Flag(help: "Tiny data: check the whole experiment in seconds.")
    public var smoke = false

    /// `--explain`: per step, hit or miss and why.
    @Flag(help: "Print, for every step, hit or miss: for a hit, the run that computed its entry; for a miss, which parts of its key (declarations, config fields, inputs) differ from the closest cached entry of that step.")
    public var explain = false

    /// `--dry-run`: what `--explain` prints, then stop.
    @Flag(name: .customLong("dry-run"), help: "Print what --explain prints, then stop: no step runs, nothing is recorded.")
    public var dryRun = false

    /// `--no-cache`: run every step.
    @Flag(name: .customLong("no-cache"), help: "Run every step, ignoring cached outputs.")
    public var noCache = false

    /// `--seed N`: the root seed.
    @Option(help: "The root seed (each step's seed derives from it and the step's name; data steps use 0 unless declared seed: .run).")
    public var seed: UInt64 = 0

    /// `--device cpu|cuda:N`: where the steps compute (`ctx.device`); nil: the best available.
    @Option(help: ArgumentHelp("The device the steps compute on (ctx.device): cpu or cuda:N. Default: cuda:0 where the linked libtorch has CUDA and a GPU is present, else cpu.", valueName: "device"))
    public var device: String?

    /// The defaults: no overrides, root seed 0.
    public init() {}

    /// The arguments that parse back to this value, as `lab run` passes them to the experiment binary.
    public var argv: [String] {
        var out: [String] = []
        for assignment in assignments { out += ["--set", assignment] }
        if smoke { out.append("--smoke") }
        if explain { out.append("--explain") }
        if dryRun { out.append("--dry-run") }
        if noCache { out.append("--no-cache") }
        out += ["--seed", String(seed)]
        if let device { out += ["--device", device] }
        return out
    }
}
