import Foundation

/// Dynamic batching, as Triton's dynamic batcher does it: samples submitted concurrently
/// for one model wait in its queue until `maxBatchSize` of them are there or the first has
/// waited `maxQueueDelay`, then run as one forward pass; each reply goes back to its request.
///
/// All inference runs on one dedicated thread, off the HTTP event loops and the Swift
/// concurrency pool; libtorch spreads each pass over its intra-op threads. When several
/// models have a batch ready, the one whose first sample has waited longest runs first.
/// Samples whose request has already timed out are dropped before their batch runs.
final class InferenceQueue: @unchecked Sendable {
    /// The answer to one sample: per output, its row.
    typealias Output = [[Float]]

    /// A request's reply slot: finished once, by the inference thread or by the timeout.
    final class Reply: @unchecked Sendable {
        private let lock = NSLock()
        private var result: Result<Output, any Error>?
        private var continuation: CheckedContinuation<Output, any Error>?

        var isFinished: Bool { lock.withLock { result != nil } }

        /// Sets the result unless one is set; true when this call set it.
        @discardableResult
        func finish(_ outcome: Result<Output, any Error>) -> Bool {
            let waiting: CheckedContinuation<Output, any Error>?? = lock.withLock {
                guard result == nil else { return .none }
                result = outcome
                defer { continuation = nil }
                return .some(continuation)
            }
            guard case .some(let c) = waiting else { return false }
            c?.resume(with: outcome)
            return true
        }

        func value() async throws -> Output {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Output, any Error>) in
                let ready: Result<Output, any Error>? = lock.withLock {
                    if let result { return result }
                    continuation = c
                    return nil
                }
                if let ready { c.resume(with: ready) }
            }
        }
    }

    private struct Pending {
        let sample: [SampleValue]
        let enqueued: ContinuousClock.Instant
        let reply: Reply
    }

    let models: [BatchedModel]
    let maxBatchSize: Int
    let maxQueueDelay: Duration
    let maxQueueDepth: Int
    let metrics: ServeMetrics

    private let condition = NSCondition()
    private var queues: [[Pending]]
    private var depth = 0
    private var stopping = false
    private var running = false
    private var stopped: [CheckedContinuation<Void, Never>] = []

    init(models: [BatchedModel], maxBatchSize: Int, maxQueueDelay: Duration, maxQueueDepth: Int, metrics: ServeMetrics) {
        precondition(maxBatchSize >= 1 && maxQueueDepth >= 1, "InferenceQueue: batch size and queue depth must be at least 1")
        self.models = models
        self.maxBatchSize = maxBatchSize
        self.maxQueueDelay = maxQueueDelay
        self.maxQueueDepth = maxQueueDepth
        self.metrics = metrics
        queues = Array(repeating: [], count: models.count)
    }

    /// Starts the inference thread.
    func start() {
        condition.withLock {
            precondition(!running, "InferenceQueue: started twice")
            running = true
        }
        let thread = Thread { [self] in work() }
        thread.name = "lab-serve-inference"
        thread.start()
    }

    /// Runs `samples` on model `index` (batched with whatever else is waiting) and returns
    /// each sample's outputs, in order. All of them are queued at once, or none.
    /// - Throws: 503 (``ServeError``, with `Retry-After`) when the queue cannot take them,
    ///   504 when `timeout` passes first, 500 when the forward pass fails.
    func submit(model index: Int, samples: [[SampleValue]], timeout: Duration) async throws -> [Output] {
        let replies = samples.map { _ in Reply() }
        try condition.withLock {
            guard running, !stopping else {
                throw ServeError(503, "the server is shutting down", headers: ["Retry-After": "1"])
            }
            guard depth + samples.count <= maxQueueDepth else {
                metrics.rejected("queue_full")
                throw ServeError(503, "the server is busy: \(depth) samples are queued and the limit is \(maxQueueDepth) (lab serve --max-queue); retry after a second",
                                 headers: ["Retry-After": "1"])
            }
            let now = ContinuousClock.now
            for (sample, reply) in zip(samples, replies) { queues[index].append(Pending(sample: sample, enqueued: now, reply: reply)) }
            depth += samples.count
            metrics.queueDepth(depth)
            condition.signal()
        }
        let name = models[index].name
        let timer = Task { [metrics] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            let error = ServeError(504, "no answer within the request timeout (\(timeout.formatted(.units(allowed: [.seconds, .milliseconds])))) from model '\(name)'; the server is overloaded or the timeout (lab serve --timeout) is too short")
            var expired = false
            for reply in replies where reply.finish(.failure(error)) { expired = true }
            if expired { metrics.rejected("timeout") }
        }
        defer { timer.cancel() }
        var outputs: [Output] = []
        for reply in replies { outputs.append(try await reply.value()) }
        return outputs
    }

    /// Stops taking samples, lets the thread finish every queued one, and returns when it has.
    func shutdown() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let alreadyStopped: Bool = condition.withLock {
                stopping = true
                guard running else { return true }
                stopped.append(c)
                condition.signal()
                return false
            }
            if alreadyStopped { c.resume() }
        }
    }

    private func work() {
        condition.lock()
        while true {
            let now = ContinuousClock.now
            var chosen: Int?
            var oldest: ContinuousClock.Instant?
            var nextDue: ContinuousClock.Instant?
            for (i, queue) in queues.enumerated() {
                guard let first = queue.first else { continue }
                let due = first.enqueued + maxQueueDelay
                if queue.count >= maxBatchSize || due <= now || stopping {
                    if oldest.map({ first.enqueued < $0 }) ?? true { oldest = first.enqueued; chosen = i }
                } else if nextDue.map({ due < $0 }) ?? true {
                    nextDue = due
                }
            }
            if let i = chosen {
                let n = min(maxBatchSize, queues[i].count)
                let batch = Array(queues[i].prefix(n))
                queues[i].removeFirst(n)
                depth -= n
                metrics.queueDepth(depth)
                condition.unlock()
                run(model: i, batch.filter { !$0.reply.isFinished })
                condition.lock()
                continue
            }
            if stopping && depth == 0 { break }
            if let due = nextDue {
                let wait = due - now
                let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) * 1e-18
                _ = condition.wait(until: Date().addingTimeInterval(seconds))
            } else {
                condition.wait()
            }
        }
        running = false
        let waiting = stopped
        stopped = []
        condition.unlock()
        for c in waiting { c.resume() }
    }

    private func run(model index: Int, _ batch: [Pending]) {
        guard !batch.isEmpty else { return }
        let model = models[index]
        let start = ContinuousClock.now
        do {
            let outputs = try model.run(batch.map(\.sample))
            metrics.batch(model: model.name, size: batch.count, duration: ContinuousClock.now - start)
            for (pending, output) in zip(batch, outputs) { pending.reply.finish(.success(output)) }
        } catch {
            let failure = ServeError(500, "model '\(model.name)' failed on a batch of \(batch.count): \(error)")
            for pending in batch { pending.reply.finish(.failure(failure)) }
        }
    }
}
