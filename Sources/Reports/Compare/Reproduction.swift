import Foundation

/// What `lab reproduce` found: a recorded run, the run made again from its commit, patch,
/// config and seed, and whether every metric came out the same.
///
/// The CLI gathers it from the store, git and the new run; ``ReproductionRenderer`` writes
/// it; which comparison applies (``Comparison/choose(original:reproduction:relative:absolute:)``)
/// and the verdict are computed here, so they are tested without a store or libtorch.
public struct Reproduction: Sendable, Equatable {
    /// The experiment's name.
    public var experiment: String
    /// The recorded run's id.
    public var originalRunId: String
    /// Where the recorded run was read from: `the run store` or a `results.json` path.
    public var recordSource: String
    /// The new run's id; nil when it never started (the checkout or the compilation failed).
    public var newRunId: String?
    /// The recorded commit (full id).
    public var commit: String
    /// Whether the recorded run had uncommitted changes (its patch was applied to the copy).
    public var dirty: Bool
    /// The experiment file, relative to the repository's top.
    public var file: String
    /// The recorded root seed.
    public var seed: UInt64
    /// Whether the recorded run was a smoke run (the reproduction is one too).
    public var smoke: Bool
    /// The recorded config, field by field: (name, JSON text of the value), sorted by name.
    public var config: [ConfigEntry]
    /// The machine and library of the recorded run.
    public var originalMachine: Machine
    /// The machine and library of the new run.
    public var reproductionMachine: Machine
    /// How the metrics were compared.
    public var comparison: Comparison
    /// One row per metric that either run has, by `step/name`.
    public var metrics: [MetricRow]
    /// What the reproduction lacks or found on the way (untracked files it could not restore,
    /// a checked-out file that differs from the recorded source, a different library …).
    public var notes: [String]
    /// Why no verdict on the metrics could be reached (the new run failed), or nil.
    public var failure: String?

    /// A reproduction from its parts; ``metrics`` are compared here under `comparison`.
    public init(experiment: String, originalRunId: String, recordSource: String, newRunId: String?,
                commit: String, dirty: Bool, file: String, seed: UInt64, smoke: Bool, config: [ConfigEntry],
                originalMachine: Machine, reproductionMachine: Machine, comparison: Comparison,
                originalMetrics: [String: Double], reproducedMetrics: [String: Double],
                notes: [String] = [], failure: String? = nil) {
        self.experiment = experiment; self.originalRunId = originalRunId; self.recordSource = recordSource
        self.newRunId = newRunId; self.commit = commit; self.dirty = dirty; self.file = file
        self.seed = seed; self.smoke = smoke; self.config = config
        self.originalMachine = originalMachine; self.reproductionMachine = reproductionMachine
        self.comparison = comparison
        self.metrics = Set(originalMetrics.keys).union(reproducedMetrics.keys).sorted().map { name in
            MetricRow(name: name, original: originalMetrics[name], reproduced: reproducedMetrics[name], comparison: comparison)
        }
        self.notes = notes; self.failure = failure
    }

    /// The outcome: reproduced, not reproduced, or no verdict.
    public var verdict: Verdict {
        if failure != nil { return .couldNotReproduce }
        return metrics.allSatisfy(\.passed) ? .reproduced : .notReproduced
    }

    /// The metrics that did not pass (differ, or are missing from one run).
    public var failedMetrics: [MetricRow] { metrics.filter { !$0.passed } }

    /// `lab reproduce`'s three outcomes, with its exit status.
    public enum Verdict: String, Sendable, Equatable {
        /// Every metric passed the comparison: exit 0.
        case reproduced
        /// A metric differs or is missing: exit 1.
        case notReproduced = "not reproduced"
        /// The run could not be made again (it failed): exit 2.
        case couldNotReproduce = "could not reproduce"

        /// The process exit status `lab reproduce` uses for this verdict.
        public var exitStatus: Int32 {
            switch self {
            case .reproduced: return 0
            case .notReproduced: return 1
            case .couldNotReproduce: return 2
            }
        }
    }

    /// One config field of the recorded run.
    public struct ConfigEntry: Sendable, Equatable {
        /// The field's name.
        public var key: String
        /// Its value as JSON text.
        public var value: String
        /// A config entry from its parts.
        public init(key: String, value: String) { self.key = key; self.value = value }
    }

    /// A machine as far as float results depend on it, and the library a run computed with.
    /// Each field is nil when the record does not say (a `results.json` without the store's
    /// record, or a run recorded before Lab kept it).
    public struct Machine: Sendable, Equatable {
        /// The CPU's model name.
        public var cpu: String?
        /// The vector extensions libtorch's kernels may use (`avx2 fma avx512f …`).
        public var vectorExtensions: String?
        /// ATen's kernel set (`AVX2`, `AVX512`, `DEFAULT`).
        public var atenCapability: String?
        /// The libtorch version.
        public var libtorch: String?
        /// libtorch's intra-op thread count (parallel reductions split work by it).
        public var threads: Int?
        /// The fingerprint of Lab's sources and libtorch that computed the steps.
        public var libraryFingerprint: String?

        /// A machine from its parts.
        public init(cpu: String? = nil, vectorExtensions: String? = nil, atenCapability: String? = nil,
                    libtorch: String? = nil, threads: Int? = nil, libraryFingerprint: String? = nil) {
            self.cpu = cpu; self.vectorExtensions = vectorExtensions; self.atenCapability = atenCapability
            self.libtorch = libtorch; self.threads = threads; self.libraryFingerprint = libraryFingerprint
        }
    }

    /// How two runs' metrics are compared.
    public enum Comparison: Sendable, Equatable {
        /// Same CPU, kernels, libtorch, threads and library: the same computation, so every
        /// metric must be equal bit for bit.
        case bitIdentical
        /// Something a float result depends on differs (each reason says what): a metric
        /// passes when `|reproduced − original| ≤ max(relative · max(|original|, |reproduced|), absolute)`.
        case withinTolerance(relative: Double, absolute: Double, reasons: [String])

        /// Bit-identity when the two records agree on every field of ``Machine`` (and
        /// record them all); otherwise the tolerance, with one reason per field that differs
        /// or is not recorded (one reason in all when the original records none).
        public static func choose(original: Machine, reproduction: Machine, relative: Double, absolute: Double) -> Comparison {
            if original == Machine() {
                return .withinTolerance(relative: relative, absolute: absolute, reasons: [
                    "the record does not say which machine or library computed the original run (a results.json without the run store's record)"])
            }
            var reasons: [String] = []
            func compare<T: Equatable>(_ what: String, _ a: T?, _ b: T?) {
                switch (a, b) {
                case let (a?, b?) where a == b: break
                case let (a?, b?): reasons.append("\(what) differs (\(a) there, \(b) here)")
                case (nil, _): reasons.append("the original run does not record its \(what)")
                case (_, nil): reasons.append("the reproduction does not record its \(what)")
                }
            }
            compare("CPU", original.cpu, reproduction.cpu)
            compare("vector extensions", original.vectorExtensions, reproduction.vectorExtensions)
            compare("ATen kernel set", original.atenCapability, reproduction.atenCapability)
            compare("libtorch version", original.libtorch, reproduction.libtorch)
            compare("thread count", original.threads, reproduction.threads)
            switch (original.libraryFingerprint, reproduction.libraryFingerprint) {
            case let (a?, b?) where a == b: break
            case (_?, _?): reasons.append("the library differs (Lab's sources or libtorch changed since the run)")
            case (nil, _): reasons.append("the original run does not record its library")
            case (_, nil): reasons.append("the reproduction does not record its library")
            }
            return reasons.isEmpty ? .bitIdentical : .withinTolerance(relative: relative, absolute: absolute, reasons: reasons)
        }

        /// Whether `reproduced` passes against `original`. NaN matches NaN, an infinity the
        /// same infinity.
        public func accepts(original: Double, reproduced: Double) -> Bool {
            if original.isNaN || reproduced.isNaN { return original.isNaN && reproduced.isNaN }
            if original == reproduced { return true }
            switch self {
            case .bitIdentical:
                return false
            case let .withinTolerance(relative, absolute, _):
                guard original.isFinite, reproduced.isFinite else { return false }
                let scale = max(abs(original), abs(reproduced))
                return abs(reproduced - original) <= max(relative * scale, absolute)
            }
        }
    }

    /// One metric of both runs.
    public struct MetricRow: Sendable, Equatable {
        /// `step/name`.
        public var name: String
        /// The recorded value; nil when only the reproduction has the metric.
        public var original: Double?
        /// The reproduced value; nil when the reproduction lacks the metric.
        public var reproduced: Double?
        /// Whether the metric passed: both runs have it and the comparison accepts it.
        public var passed: Bool

        /// A row, compared under `comparison`.
        public init(name: String, original: Double?, reproduced: Double?, comparison: Comparison) {
            self.name = name; self.original = original; self.reproduced = reproduced
            if let original, let reproduced {
                passed = comparison.accepts(original: original, reproduced: reproduced)
            } else {
                passed = false
            }
        }

        /// `reproduced − original`, when both exist.
        public var difference: Double? {
            guard let original, let reproduced else { return nil }
            return reproduced - original
        }
    }
}
