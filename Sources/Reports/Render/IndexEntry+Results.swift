import Foundation

extension IndexEntry {
    /// One entry per folder of `reportsFolder` that holds a readable `results.json`, in
    /// folder-name order: the index describes the runs whose reports are there, whichever
    /// run wrote them last. Folders without one (or with one that is not a results file) are
    /// left out.
    /// - Parameter reportsFolder: The `reports/` folder.
    public static func entries(in reportsFolder: URL) -> [IndexEntry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: reportsFolder.path)) ?? []
        return names.sorted().compactMap { name in
            let results = reportsFolder.appendingPathComponent(name).appendingPathComponent("results.json")
            guard let data = FileManager.default.contents(atPath: results.path) else { return nil }
            return IndexEntry(resultsJSON: data, folder: name)
        }
    }

    /// The entry that a `results.json` describes (see ``ResultsFile``); its date is the
    /// run's start when the file records it. Metric keys `step/name` are split at the first `/`.
    /// - Returns: nil when `data` is not a results file.
    public init?(resultsJSON data: Data, folder: String) {
        guard let results = try? ResultsFile.decode(data) else { return nil }
        let metrics = results.metrics.sorted { $0.key < $1.key }.map { key, value -> MetricEntry in
            let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            return MetricEntry(step: String(parts[0]), name: parts.count > 1 ? String(parts[1]) : "", value: value)
        }
        self.init(experiment: results.experiment, folder: folder, runId: results.runId, status: results.status,
                  commit: results.commit, date: results.startedAt, metrics: metrics)
    }
}
