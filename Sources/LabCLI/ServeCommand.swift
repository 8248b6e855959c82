import ArgumentParser
import Foundation
import Serve

/// `lab serve RUN [STEP]` or `lab serve FOLDER`: serves a trained model over HTTP.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a recorded run's trained model (or a TorchScript export) over HTTP, with dynamic batching.",
        discussion: """
        TARGET is a run id (or unique prefix): the step's model is exported as TorchScript, as \
        `lab export RUN STEP --format torchscript` does (rebuilt by the step's factory, weights from the cache \
        entry the run recorded), into .lab/exports/, and served from there. TARGET may also be a folder \
        `lab export --format torchscript` wrote, in this clone or another.

        Endpoints, as the model allows: POST /v1/embed {"image"} or {"text"}; POST /v1/classify {"image", \
        "labels" (+ "template") or "prompts"} for a CLIP, {"image"} for an image classifier; POST /v1/answer \
        {"image", "question"} for a VQA model; GET /health, /v1/model, /metrics (Prometheus), /openapi.json. \
        Images are base64 PNG strings or {"shape", "data"} tensors. Every error is JSON naming what to fix.

        Concurrent samples for one model are run as one batch of up to --max-batch, once the first has waited \
        --max-delay-ms. Limits: --max-body, --max-text, --max-labels; beyond --max-queue waiting samples a \
        request gets 503 with Retry-After; beyond --timeout, 504. SIGTERM or SIGINT stops listening, lets \
        requests in flight finish, and exits 0. Text embeddings are kept by token ids (--text-cache entries, least \
        recently used evicted), so repeated prompts skip the text tower. Binds 127.0.0.1 unless --host says otherwise; there is no \
        authentication.
        """)

    @Argument(help: ArgumentHelp("A run id (or unique prefix), or a TorchScript export folder.", valueName: "target"))
    var target: String

    @Argument(help: ArgumentHelp("The run's training step to serve (default: its only one).", valueName: "step"))
    var step: String?

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port (0: any free one; the chosen one is printed).")
    var port = 8080

    @Option(name: .customLong("max-batch"), help: "Most samples in one forward pass.")
    var maxBatch = 32

    @Option(name: .customLong("max-delay-ms"), help: "How long a batch's first sample waits for others, in milliseconds.")
    var maxDelayMs = 0.0

    @Option(name: .customLong("max-queue"), help: "Most samples waiting over all models (503 beyond).")
    var maxQueue = 512

    @Option(name: .customLong("max-body"), help: "Largest request body, in bytes (413 beyond).")
    var maxBody = 1 << 20

    @Option(name: .customLong("max-text"), help: "Longest text, in characters.")
    var maxText = 1_000

    @Option(name: .customLong("max-labels"), help: "Most labels or prompts in one classification.")
    var maxLabels = 64

    @Option(help: "Seconds a request may wait for its answer (504 beyond).")
    var timeout = 10.0

    @Option(name: .customLong("text-cache"), help: "Text embeddings kept for reuse, by token ids (0: none).")
    var textCache = 4_096

    @Flag(help: "Freeze the TorchScript modules and apply libtorch's optimize_for_inference.")
    var optimize = false

    func validate() throws {
        guard (1...65_535).contains(port) || port == 0 else { throw ValidationError("--port \(port): use 0 to 65535") }
        guard maxBatch >= 1 else { throw ValidationError("--max-batch must be at least 1") }
        guard maxDelayMs >= 0, maxDelayMs <= 10_000 else { throw ValidationError("--max-delay-ms must be between 0 and 10000") }
        guard maxQueue >= 1 else { throw ValidationError("--max-queue must be at least 1") }
        guard maxBody >= 1_024 else { throw ValidationError("--max-body must be at least 1024 bytes") }
        guard maxText >= 1, maxLabels >= 1 else { throw ValidationError("--max-text and --max-labels must be at least 1") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        guard textCache >= 0 else { throw ValidationError("--text-cache must be 0 or more") }
    }

    func run() throws {
        var isFolder: ObjCBool = false
        let folder: URL
        if FileManager.default.fileExists(atPath: target, isDirectory: &isFolder), isFolder.boolValue {
            guard step == nil else { throw ServeCommandError("\(target) is an export folder: it takes no STEP") }
            folder = URL(fileURLWithPath: target).standardizedFileURL
        } else {
            folder = try ExportCommand.export(runId: target, step: step, format: "torchscript", out: nil)
        }
        var configuration = ServeConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.maxBatchSize = maxBatch
        configuration.maxQueueDelay = .microseconds(Int64(maxDelayMs * 1000))
        configuration.maxQueueDepth = maxQueue
        configuration.maxBodyBytes = maxBody
        configuration.maxTextCharacters = maxText
        configuration.maxLabels = maxLabels
        configuration.requestTimeout = .milliseconds(Int64(timeout * 1000))
        configuration.textCacheSize = textCache
        configuration.optimize = optimize
        let model: ServedModel
        do { model = try ServedModel(folder: folder, optimize: optimize) } catch let error as ServeError {
            throw ServeCommandError(error.message)
        }
        if !["127.0.0.1", "::1", "localhost"].contains(host) {
            FileHandle.standardError.write(Data("warning: listening on \(host): other machines can reach this server, and it has no authentication\n".utf8))
        }
        let server = ModelServer(model: model, configuration: configuration)
        let host = host
        let endpoints = model.endpoints
        let module = model.manifest.module
        let done = DispatchSemaphore(value: 0)
        let failure = LockedError()
        Task {
            do {
                try await server.run { port in
                    print("serving \(module) from \(folder.path) on http://\(host):\(port) (\(endpoints.joined(separator: ", ")); /health, /v1/model, /metrics, /openapi.json)")
                    fflush(nil)
                }
            } catch {
                failure.set(error)
            }
            done.signal()
        }
        done.wait()
        if let error = failure.get() {
            if "\(error)".contains("Address already in use") {
                throw ServeCommandError("\(host):\(port) is in use by another program: choose another --port (0 takes any free one)")
            }
            throw ServeCommandError("the server stopped: \(error)")
        }
        print("lab serve: stopped")
    }
}

/// An error the server met outside any request.
final class LockedError: @unchecked Sendable {
    private let lock = NSLock()
    private var error: (any Error)?
    func set(_ error: any Error) { lock.withLock { self.error = error } }
    func get() -> (any Error)? { lock.withLock { error } }
}

/// A request `lab serve` cannot carry out, said in one line.
struct ServeCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
