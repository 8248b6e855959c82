/// Which root seed a step's seed is drawn from, and so whether `--seed` and `--seeds N`
/// re-run the step.
///
/// A step's seed is SHA-256 of a root seed and the step's name (see `ctx.seed`). With
/// ``run`` the root is the run's (`--seed S`, or each of `--seeds N`); with ``fixed`` it is 0
/// whatever the run's, so the step computes one result for every seed and `--seeds 3` takes
/// it from the cache after the first. Data steps are ``fixed`` unless declared otherwise
/// (`lab.data("captions", seed: .run) { … }` for data that should be redrawn per seed);
/// every other step is ``run``.
public enum SeedScope: String, Sendable, Codable {
    /// Drawn from the run's root seed: the step varies between seeds.
    case run
    /// Drawn from root seed 0: the same for every seed of the experiment.
    case fixed

    /// The root seed a step of this scope draws from in a run whose root seed is `root`.
    func root(_ root: UInt64) -> UInt64 { self == .fixed ? 0 : root }
}
