import Foundation
import Reports

/// Whether a committed report is still what the code computes: the step keys recorded in
/// its `results.json` against those recomputed from the experiment file, its own config
/// and today's library (``ComputedKeys``). Nothing runs.
///
/// A step's key changes with its code, the config fields it reads, its upstream steps, its
/// seed and mode, and the library fingerprint. A report is **stale** when any step changed
/// for a reason other than the library (its code, its config, a step added or removed, a
/// report of another config or seed), and **from an older library** when the library alone
/// explains every difference: a change to Lab or libtorch changes every key, and counting it
/// as stale would mark every report stale at once.
package struct ReportStatus: Sendable, Equatable {
    /// The verdict for one experiment (see `ReportState`).
    package typealias State = ReportState

    /// What changed for one step.
    package struct StepChange: Sendable, Equatable {
        /// The step's name.
        package var name: String
        /// The changed key parts (`source`, `config`, `upstream`, `seed`, `library` …);
        /// `["added"]` for a step the report lacks, `["removed"]` for one the code no longer has.
        package var parts: [String]
        /// For an `upstream` change: the input steps whose keys changed (for a change not
        /// explained by the library, those that changed for another reason too).
        package var inputs: [String]
        /// True when the library alone explains the change (directly, or through inputs that changed only so).
        package var libraryOnly: Bool
        /// For a `source` change: the pieces of the source whose digests differ (`(step)` for
        /// the step's own declaration, else the names of the declarations it reaches).
        package var sourcePieces: [String] = []
    }

    /// The experiment's name.
    package var experiment: String
    /// The experiment file relative to the project, when known.
    package var source: String?
    /// The report's run id, when there is a report.
    package var runId: String?
    /// The verdict (current, older library, stale, no report, no experiment file).
    package var state: State
    /// The steps that changed (all of them, library-only ones included).
    package var changes: [StepChange]
    /// Config fields whose committed value differs from the experiment's own, with both values.
    package var configChanges: [String]
    /// Why the report is stale when no step explains it (a report of schema 1, say).
    package var notes: [String]
    /// True when some step's key differs in its library part (Lab or libtorch changed since the run).
    package var libraryChanged = false

    /// A status from its parts.
    package init(experiment: String, source: String?, runId: String?, state: State, changes: [StepChange] = [],
                configChanges: [String] = [], notes: [String] = []) {
        self.experiment = experiment; self.source = source; self.runId = runId; self.state = state
        self.changes = changes; self.configChanges = configChanges; self.notes = notes
    }

    /// Compares a committed record with keys recomputed at the code as it is.
    package static func compare(committed: ResultsFile, computed: ComputedKeys, source: String?) -> ReportStatus {
        var status = ReportStatus(experiment: computed.experiment, source: source, runId: committed.runId, state: .current,
                                  changes: [], configChanges: [], notes: [])
        if committed.steps.isEmpty {
            status.state = .stale
            status.notes.append(committed.schema < 2
                ? "its results.json predates step keys (schema \(committed.schema)): re-run the experiment"
                : "its results.json records no steps")
            return status
        }
        let recorded = Dictionary(committed.steps.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var libraryOnly: [String: Bool] = [:]   // per changed step, in declaration order
        for step in computed.steps {
            guard let old = recorded[step.name] else {
                status.changes.append(StepChange(name: step.name, parts: ["added"], inputs: [], libraryOnly: false))
                libraryOnly[step.name] = false
                continue
            }
            guard old.key != step.key else { continue }
            // `config.fields`, `source.pieces` and `source.coarse` describe parts; they are not parts.
            let parts = Set(old.parts.keys).union(step.parts.keys).filter { !$0.contains(".") && old.parts[$0] != step.parts[$0] }.sorted()
            let changedInputs = step.inputs.filter { libraryOnly[$0] != nil }
            // What changed other than the library: the parts, and the inputs that changed for another reason.
            let ownInputs = changedInputs.filter { libraryOnly[$0] == false }
            let ownParts = parts.filter { $0 != "library" && !($0 == "upstream" && ownInputs.isEmpty) }
            let onlyLibrary = ownParts.isEmpty
            libraryOnly[step.name] = onlyLibrary
            status.libraryChanged = status.libraryChanged || parts.contains("library")
            var change = StepChange(name: step.name, parts: onlyLibrary ? parts : ownParts,
                                    inputs: (onlyLibrary ? changedInputs : ownInputs).filter { _ in parts.contains("upstream") },
                                    libraryOnly: onlyLibrary)
            if parts.contains("source") {
                change.sourcePieces = Self.changedPieces(old.parts["source.pieces"], step.parts["source.pieces"])
            }
            status.changes.append(change)
        }
        let current = Set(computed.steps.map(\.name))
        for step in committed.steps where !current.contains(step.name) {
            status.changes.append(StepChange(name: step.name, parts: ["removed"], inputs: [], libraryOnly: false))
        }
        for key in Set(committed.config.keys).union(computed.config.keys).sorted() where committed.config[key] != computed.config[key] {
            let was = committed.config[key]?.text ?? "absent", now = computed.config[key]?.text ?? "absent"
            status.configChanges.append("\(key): \(was) in the report, \(now) in the experiment")
        }
        if !status.configChanges.isEmpty || status.changes.contains(where: { !$0.libraryOnly }) {
            status.state = .stale
        } else if !status.changes.isEmpty {
            status.state = .olderLibrary
        }
        return status
    }

    /// The labels of `source.pieces` entries (`label=digest, …`) that differ between two records.
    static func changedPieces(_ old: String?, _ new: String?) -> [String] {
        func pieces(_ text: String?) -> [String: String] {
            Dictionary((text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.compactMap { piece in
                piece.lastIndex(of: "=").map { (String(piece[..<$0]), String(piece[piece.index(after: $0)...])) }
            }, uniquingKeysWith: { a, _ in a })
        }
        let before = pieces(old), now = pieces(new)
        guard !before.isEmpty, !now.isEmpty else { return [] }
        return Set(before.keys).union(now.keys).filter { before[$0] != now[$0] }.sorted()
    }

    /// One line per reason: the changed steps with their parts, the config, the notes.
    package var reasons: [String] {
        var out = notes
        let own = changes.filter { !$0.libraryOnly }
        if state == .stale {
            out += own.map(\.description)
            if libraryChanged { out.append("the library (Lab or libtorch) changed too") }
        } else if state == .olderLibrary, let first = changes.first {
            out.append("library only: every changed key differs in its library part (\(changes.count) step\(changes.count == 1 ? "" : "s"), from \(first.name))")
        }
        out += configChanges.map { "config \($0)" }
        return out
    }

    /// True when `lab status --check` should fail: stale, no report, no experiment file; with
    /// `strict`, a report from an older library too.
    package func fails(strict: Bool) -> Bool {
        switch state {
        case .current: return false
        case .olderLibrary: return strict
        case .stale, .noReport, .noExperiment: return true
        }
    }
}

extension ReportStatus.StepChange: CustomStringConvertible {
    /// "train (source, upstream: data)".
    package var description: String {
        let named = parts.map { part -> String in
            switch part {
            case "upstream": return inputs.isEmpty ? "upstream" : "upstream: " + inputs.joined(separator: ", ")
            case "source":
                // `(step)` alone is the step's own code: plain "source"; declarations are named.
                let names = sourcePieces.filter { $0 != "(step)" }
                if names.isEmpty { return "source" }
                return "source: " + ((sourcePieces.contains("(step)") ? ["its own code"] : []) + names).joined(separator: ", ")
            case "scheme": return "key scheme"
            case "added": return "new step"
            case "removed": return "step removed"
            default: return part
            }
        }
        return "\(name) (\(named.joined(separator: ", ")))"
    }
}
