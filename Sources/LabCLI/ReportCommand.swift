import ArgumentParser
import Foundation
import Lab

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render a recorded run's report again (README.md, index.html, results.json, figures/).",
        discussion: """
        A run of the experiment as declared (it succeeded, not --smoke, root seed 0, no --set that changed a value) \
        is published: its report goes to reports/<experiment>/, the committed record, and reports/README.md is \
        rebuilt. Any other run's report goes to .lab/reports/<run>/, unless --publish: then it replaces \
        reports/<experiment>/ and says at its top how the run differs from the experiment as declared.
        """)

    @Argument(help: "A run id or unique prefix (default: the latest run).")
    var id: String?

    @Flag(help: "Publish to reports/<experiment>/ even a run that is not the experiment as declared.")
    var publish = false

    func run() throws {
        let store = try openStore()
        guard let runId = try id.map({ try store.run(id: $0).id }) ?? store.runs(limit: 1).first?.id else {
            throw ValidationError("no runs recorded yet")
        }
        let written = try Reporting.write(store: store, runId: runId, root: projectRoot(), publish: publish)
        print("wrote \(written.folder.path)/README.md, index.html, results.json")
        if !written.deviations.isEmpty {
            let how = written.deviations.joined(separator: "; ")
            print(written.published ? "published, with a notice at its top: \(how)"
                                    : "not published to reports/ (\(how)); --publish publishes it")
        }
    }
}
