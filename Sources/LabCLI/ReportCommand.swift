import ArgumentParser
import Foundation
import Lab

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render a recorded run's report again into reports/<experiment>/ (README.md, index.html, results.json, figures/).")

    @Argument(help: "A run id or unique prefix (default: the latest run).")
    var id: String?

    func run() throws {
        let store = try openStore()
        guard let runId = try id.map({ try store.run(id: $0).id }) ?? store.runs(limit: 1).first?.id else {
            throw ValidationError("no runs recorded yet")
        }
        let folder = try Reporting.write(store: store, runId: runId, root: projectRoot())
        print("wrote \(folder.path)/README.md, index.html, results.json")
    }
}
