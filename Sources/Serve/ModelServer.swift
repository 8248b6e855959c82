import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// `lab serve`: an HTTP server (Hummingbird) over a ``ServedModel``.
///
/// - `POST /v1/embed` `{"image": IMAGE}` or `{"text": "…"}` → `{"embedding": […], …}`
/// - `POST /v1/classify` `{"image": IMAGE, "labels": […], "template"?: "a photo of a {}"}` or
///   `{"image": IMAGE, "prompts": […]}` → zero-shot scores (a CLIP); `{"image": IMAGE}` for an
///   image classifier → its classes' scores
/// - `POST /v1/answer` `{"image": IMAGE, "question": "…"}` → the answer (a VQA model)
/// - `GET /health`, `GET /v1/model`, `GET /metrics` (Prometheus text), `GET /openapi.json`
///
/// IMAGE is a base64 PNG string, or a tensor `{"shape": [C, H, W], "data": […]}` already
/// preprocessed. Every sample goes through the ``InferenceQueue``'s dynamic batching. Every
/// error is a JSON `{"error": {"status", "message"}}` naming what to fix.
public final class ModelServer: Sendable {
    public let model: ServedModel
    public let configuration: ServeConfiguration
    public let metrics = ServeMetrics()
    let queue: InferenceQueue
    let textCache: EmbeddingCache

    public init(model: ServedModel, configuration: ServeConfiguration) {
        self.model = model
        self.configuration = configuration
        queue = InferenceQueue(models: model.models, maxBatchSize: configuration.maxBatchSize,
                               maxQueueDelay: configuration.maxQueueDelay, maxQueueDepth: configuration.maxQueueDepth,
                               metrics: metrics)
        textCache = EmbeddingCache(capacity: configuration.textCacheSize)
    }

    /// The Hummingbird application; ``start()`` must have been called before it serves.
    /// `onListening` gets the bound port (useful with port 0).
    public func application(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(router: router(),
                    configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "lab-serve"),
                    onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
                    logger: Self.logger)
    }

    /// Hummingbird's logger: warnings and errors only (`LOG_LEVEL=info` shows more).
    static var logger: Logger {
        var logger = Logger(label: "lab.serve")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }

    /// Starts the inference thread.
    public func start() { queue.start() }

    /// Lets queued samples finish and stops the inference thread.
    public func stop() async { await queue.shutdown() }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully: the listener closes,
    /// requests in flight get their answers, then the inference thread stops.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        start()
        do {
            try await application(onListening: onListening).runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } catch {
            await stop()
            throw error
        }
        await stop()
    }

    // MARK: - Routes

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ErrorMiddleware(metrics: metrics, endpoints: ["GET /health", "GET /v1/model", "GET /metrics", "GET /openapi.json"]
                                                + model.endpoints.map { "POST \($0)" }))
        router.get("/health") { _, _ in Self.json(["status": "ok"]) }
        router.get("/v1/model") { [self] _, _ in Self.json(description()) }
        router.get("/metrics") { [self] _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
        }
        router.get("/openapi.json") { [self] _, _ in Self.json(OpenAPIDocument.make(for: model, configuration: configuration)) }
        router.post("/v1/embed") { [self] request, _ in try await embed(body(request, route: "/v1/embed", allowed: ["image", "text"])) }
        router.post("/v1/classify") { [self] request, _ in
            try await classify(body(request, route: "/v1/classify", allowed: ["image", "labels", "prompts", "template"]))
        }
        router.post("/v1/answer") { [self] request, _ in try await answer(body(request, route: "/v1/answer", allowed: ["image", "question"])) }
        return router
    }

    func body(_ request: Request, route: String, allowed: [String]) async throws -> RequestBody {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: configuration.maxBodyBytes) } catch {
            throw ServeError(413, "the body is over \(configuration.maxBodyBytes) bytes (lab serve --max-body)")
        }
        return try RequestBody(Data(buffer.readableBytesView), route: route, allowed: allowed)
    }

    func unavailable(_ what: String) -> ServeError {
        ServeError(404, "this model (\(model.manifest.module)) \(what); it answers \(model.endpoints.joined(separator: ", "))")
    }

    // MARK: - Endpoints

    func embed(_ body: RequestBody) async throws -> Response {
        switch (body.has("image"), body.has("text")) {
        case (true, true): throw ServeError.badRequest("give 'image' or 'text', not both")
        case (false, false): throw ServeError.badRequest("missing field 'image' (a base64 PNG or a tensor) or 'text' (a string)")
        case (true, false):
            guard let index = model.imageEmbedder else { throw unavailable("does not embed images") }
            let sample = try image(body)
            let output = try await queue.submit(model: index, samples: [[.float(sample)]], timeout: configuration.requestTimeout)[0][0]
            return Self.json(Embedding(modality: "image", dimensions: output.count, embedding: output, truncated: nil))
        case (false, true):
            guard let index = model.textEmbedder else { throw unavailable("does not embed text") }
            let (ids, truncated) = model.tokens(try body.text("text", limit: configuration.maxTextCharacters))
            let output = try await embedTexts([ids], model: index)[0]
            return Self.json(Embedding(modality: "text", dimensions: output.count, embedding: output, truncated: truncated))
        }
    }

    func classify(_ body: RequestBody) async throws -> Response {
        guard body.has("image") else { throw ServeError.badRequest("missing field 'image' (a base64 PNG or a tensor)") }
        if let index = model.classifier {
            for field in ["labels", "prompts", "template"] where body.has(field) {
                throw ServeError.badRequest("field '\(field)': this model classifies into its own \(model.manifest.labels?.count ?? 0) classes; send only 'image'")
            }
            let logits = try await queue.submit(model: index, samples: [[.float(try image(body))]], timeout: configuration.requestTimeout)[0][0]
            let names = model.manifest.labels ?? logits.indices.map { "class \($0)" }
            let scores = Self.softmax(logits.map(Double.init))
            let ranked = zip(names, scores).sorted { $0.1 > $1.1 }.map { Score(label: $0.0, prompt: nil, score: $0.1) }
            return Self.json(Classification(label: ranked[0].label, scores: ranked))
        }
        guard let imageIndex = model.imageEmbedder, let textIndex = model.textEmbedder else {
            throw unavailable("does not classify images")
        }
        let labels: [String], prompts: [String]
        switch (body.has("labels"), body.has("prompts")) {
        case (true, true): throw ServeError.badRequest("give 'labels' (made into prompts by 'template') or 'prompts', not both")
        case (false, false): throw ServeError.badRequest("missing field 'labels' or 'prompts' (a list of strings): the candidates to score")
        case (true, false):
            labels = try body.texts("labels", count: configuration.maxLabels, limit: configuration.maxTextCharacters)
            let template = body.has("template") ? try body.text("template", limit: configuration.maxTextCharacters) : "a photo of a {}"
            guard template.contains("{}") else {
                throw ServeError.unprocessable("field 'template' must contain {} where the label goes, as in \"a photo of a {}\"")
            }
            prompts = labels.map { template.replacingOccurrences(of: "{}", with: $0) }
        case (false, true):
            if body.has("template") { throw ServeError.badRequest("field 'template' applies to 'labels'; 'prompts' are used as they are") }
            prompts = try body.texts("prompts", count: configuration.maxLabels, limit: configuration.maxTextCharacters)
            labels = prompts
        }
        let sample = try image(body)
        let tokenized = prompts.map(model.tokens)
        async let imageOutput = queue.submit(model: imageIndex, samples: [[.float(sample)]], timeout: configuration.requestTimeout)
        let texts = try await embedTexts(tokenized.map(\.ids), model: textIndex)
        let e = try await imageOutput[0][0]
        let scale = model.manifest.logitScale ?? 1
        let logits = texts.map { t in scale * zip(e, t).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
        let scores = Self.softmax(logits)
        let ranked = zip(zip(labels, prompts), scores).sorted { $0.1 > $1.1 }.map { Score(label: $0.0.0, prompt: $0.0.1, score: $0.1) }
        return Self.json(Classification(label: ranked[0].label, scores: ranked))
    }

    /// The text tower's embeddings of `texts` (token ids), from the cache where it has them;
    /// the others (each distinct one once) go through the queue.
    func embedTexts(_ texts: [[Int64]], model index: Int) async throws -> [[Float]] {
        var out = texts.map(textCache.get)
        var missing: [[Int64]] = []
        for (i, ids) in texts.enumerated() where out[i] == nil && !missing.contains(ids) { missing.append(ids) }
        metrics.textCache(hits: out.count { $0 != nil }, misses: out.count - out.count { $0 != nil })
        if !missing.isEmpty {
            let computed = try await queue.submit(model: index, samples: missing.map { [.int($0)] }, timeout: configuration.requestTimeout)
            for (ids, output) in zip(missing, computed) {
                textCache.put(ids, output[0])
                for i in texts.indices where texts[i] == ids { out[i] = output[0] }
            }
        }
        return out.map { $0! }
    }

    func answer(_ body: RequestBody) async throws -> Response {
        guard let index = model.answerer else { throw unavailable("does not answer questions") }
        guard body.has("image") else { throw ServeError.badRequest("missing field 'image' (a base64 PNG or a tensor)") }
        let (ids, truncated) = model.tokens(try body.text("question", limit: configuration.maxTextCharacters))
        let output = try await queue.submit(model: index, samples: [[.float(try image(body)), .int(ids)]], timeout: configuration.requestTimeout)[0]
        let logits = output[0]
        let names = model.manifest.labels ?? logits.indices.map { "answer \($0)" }
        let ranked = zip(names, Self.softmax(logits.map(Double.init))).sorted { $0.1 > $1.1 }
        return Self.json(Answer(answer: ranked[0].0, scores: ranked.prefix(5).map { AnswerScore(answer: $0.0, score: $0.1) }, truncated: truncated))
    }

    // MARK: - Images

    /// The request's `image` as the model's planar float input.
    func image(_ body: RequestBody) throws -> [Float] {
        guard let spec = model.image else { throw unavailable("takes no image") }
        let value = body.value("image")
        if let text = value as? String {
            guard let preprocessing = spec.preprocessing else {
                throw ServeError.unprocessable("this export records no image preprocessing (its training data did not describe its pixels), so a PNG cannot be converted; send 'image' as a tensor {\"shape\": [\(spec.channels), \(spec.height), \(spec.width)], \"data\": […]}")
            }
            let base64 = text.hasPrefix("data:") ? String(text.drop(while: { $0 != "," }).dropFirst()) : text
            guard let data = Data(base64Encoded: base64, options: .ignoreUnknownCharacters), !data.isEmpty else {
                throw ServeError.unprocessable("field 'image' is a string but not base64: send a PNG file's bytes in base64")
            }
            let png: PNGImage
            do { png = try PNGImage(decoding: [UInt8](data), channels: spec.channels, expectedWidth: spec.width, expectedHeight: spec.height) } catch {
                throw ServeError.unprocessable("field 'image': \(error)")
            }
            return preprocessing.apply(png.pixels, channels: spec.channels)
        }
        if let object = value as? [String: Any] {
            for key in object.keys.sorted() where key != "shape" && key != "data" {
                throw ServeError.badRequest("unknown field 'image.\(key)'; a tensor image has 'shape' and 'data'")
            }
            let expected = [spec.channels, spec.height, spec.width]
            guard let shape = (object["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }), shape.count == (object["shape"] as? [Any])?.count else {
                throw ServeError.badRequest("field 'image.shape' must be a list of integers, \(expected)")
            }
            guard shape == expected else {
                throw ServeError.unprocessable("field 'image.shape' is \(shape); this model takes \(expected) (channels, height, width)")
            }
            guard let list = object["data"] as? [Any] else { throw ServeError.badRequest("field 'image.data' must be a list of numbers") }
            guard list.count == expected.reduce(1, *) else {
                throw ServeError.unprocessable("field 'image.data' has \(list.count) numbers; shape \(expected) needs \(expected.reduce(1, *))")
            }
            var values = [Float]()
            values.reserveCapacity(list.count)
            for (i, item) in list.enumerated() {
                guard type(of: item) != Bool.self, let number = item as? NSNumber, number.doubleValue.isFinite else {
                    throw ServeError.unprocessable("field 'image.data'[\(i)] is not a finite number")
                }
                values.append(number.floatValue)
            }
            return values
        }
        throw ServeError.badRequest("field 'image' must be a base64 PNG string or a tensor {\"shape\": [\(spec.channels), \(spec.height), \(spec.width)], \"data\": […]}")
    }

    // MARK: - Replies

    struct Embedding: Encodable {
        var modality: String
        var dimensions: Int
        var embedding: [Float]
        var truncated: Bool?
    }
    struct Score: Encodable {
        var label: String
        var prompt: String?
        var score: Double
    }
    struct Classification: Encodable {
        var label: String
        var scores: [Score]
    }
    struct AnswerScore: Encodable {
        var answer: String
        var score: Double
    }
    struct Answer: Encodable {
        var answer: String
        var scores: [AnswerScore]
        var truncated: Bool
    }

    static func softmax(_ logits: [Double]) -> [Double] {
        let top = logits.max() ?? 0
        let e = logits.map { Foundation.exp($0 - top) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `GET /v1/model`: what is served, from where, and under which limits.
    func description() -> [String: Any] {
        let manifest = model.manifest
        var out: [String: Any] = [
            "module": manifest.module, "folder": model.folder.path, "endpoints": model.endpoints,
            "files": manifest.files.map(\.path), "metadata": manifest.metadata,
            "batching": ["max_batch_size": configuration.maxBatchSize,
                         "max_queue_delay_ms": Double(configuration.maxQueueDelay.components.attoseconds) / 1e15 + Double(configuration.maxQueueDelay.components.seconds) * 1000,
                         "max_queue_depth": configuration.maxQueueDepth],
            "limits": ["max_body_bytes": configuration.maxBodyBytes, "max_text_characters": configuration.maxTextCharacters,
                       "max_labels": configuration.maxLabels, "timeout_s": Double(configuration.requestTimeout.components.seconds)],
            "text_cache": ["capacity": configuration.textCacheSize, "entries": textCache.count],
        ]
        if let image = model.image {
            var entry: [String: Any] = ["channels": image.channels, "height": image.height, "width": image.width]
            if let p = image.preprocessing { entry["preprocessing"] = ["scale": p.scale, "mean": p.mean, "std": p.std] }
            out["image"] = entry
        }
        if model.tokenizer != nil { out["text"] = ["tokenizer": manifest.tokenizer?.kind ?? "", "max_tokens": model.textLength] }
        if let labels = manifest.labels { out["labels"] = labels }
        if let scale = manifest.logitScale { out["logit_scale"] = scale }
        return out
    }
}

/// Turns every error into the JSON error body and counts every request in the metrics.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServeMetrics
    let endpoints: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as ServeError {
            response = Self.render(error)
        } catch let error as any HTTPResponseError {
            let message = error.status == .notFound
                ? "no route \(request.method) \(request.uri.path); this server answers \(endpoints.joined(separator: ", "))"
                : "\(error.status.reasonPhrase) (\(request.method) \(request.uri.path))"
            response = Self.render(ServeError(error.status.code, message))
        } catch {
            response = Self.render(ServeError(500, "internal error: \(error)"))
        }
        metrics.request(route: request.uri.path, status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }

    static func render(_ error: ServeError) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        for (name, value) in error.headers { if let field = HTTPField.Name(name) { headers[field] = value } }
        return Response(status: .init(code: error.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: error.body)))
    }
}
