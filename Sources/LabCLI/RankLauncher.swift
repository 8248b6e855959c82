import ArgumentParser
import Foundation
import Lab
#if canImport(Glibc)
import Glibc
#endif

/// Starts the ranks of a data-parallel run (`lab run FILE --nproc N [--nnodes M --node-rank R
/// --master HOST:PORT]`) as new processes of the experiment binary, as torchrun does, and
/// watches them.
///
/// Each rank learns its place from the environment (``Ranks/Key``). Global rank 0 shares
/// this terminal; every other rank writes to `.lab/ranks/<run>/rank-<r>.log`. When a rank
/// fails or is killed, the others are stopped (SIGTERM, then SIGKILL after 10 s), and on the
/// machine of rank 0 the run is recorded as failed with that rank's message: the steps that
/// finished are cached and a training step's checkpoint is kept, so the next run resumes.
struct RankLauncher {
    let binary: URL
    let arguments: [String]
    let nproc: Int
    let nnodes: Int
    let nodeRank: Int
    /// `host:port` of rank 0's rendezvous; nil: 127.0.0.1 and a free port (one machine).
    let master: String?
    let timeout: Double
    let root: URL

    /// Set by SIGINT/SIGTERM while the ranks run.
    nonisolated(unsafe) static var interrupted: Int32 = 0

    /// One started rank.
    private final class Started: @unchecked Sendable {
        let rank: Int
        let process: Process
        let log: URL?
        let failureFile: URL
        init(rank: Int, process: Process, log: URL?, failureFile: URL) {
            self.rank = rank; self.process = process; self.log = log; self.failureFile = failureFile
        }
    }

    /// Runs the ranks to their end. Returns the exit status: 0 when every rank succeeded, the
    /// failing rank's status (1 for a signal) otherwise, 130 when interrupted.
    func run() throws -> Int32 {
        let world = nproc * nnodes
        let runId = makeRunId()
        let address = try master ?? "127.0.0.1:\(Self.freePort())"
        let folder = root.appendingPathComponent(".lab/ranks").appendingPathComponent(runId)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        // N ranks share this machine's cores (torchrun sets OMP_NUM_THREADS=1; we split them).
        if environment["LAB_NUM_THREADS"] == nil && environment["OMP_NUM_THREADS"] == nil {
            environment["LAB_NUM_THREADS"] = String(max(1, ProcessInfo.processInfo.activeProcessorCount / nproc))
        }
        environment[Ranks.Key.worldSize] = String(world)
        environment[Ranks.Key.master] = address
        environment[Ranks.Key.timeout] = String(timeout)
        environment[Ranks.Key.runId] = runId

        for sig in [SIGINT, SIGTERM] {
            // A handler, not SIG_IGN: the ranks get the default disposition back when they start.
            signal(sig) { RankLauncher.interrupted = $0 }
        }
        print("lab run: \(world) ranks (\(nproc) on this machine\(nnodes > 1 ? ", machine \(nodeRank) of \(nnodes)" : "")) at \(address); "
              + "ranks other than 0 write to \(folder.path.replacingOccurrences(of: root.path + "/", with: ""))/")
        fflush(nil)
        var ranks: [Started] = []
        for local in 0..<nproc {
            let rank = nodeRank * nproc + local
            let process = Process()
            process.executableURL = binary
            process.arguments = arguments
            var env = environment
            env[Ranks.Key.rank] = String(rank)
            env[Ranks.Key.localRank] = String(local)
            let failureFile = folder.appendingPathComponent("rank-\(rank).failure.json")
            env[Ranks.Key.failureFile] = failureFile.path
            process.environment = env
            var log: URL?
            if rank != 0 {
                let file = folder.appendingPathComponent("rank-\(rank).log")
                FileManager.default.createFile(atPath: file.path, contents: nil)
                let handle = try FileHandle(forWritingTo: file)
                process.standardOutput = handle
                process.standardError = handle
                log = file
            }
            try process.run()
            ranks.append(Started(rank: rank, process: process, log: log, failureFile: failureFile))
        }

        // Watch: the first rank to fail (in the order they exited) is the cause; stop the rest.
        // Exits are polled from the kernel (ChildExit), not Foundation's termination notices.
        var ended: [(rank: Int, exit: ChildExit)] = []
        func poll() {
            for r in ranks where !ended.contains(where: { $0.rank == r.rank }) {
                if let exit = ChildExit.poll(r.process) { ended.append((r.rank, exit)) }
            }
        }
        func firstFailure() -> (Started, ChildExit)? {
            ended.first { !$0.exit.succeeded }.flatMap { e in ranks.first { $0.rank == e.rank }.map { ($0, e.exit) } }
        }
        var cause: (rank: Started, exit: ChildExit)?
        var stopping = false
        poll()
        while ended.count < ranks.count {
            let running = ranks.filter { r in !ended.contains { $0.rank == r.rank } }
            if Self.interrupted != 0 && !stopping {
                stopping = true
                for r in running { kill(r.process.processIdentifier, Self.interrupted == SIGINT ? SIGINT : SIGTERM) }
            }
            if cause == nil, !stopping, let failed = firstFailure() {
                cause = failed
                stopping = true
                Self.stop(running.map(\.process))
            }
            usleep(20_000)
            poll()
        }
        if Self.interrupted != 0 { return 130 }
        if cause == nil { cause = firstFailure() }
        guard let cause else { return 0 }
        if cause.rank.rank == 0 { return cause.exit.status }   // rank 0 recorded its own failure
        let message = describe(cause.rank, cause.exit)
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        if nodeRank == 0 { recordFailure(runId: runId, rank: cause.rank, message: message) }
        return 1
    }

    /// What happened to a failed rank, for the terminal and the run's record.
    private func describe(_ rank: Started, _ exit: ChildExit) -> String {
        let log = rank.log.map { " (its output: \($0.path.replacingOccurrences(of: root.path + "/", with: "")))" } ?? ""
        if let data = try? Data(contentsOf: rank.failureFile), let failure = try? JSONDecoder().decode(Ranks.Failure.self, from: data) {
            return "rank \(rank.rank) failed in step '\(failure.step)' at \(failure.location): \(failure.message)\(log)"
        }
        if case .signaled(let signal) = exit {
            return "rank \(rank.rank) (pid \(rank.process.processIdentifier)) was killed by signal \(signal)\(Self.signalName(signal))\(log)"
        }
        return "rank \(rank.rank) exited with status \(exit.status)\(log)"
    }

    /// Marks the run failed with a follower's message (rank 0 was stopped, and recorded
    /// itself interrupted or failed on a lost connection), its running step failed, and
    /// writes its report as rank 0 would have.
    private func recordFailure(runId: String, rank: Started, message: String) {
        guard let store = try? RunStore(path: root.appendingPathComponent(".lab/lab.sqlite").path),
              var run = try? store.run(id: runId) else { return }
        let failure = (try? Data(contentsOf: rank.failureFile)).flatMap { try? JSONDecoder().decode(Ranks.Failure.self, from: $0) }
        let steps = (try? store.steps(runId: runId)) ?? []
        let interruptedStep = steps.first { $0.status == "running" || $0.status == "failed" }
        run.status = .failed
        run.endedAt = run.endedAt ?? Date()
        run.failedStep = failure?.step ?? interruptedStep?.name ?? run.failedStep
        run.error = message
        run.errorLocation = failure?.location ?? run.errorLocation
        _ = store.recording("the run's final status (failed on rank \(rank.rank))") { try store.retrying { try store.update(run) } }
        for var step in steps where step.status == "running" {
            step.status = "failed"
            _ = store.recording("step '\(step.name)' (failed)") { try store.record(step) }
        }
        if let written = try? Reporting.write(store: store, runId: runId, root: root) {
            print("report: \(written.folder.path.replacingOccurrences(of: root.path + "/", with: ""))/README.md, index.html")
        }
        print("run \(runId) failed on rank \(rank.rank); the steps that finished are cached, and a training step resumes from its last checkpoint")
    }

    /// SIGTERM to each process, then SIGKILL to those still running after 10 s.
    private static func stop(_ processes: [Process]) {
        for p in processes { kill(p.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(10)
        while processes.contains(where: { ChildExit.poll($0) == nil }) && Date() < deadline { usleep(20_000) }
        for p in processes where ChildExit.poll(p) == nil { kill(p.processIdentifier, SIGKILL) }
    }

    private static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGKILL: return " (SIGKILL)"
        case SIGTERM: return " (SIGTERM)"
        case SIGSEGV: return " (SIGSEGV)"
        case SIGABRT: return " (SIGABRT)"
        case SIGBUS: return " (SIGBUS)"
        case SIGILL: return " (SIGILL)"
        case SIGINT: return " (SIGINT)"
        default: return ""
        }
    }

    /// A port on 127.0.0.1 that nothing listens on now (the kernel's choice).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ValidationError("cannot open a socket to find a free port: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw ValidationError("cannot find a free port on 127.0.0.1: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
