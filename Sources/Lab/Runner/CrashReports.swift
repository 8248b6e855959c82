#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation

/// Names the step when a Swift trap or a fault kills the run (`Fatal error: Division by
/// zero`, an index out of range, a null pointer in C code): SIGILL, SIGTRAP, SIGABRT,
/// SIGSEGV, SIGBUS and SIGFPE.
///
/// A signal handler may only call async-signal-safe functions, so everything it writes is
/// prepared before each step (``enter(step:location:)``) in buffers allocated once by
/// ``install(runId:folder:)``. The handler `write(2)`s one line to stderr (`✗ work
/// crashed at errs.swift:19: …`), writes the same facts to `.lab/crashes/<run id>` with
/// `open`/`write`/`close`, restores the default action and re-raises, so the process still
/// dies of its signal (exit status 128 + n). The run store is not touched from the handler
/// (SQLite is not async-signal-safe): the store shows the run `crashed` once its pid is
/// gone, the step itself is recorded `running` before it starts, and the next `lab run` in
/// the folder folds the crash file into the run's record (``collect(store:folder:)``).
enum CrashReports {
    static let signals: [(number: Int32, name: String, meaning: String)] = [
        (SIGILL, "SIGILL", "a Swift runtime trap (Fatal error, index out of range, overflow, force-unwrapped nil)"),
        (SIGTRAP, "SIGTRAP", "a Swift runtime trap (Fatal error, index out of range, overflow, force-unwrapped nil)"),
        (SIGABRT, "SIGABRT", "abort() (a failed C++ or C assertion)"),
        (SIGSEGV, "SIGSEGV", "an invalid memory access (or a stack overflow)"),
        (SIGBUS, "SIGBUS", "an invalid memory access"),
        (SIGFPE, "SIGFPE", "an arithmetic fault"),
    ]
    static let capacity = 8192

    /// Prepared text, read by the handler. Allocated once in `install`; written only
    /// between steps, on the thread that runs them.
    nonisolated(unsafe) private static var message: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) private static var messageLength = 0
    nonisolated(unsafe) private static var record: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) private static var recordLength = 0
    nonisolated(unsafe) private static var path: UnsafeMutablePointer<CChar>?
    /// By signal number (< 64): " (SIGILL: a Swift runtime trap …); …" and its length. Plain
    /// memory, so the handler indexes it without touching a Swift collection.
    nonisolated(unsafe) private static var reasons: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    nonisolated(unsafe) private static var reasonLengths: UnsafeMutablePointer<Int>?
    /// The handlers installed before ours (the Swift runtime's backtracer), by signal number:
    /// a crash outside any step goes to them as before.
    nonisolated(unsafe) private static var previous: UnsafeMutablePointer<sigaction>?
    nonisolated(unsafe) private static var armed: Int32 = 0
    nonisolated(unsafe) private static var runId = ""

    /// Installs the handlers for this run; crash files go to `folder` (`.lab/crashes`).
    static func install(runId: String, folder: URL) {
        guard message == nil else { return }
        self.runId = runId
        message = .allocate(capacity: capacity)
        record = .allocate(capacity: capacity)
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        path = strdup(folder.appendingPathComponent(runId).path)
        let table = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: 64)
        table.initialize(repeating: nil, count: 64)
        let lengths = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        lengths.initialize(repeating: 0, count: 64)
        for signal in signals where signal.number < 64 {
            let text = " (\(signal.name): \(signal.meaning)); the run is recorded as crashed, finished steps are cached\n"
            table[Int(signal.number)] = strdup(text)
            lengths[Int(signal.number)] = text.utf8.count
        }
        reasons = table
        reasonLengths = lengths
        // Its own stack, so that a stack overflow can still be reported.
        let altSize = 1 << 16
        var stack = stack_t()
        stack.ss_sp = UnsafeMutableRawPointer.allocate(byteCount: altSize, alignment: 16)
        stack.ss_size = altSize
        stack.ss_flags = 0
        sigaltstack(&stack, nil)
        let saved = UnsafeMutablePointer<sigaction>.allocate(capacity: 64)
        saved.initialize(repeating: sigaction(), count: 64)
        previous = saved
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in CrashReports.handle(number) }
            action.sa_flags = Int32(truncatingIfNeeded: SA_ONSTACK)   // the handler restores the default itself
            sigemptyset(&action.sa_mask)
            sigaction(signal.number, &action, saved + Int(signal.number))
        }
    }

    /// Prepares the report for a crash inside `step` (declared at `location`, `file:line`).
    static func enter(step: String, location: String) {
        guard let message, let record else { return }
        armed = 0
        messageLength = fill(message, "\n  ✗ \(step)  crashed at \(location)")
        recordLength = fill(record, "step\t\(step)\nlocation\t\(location)\nsignal\t")
        armed = 1
    }

    /// No step is running: a crash now is not attributed to one.
    static func leave() { armed = 0 }

    private static func fill(_ buffer: UnsafeMutablePointer<CChar>, _ text: String) -> Int {
        var bytes = Array(text.utf8.prefix(capacity - 1))
        bytes.append(0)
        bytes.withUnsafeBufferPointer { source in
            source.withMemoryRebound(to: CChar.self) { buffer.update(from: $0.baseAddress!, count: $0.count) }
        }
        return bytes.count - 1
    }

    /// The signal handler: only async-signal-safe calls (`write`, `open`, `close`, `signal`, `raise`).
    private static func handle(_ number: Int32) {
        guard number > 0, number < 64 else { signal(number, SIG_DFL); raise(number); return }
        if armed == 0, let previous {
            // Not inside a step: what would have happened without us (the runtime's report).
            sigaction(number, previous + Int(number), nil)
            raise(number)
            return
        }
        if let message, let record, let path, let reasons, let reasonLengths {
            let reason = reasons[Int(number)], length = reasonLengths[Int(number)]
            _ = write(STDERR_FILENO, message, messageLength)
            if let reason { _ = write(STDERR_FILENO, reason, length) }
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            if fd >= 0 {
                _ = write(fd, record, recordLength)
                if let reason { _ = write(fd, reason + 2, length - 2) }
                _ = close(fd)
            }
        }
        signal(number, SIG_DFL)
        raise(number)
    }

    // MARK: reading crash files

    /// What a crash file says.
    struct Crash: Equatable {
        var runId: String
        var step: String
        var location: String
        var signal: String
    }

    /// Parses a crash file's text (`step\tNAME`, `location\tFILE:LINE`, `signal\t (SIGILL: …); …`).
    static func parse(runId: String, text: String) -> Crash? {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let tab = line.firstIndex(of: "\t") else { continue }
            fields[String(line[..<tab])] = String(line[line.index(after: tab)...])
        }
        guard let step = fields["step"] else { return nil }
        var signal = fields["signal"] ?? "a fatal signal"
        if let end = signal.range(of: "; the run") { signal = String(signal[..<end.lowerBound]) }
        if signal.hasSuffix(")") { signal.removeLast() }
        return Crash(runId: runId, step: step, location: fields["location"] ?? "", signal: signal)
    }

    /// Records every crash file in `folder` in the store (the run crashed in that step) and
    /// removes the file. Files of runs the store does not know are removed too.
    static func collect(store: RunStore, folder: URL) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
            let file = folder.appendingPathComponent(name)
            defer { try? FileManager.default.removeItem(at: file) }
            guard let text = try? String(contentsOf: file, encoding: .utf8),
                  let crash = parse(runId: name, text: text),
                  var run = try? store.run(id: name) else { continue }
            guard run.status == .running || run.status == .crashed else { continue }
            run.status = .crashed
            run.failedStep = crash.step
            run.error = "crashed: \(crash.signal)"
            run.errorLocation = crash.location
            try? store.update(run)
            if var step = (try? store.steps(runId: name))?.first(where: { $0.name == crash.step }) {
                step.status = "crashed"
                try? store.record(step)
            }
        }
    }
}
