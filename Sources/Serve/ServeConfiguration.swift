import Foundation

/// How `lab serve` listens, batches and limits. The defaults are safe for a workstation:
/// loopback only, bounded bodies, texts, queue and waiting time.
public struct ServeConfiguration: Sendable, Equatable {
    /// The address to bind: loopback unless told otherwise.
    public var host = "127.0.0.1"
    /// The port; 0 asks the system for a free one.
    public var port = 8080
    /// Most samples in one forward pass.
    public var maxBatchSize = 32
    /// How long the first sample of a batch waits for others before the batch runs (0: a
    /// batch is whatever queued while the previous pass ran, so a lone request never waits).
    public var maxQueueDelay: Duration = .zero
    /// Most samples waiting (queued, not yet running) over all models; beyond it a request
    /// gets 503 with `Retry-After`.
    public var maxQueueDepth = 512
    /// Largest request body, in bytes (413 beyond).
    public var maxBodyBytes = 1 << 20
    /// Longest text (a caption, prompt or question), in characters.
    public var maxTextCharacters = 1_000
    /// Most labels or prompts in one classification request.
    public var maxLabels = 64
    /// How long a request may wait for its answer, queueing and inference together (504 beyond).
    public var requestTimeout: Duration = .seconds(10)
    /// Text embeddings kept by token ids (least recently used evicted); 0 turns the cache off.
    public var textCacheSize = 4_096
    /// Freeze the TorchScript modules and run libtorch's `optimize_for_inference` on them.
    public var optimize = false

    public init() {}
}
