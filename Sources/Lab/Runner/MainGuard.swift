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

    /// Arms the check for the experiment file at `file`. Called by the line `lab` puts
    /// before the file's own code; not meant to be called by hand.
    public static func expectMain(file: String) {
        Self.file = file
        atexit {
            guard !MainGuard.entered else { return }
            fflush(nil)   // what the file printed comes first (`_exit` flushes nothing)
            let name = (MainGuard.file as NSString).lastPathComponent
            FileHandle.standardError.write(Data("error: \(LabError.noExperimentRan(file: name))\n".utf8))
            _exit(MainGuard.exitStatus)
        }
    }

    /// Marks ``main(_:)`` as entered.
    static func markEntered() { entered = true }
}
