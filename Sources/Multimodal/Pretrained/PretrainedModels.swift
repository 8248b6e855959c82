import Foundation

/// Where pretrained model folders are: `$LAB_MODELS/NAME` when `LAB_MODELS` is set, else
/// `.venv/models/NAME` in the current folder or the nearest folder above it that has one
/// (`scripts/install-deps` links each model it installs there). Nothing is downloaded.
public enum PretrainedModels {
    /// The models `scripts/install-deps` installs.
    public static let installed = ["all-MiniLM-L6-v2", "efficientnet-lite0"]

    /// The folder of model `name`.
    /// - Throws: ``MultimodalError/missingFile(path:hint:)`` naming where it looked and how to install it.
    public static func folder(_ name: String) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let root = environment["LAB_MODELS"], !root.isEmpty {
            let path = root + "/" + name
            guard FileManager.default.fileExists(atPath: path + "/config.json") else {
                throw MultimodalError.missingFile(path: path, hint: "LAB_MODELS=\(root) has no model folder '\(name)' (with a config.json)")
            }
            return path
        }
        var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        while true {
            let path = directory.appendingPathComponent(".venv/models/\(name)").path
            if FileManager.default.fileExists(atPath: path + "/config.json") { return path }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        let hint = installed.contains(name)
            ? "run scripts/install-deps in the project (it installs \(name) into .venv/models), or set LAB_MODELS to a folder holding it"
            : "'\(name)' is not one of the models scripts/install-deps installs (\(installed.joined(separator: ", "))); set LAB_MODELS to a folder holding it"
        throw MultimodalError.missingFile(path: ".venv/models/\(name)", hint: hint)
    }
}
