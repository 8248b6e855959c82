#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation

/// Notices an experiment file that ends without calling ``main(_:)``: no experiment ran and
/// nothing was recorded, yet the process would exit 0 (in CI, a pass).
///
/// `lab run` and `lab build` compile every experiment file with one line before it
/// that calls ``expectMain(file:)``; ``main(_:)`` marks itself entered. When the process
/// exits without that mark (the file's top-level code ran to its end, or called `exit`), a
/// message names the file and the process exits with ``exitStatus``.
public enum MainGuard {
    /// The exit status of a file that never called ``main(_:)``: 2, as for bad arguments.
    public static let exitStatus: Int32 = 2

    nonisolated(unsafe) private static var entered = false
    nonisolated(unsafe) private static var file = ""
    nonisolated(unsafe) private static var source: String?

    /// Arms the check for the experiment file at `file`, and keeps `source`, the file's text
    /// as compiled (base64), so that a run keys and records exactly what it was compiled from
    /// even if the file changes on disk meanwhile. Called by the line `lab` puts before the
    /// file's own code; not meant to be called by hand.
    public static func expectMain(file: String, source: String? = nil) {
        Self.file = file
        Self.source = source.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        atexit {
            guard !MainGuard.entered else { return }
            fflush(nil)   // what the file printed comes first (`_exit` flushes nothing)
            let name = (MainGuard.file as NSString).lastPathComponent
            FileHandle.standardError.write(Data("error: \(LabError.noExperimentRan(file: name))\n".utf8))
            _exit(MainGuard.exitStatus)
        }
    }

    /// The compiled text of the experiment file at `path`, when `lab` embedded it.
    static func compiledSource(of path: String) -> String? {
        guard let source, (path as NSString).standardizingPath == (file as NSString).standardizingPath else { return nil }
        return source
    }

    /// Marks ``main(_:)`` as entered.
    static func markEntered() { entered = true }
}
