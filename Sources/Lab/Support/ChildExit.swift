import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a child process ended, learned from the kernel rather than from Foundation.
///
/// `Process.waitUntilExit()`, `isRunning` and `terminationHandler` depend on Foundation
/// seeing the child's SIGCHLD. Here that notice can be lost: a child script that starts a
/// daemon through `runuser` (as `scripts/slurm` starts munged) exits, stays a zombie, and
/// `waitUntilExit()` never returns. (Reproduced with a ten-line program on Debian 12 and
/// Swift 6.3.1.) `ChildExit` asks the kernel instead: `waitid(P_PID, …, WNOWAIT)` sees the
/// child's end without reaping it, so Foundation may still reap it; where Foundation already
/// has, its own status is used.
public enum ChildExit: Equatable, Sendable, CustomStringConvertible {
    /// The child called `exit` with this status.
    case exited(Int32)
    /// The child was ended by this signal.
    case signaled(Int32)

    /// The status a shell would show: the exit status, or 128 + the signal.
    public var status: Int32 {
        switch self {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
        }
    }

    /// Whether the child exited with status 0.
    public var succeeded: Bool { self == .exited(0) }

    public var description: String {
        switch self {
        case .exited(let code): return "exit status \(code)"
        case .signaled(let signal): return "signal \(signal)"
        }
    }

    /// How `process` (started) ended, or nil while it runs. Never blocks.
    public static func poll(_ process: Process) -> ChildExit? {
        var info = siginfo_t()
        while waitid(P_PID, id_t(process.processIdentifier), &info, WEXITED | WNOWAIT | WNOHANG) != 0 {
            if errno == EINTR { continue }
            // ECHILD: Foundation has reaped it, and sets its status right after.
            while process.isRunning { usleep(1_000) }
            return process.terminationReason == .uncaughtSignal ? .signaled(process.terminationStatus) : .exited(process.terminationStatus)
        }
        let child = info._sifields._sigchld
        guard child.si_pid != 0 else { return nil }
        return info.si_code == CLD_EXITED ? .exited(child.si_status) : .signaled(child.si_status)
    }

    /// Waits for `process` (started) to end, polling every `interval` seconds; nil when
    /// `timeout` seconds passed first (the process is left running).
    @discardableResult
    public static func wait(for process: Process, timeout: TimeInterval? = nil, interval: TimeInterval = 0.01) -> ChildExit? {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        while true {
            if let exit = poll(process) { return exit }
            if let deadline, Date() >= deadline { return nil }
            usleep(useconds_t(interval * 1_000_000))
        }
    }
}
