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
                try? logger.close()
                if var run = try? store.run(id: runId) {
                    run.status = .interrupted
                    run.endedAt = Date()
                    run.error = sig == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)"
                    try? store.update(run)
                }
                FileHandle.standardError.write(Data("\nrun \(runId) interrupted; finished steps are cached\n".utf8))
                exit(130)
            }
            source.resume()
            sources.append(source)
        }
    }
}
