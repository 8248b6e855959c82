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

    /// The entry that a `results.json` describes (see ``JSONRenderer/results(_:)``); its date
    /// is nil, since the file holds none. Metric keys `step/name` are split at the first `/`.
    /// - Returns: nil when `data` is not a results file.
    public init?(resultsJSON data: Data, folder: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let runId = object["run_id"] as? String, let experiment = object["experiment"] as? String,
              let status = object["status"] as? String else { return nil }
        let metrics = ((object["metrics"] as? [String: Any]) ?? [:]).sorted { $0.key < $1.key }.compactMap { key, value -> MetricEntry? in
            let special: [String: Double] = ["NaN": .nan, "Infinity": .infinity, "-Infinity": -.infinity]
            guard let number = (value as? NSNumber)?.doubleValue ?? (value as? String).flatMap({ special[$0] }) else { return nil }
            let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            return MetricEntry(step: String(parts[0]), name: parts.count > 1 ? String(parts[1]) : "", value: number)
        }
        self.init(experiment: experiment, folder: folder, runId: runId, status: status, commit: object["commit"] as? String,
                  date: nil, metrics: metrics)
    }
}
