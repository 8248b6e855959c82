import Foundation
import GRDB

/// Writes a runner makes while a run goes on, whose failure must be seen rather than
/// swallowed: a warning on standard error naming what was not recorded, or, for what
/// matters most (the run's final status), retries and then an error.
extension RunStore {
    /// Does `write`; when it throws, writes `warning: <what> was not recorded in the run
    /// store '<path>': <reason>` to standard error and returns false. With `once`, a warning
    /// whose text was already given is not repeated (a series logged point by point).
    ///
    /// - Parameters:
    ///   - what: What the write records, e.g. `step 'fit' (succeeded)`.
    ///   - once: Warn at most once with this text in this process.
    ///   - write: The write.
    /// - Returns: Whether the write succeeded.
    @discardableResult
    package func recording(_ what: @autoclosure () -> String, once: Bool = false, _ write: () throws -> Void) -> Bool {
        do {
            try write()
            return true
        } catch {
            let text = "warning: \(what()) was not recorded in the run store '\(path)': \(Self.reason(error))"
            if once {
                let first = RecordingWarnings.shared.insert(text)
                if !first { return false }
            }
            FileHandle.standardError.write(Data((text + "\n").utf8))
            return false
        }
    }

    /// Does `read`; when it throws, writes `warning: could not read <what> from the run store
    /// '<path>': <reason>` to standard error and returns false.
    @discardableResult
    package func reading(_ what: @autoclosure () -> String, _ read: () throws -> Void) -> Bool {
        do {
            try read()
            return true
        } catch {
            FileHandle.standardError.write(Data("warning: could not read \(what()) from the run store '\(path)': \(Self.reason(error))\n".utf8))
            return false
        }
    }

    /// Does `write`, retrying after a failure up to `attempts` times in all, with growing
    /// pauses; before each retry the write-ahead log is checkpointed and truncated, which
    /// gives back its disk space when the disk is full.
    ///
    /// - Parameters:
    ///   - attempts: How many times to try, at least 1.
    ///   - pause: The pause before the second attempt; each later one doubles it.
    ///   - write: The write.
    /// - Throws: The last attempt's error.
    package func retrying(attempts: Int = 4, pause: TimeInterval = 0.25, _ write: () throws -> Void) throws {
        var delay = pause
        for attempt in 1...max(1, attempts) {
            do {
                return try write()
            } catch where attempt < attempts {
                try? pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
                Thread.sleep(forTimeInterval: delay)
                delay *= 2
            }
        }
    }
}

/// The warnings ``RunStore/recording(_:once:_:)`` has given with `once`.
private final class RecordingWarnings: @unchecked Sendable {
    static let shared = RecordingWarnings()
    private let lock = NSLock()
    private var given: Set<String> = []

    /// Adds `text`; true when it was not there yet.
    func insert(_ text: String) -> Bool { lock.withLock { given.insert(text).inserted } }
}
