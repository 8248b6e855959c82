import Foundation

/// Marks the run interrupted when the user presses Ctrl-C (SIGINT) or the process gets
/// SIGTERM, then exits with 130. (A process killed with SIGKILL cannot react: the store
/// shows such a run as crashed, from its dead pid.)
enum Interrupts {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install(store: RunStore, runId: String, logger: MetricLogger) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                store.recording("part of the run's metric series") { try logger.close() }
                store.recording("the run's final status (interrupted)") {
                    var run = try store.run(id: runId)
                    run.status = .interrupted
                    run.endedAt = Date()
                    run.error = sig == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)"
                    try store.retrying(attempts: 2) { try store.update(run) }
                }
                FileHandle.standardError.write(Data("\nrun \(runId) interrupted; finished steps are cached\n".utf8))
                // `_exit`, not `exit`: the main thread may be inside libtorch, and `exit` would run
                // global destructors (fbgemm's code cache, oneDNN's primitives) under it, which
                // crashed with SIGSEGV after this message. Everything that must survive is
                // already durable: the store was updated above, cache entries are committed by rename.
                fflush(nil)
                _exit(130)
            }
            source.resume()
            sources.append(source)
        }
    }
}
