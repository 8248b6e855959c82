import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Multimodal
import NIOCore
import ServiceLifecycle
import Testing
@testable import Serve
import Torch

/// The server in-process (Hummingbird's router test client) and over real sockets on
/// 127.0.0.1 (its live and AsyncHTTPClient test clients): answers against direct calls of
/// the same model in Lab, every bad input's status and message, the limits, batching seen in
/// /metrics, and graceful shutdown. Embeddings are compared within 1e-5 (TorchScript and Lab
/// eager run the same ATen ops; seen here: below 1e-6).
@Suite(.serialized) struct ModelServerTests {
    static func object(_ response: TestResponse) throws -> [String: Any] {
        let data = Data(response.body.readableBytesView)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ServeError(0, "not a JSON object: \(String(decoding: data, as: UTF8.self))")
        }
        return object
    }

    static func message(_ response: TestResponse) -> String {
        ((try? object(response))?["error"] as? [String: Any])?["message"] as? String ?? "<no JSON error>"
    }

    static func floats(_ value: Any?) -> [Float] { ((value as? [Any]) ?? []).map { ($0 as? NSNumber)?.floatValue ?? .nan } }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        a.count == b.count ? zip(a, b).map { abs($0 - $1) }.max() ?? 0 : .infinity
    }

    /// Runs `body` against a started server on `folder`, then stops it.
    static func withServer<R>(_ folder: URL, configure: (inout ServeConfiguration) -> Void = { _ in }, setup: TestingSetup = .router,
                              _ body: @Sendable (any TestClientProtocol, ModelServer) async throws -> R) async throws -> R {
        var configuration = ServeConfiguration()
        configuration.port = 0
        configure(&configuration)
        let server = ModelServer(model: try ServedModel(folder: folder), configuration: configuration)
        server.start()
        do {
            let result = try await server.application().test(setup) { client in try await body(client, server) }
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    static func post(_ client: any TestClientProtocol, _ uri: String, _ object: Any) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .post, body: ByteBuffer(data: ServeFixture.json(object)))
    }

    @Test func embedsImagesAndTextAsLabDoes() async throws {
        let (clip, tokenizer, folder) = try ServeFixture.clip()
        let image = withNoGrad { clip.embed("image", ServeFixture.imageTensor(seed: 3)) }.asArray(Float.self)
        let text = withNoGrad { clip.embed("text", tokenizer.batch(["a photo of a shoe"], length: 8)) }.asArray(Float.self)
        try await Self.withServer(folder) { client, _ in
            let png = try await Self.post(client, "/v1/embed", ["image": ServeFixture.base64PNG(seed: 3)])
            #expect(png.status == .ok)
            let fromPNG = try Self.object(png)
            #expect(fromPNG["modality"] as? String == "image")
            #expect(fromPNG["dimensions"] as? Int == 16)
            #expect(Self.maxDifference(Self.floats(fromPNG["embedding"]), image) < 1e-5)

            let pixels = ServeFixture.imageTensor(seed: 3).asArray(Float.self)
            let rawResponse = try await Self.post(client, "/v1/embed", ["image": ["shape": [1, 28, 28], "data": pixels.map(Double.init)]])
            #expect(rawResponse.status == .ok, "\(Self.message(rawResponse))")
            let raw = try Self.object(rawResponse)
            #expect(Self.maxDifference(Self.floats(raw["embedding"]), image) < 1e-5)

            let caption = try Self.object(try await Self.post(client, "/v1/embed", ["text": "a photo of a shoe"]))
            #expect(caption["modality"] as? String == "text")
            #expect(caption["truncated"] as? Bool == false)
            #expect(Self.maxDifference(Self.floats(caption["embedding"]), text) < 1e-5)

            let long = try Self.object(try await Self.post(client, "/v1/embed", ["text": "a photo of a shoe and a bag and a coat"]))
            #expect(long["truncated"] as? Bool == true)
        }
    }

    @Test func classifiesZeroShotAsCLIPScores() async throws {
        let (clip, tokenizer, folder) = try ServeFixture.clip()
        let labels = ["shirt", "shoe", "bag"]
        let expected: [Double] = withNoGrad {
            let image = clip.embed("image", ServeFixture.imageTensor(seed: 5))
            let texts = clip.embed("text", tokenizer.batch(labels.map { "a picture of a \($0)" }, length: 8))
            return (clip.scale * image.matmul(texts.transposed(0, 1))).softmax(dim: -1).asArray(Float.self).map(Double.init)
        }
        try await Self.withServer(folder) { client, _ in
            let response = try await Self.post(client, "/v1/classify",
                                               ["image": ServeFixture.base64PNG(seed: 5), "labels": labels, "template": "a picture of a {}"])
            #expect(response.status == .ok)
            let scores = (try Self.object(response)["scores"] as? [[String: Any]]) ?? []
            #expect(scores.count == 3)
            for entry in scores {
                let label = entry["label"] as? String ?? ""
                let index = try #require(labels.firstIndex(of: label))
                #expect(abs((entry["score"] as? Double ?? -1) - expected[index]) < 1e-5)
                #expect(entry["prompt"] as? String == "a picture of a \(label)")
            }
            let values = scores.compactMap { $0["score"] as? Double }
            #expect(values == values.sorted(by: >))
            #expect(try Self.object(response)["label"] as? String == scores.first?["label"] as? String)
        }
    }

    /// `--optimize` (frozen, optimize_for_inference) runs the same graph: the same embeddings.
    @Test func optimizedModulesGiveTheSameEmbeddings() async throws {
        let (clip, _, folder) = try ServeFixture.clip()
        let expected = withNoGrad { clip.embed("image", ServeFixture.imageTensor(seed: 1)) }.asArray(Float.self)
        let model = try ServedModel(folder: folder, optimize: true)
        let output = try model.models[try #require(model.imageEmbedder)].run([[.float(ServeFixture.imageTensor(seed: 1).asArray(Float.self))]])
        #expect(Self.maxDifference(output[0][0], expected) < 1e-5)
    }

    /// Repeated prompts come from the embedding cache: the second classification runs no text
    /// sample, and its scores are the first's. With the cache off, every prompt runs.
    @Test func repeatedPromptsComeFromTheTextCache() async throws {
        let (_, _, folder) = try ServeFixture.clip()
        let image = ServeFixture.base64PNG(seed: 2)
        for size in [4_096, 0] {
            try await Self.withServer(folder, configure: { $0.textCacheSize = size }) { client, server in
                let request: [String: Any] = ["image": image, "labels": ["shirt", "shoe", "bag", "shoe"]]
                let first = try Self.object(try await Self.post(client, "/v1/classify", request))
                let second = try Self.object(try await Self.post(client, "/v1/classify", request))
                #expect((first["scores"] as? [[String: Any]])?.map { $0["score"] as? Double } == (second["scores"] as? [[String: Any]])?.map { $0["score"] as? Double })
                let metrics = server.metrics.text()
                if size > 0 {
                    // Three distinct prompts computed once; the repeated "shoe" and the whole second request are hits.
                    #expect(metrics.contains("lab_batch_samples_total{model=\"text\"} 3"), "\(metrics)")
                    #expect(metrics.contains("lab_text_cache_total{result=\"hit\"} 4"), "\(metrics)")
                    #expect(metrics.contains("lab_text_cache_total{result=\"miss\"} 4"), "\(metrics)")
                } else {
                    #expect(metrics.contains("lab_batch_samples_total{model=\"text\"} 6"), "\(metrics)")
                    #expect(!metrics.contains("result=\"hit\""), "\(metrics)")
                }
            }
        }
    }

    @Test func answersQuestionsAsTheVQAModelDoes() async throws {
        let (model, tokenizer, folder, labels) = try ServeFixture.vqa()
        let image = ServeFixture.imageTensor(64, 64, seed: 9)
        let logits = withNoGrad { model(image, tokenizer.batch(["is there a bag ?"], length: 8).reshape(1, 1, 8)).logits }
            .reshape(-1).softmax(dim: 0).asArray(Float.self)
        let best = logits.indices.max { logits[$0] < logits[$1] }!
        try await Self.withServer(folder) { client, _ in
            let response = try await Self.post(client, "/v1/answer", ["image": ServeFixture.base64PNG(64, 64, seed: 9), "question": "is there a bag ?"])
            #expect(response.status == .ok)
            let body = try Self.object(response)
            #expect(body["answer"] as? String == labels[best])
            let top = (body["scores"] as? [[String: Any]])?.first
            #expect(abs((top?["score"] as? Double ?? -1) - Double(logits[best])) < 1e-5)
            // A CLIP-only route on a VQA model: named as not served.
            let embed = try await Self.post(client, "/v1/embed", ["text": "a bag"])
            #expect(embed.status == .notFound)
            #expect(Self.message(embed).contains("does not embed text"))
        }
    }

    /// Every bad input: its status and the words of its message that say what to fix.
    @Test func badInputsGetJSONErrorsNamingTheFix() async throws {
        let (_, _, folder) = try ServeFixture.clip()
        let cases: [(String, String, Int, String)] = [
            ("/v1/embed", "{\"text\": ", 400, "not valid JSON"),
            ("/v1/embed", "[1, 2]", 400, "not an object"),
            ("/v1/embed", "", 400, "the body is empty"),
            ("/v1/embed", "{\"txt\": \"a shoe\"}", 400, "unknown field 'txt'"),
            ("/v1/embed", "{}", 400, "missing field 'image'"),
            ("/v1/embed", "{\"text\": 3}", 400, "must be a string"),
            ("/v1/embed", "{\"text\": \"   \"}", 422, "is empty"),
            ("/v1/embed", "{\"text\": \"a\", \"image\": \"x\"}", 400, "not both"),
            ("/v1/embed", "{\"image\": \"bm90IGEgcG5n\"}", 422, "not a PNG"),
            ("/v1/embed", "{\"image\": \"%%%\"}", 422, "not base64"),
            ("/v1/embed", "{\"image\": \"\(ServeFixture.base64PNG(32, 32))\"}", 422, "is 32×32 pixels; this model takes 28×28"),
            ("/v1/embed", "{\"image\": \"\(String(ServeFixture.base64PNG().prefix(60)))\"}", 422, "could not be decoded"),
            ("/v1/embed", "{\"image\": {\"shape\": [1, 28], \"data\": []}}", 422, "this model takes [1, 28, 28]"),
            ("/v1/embed", "{\"image\": {\"shape\": [1, 28, 28], \"data\": [1, 2]}}", 422, "has 2 numbers"),
            ("/v1/embed", "{\"image\": {\"shape\": [1, 28, 28], \"dat\": []}}", 400, "unknown field 'image.dat'"),
            ("/v1/embed", "{\"image\": 5}", 400, "base64 PNG string or a tensor"),
            ("/v1/classify", "{\"image\": \"\(ServeFixture.base64PNG())\"}", 400, "missing field 'labels' or 'prompts'"),
            ("/v1/classify", "{\"image\": \"\(ServeFixture.base64PNG())\", \"labels\": []}", 422, "empty list"),
            ("/v1/classify", "{\"image\": \"\(ServeFixture.base64PNG())\", \"labels\": [\"a\", 2]}", 400, "list of strings"),
            ("/v1/classify", "{\"image\": \"\(ServeFixture.base64PNG())\", \"labels\": [\"a\"], \"template\": \"a photo\"}", 422, "must contain {}"),
            ("/v1/classify", "{\"image\": \"\(ServeFixture.base64PNG())\", \"prompts\": [\"a\"], \"template\": \"a {}\"}", 400, "applies to 'labels'"),
            ("/v1/answer", "{\"image\": \"\(ServeFixture.base64PNG())\", \"question\": \"what?\"}", 404, "does not answer questions"),
        ]
        try await Self.withServer(folder) { client, _ in
            for (route, body, status, words) in cases {
                let response = try await client.execute(uri: route, method: .post, body: ByteBuffer(string: body))
                #expect(response.status.code == status, "\(route) \(body.prefix(80)): \(response.status.code) \(Self.message(response))")
                #expect(Self.message(response).contains(words), "\(route) \(body.prefix(80)): \(Self.message(response))")
                #expect(response.headers[.contentType] == "application/json")
            }
            let missing = try await client.execute(uri: "/v2/embed", method: .post, body: ByteBuffer(string: "{}"))
            #expect(missing.status == .notFound)
            #expect(Self.message(missing).contains("no route POST /v2/embed; this server answers"))
        }
    }

    @Test func limitsAreEnforced() async throws {
        let (_, _, folder) = try ServeFixture.clip()
        try await Self.withServer(folder, configure: { $0.maxBodyBytes = 4_096; $0.maxTextCharacters = 20; $0.maxLabels = 2 }) { client, _ in
            let big = try await Self.post(client, "/v1/embed", ["text": String(repeating: "shoe ", count: 2_000)])
            #expect(big.status.code == 413)
            #expect(Self.message(big).contains("over 4096 bytes"))
            let long = try await Self.post(client, "/v1/embed", ["text": String(repeating: "a", count: 21)])
            #expect(long.status.code == 413)
            #expect(Self.message(long).contains("has 21 characters; the limit is 20"))
            let many = try await Self.post(client, "/v1/classify", ["image": ServeFixture.base64PNG(), "labels": ["a", "b", "c"]])
            #expect(many.status.code == 413)
            #expect(Self.message(many).contains("has 3 entries; the limit is 2"))
        }
    }

    /// A queue that holds one sample refuses a second with 503 and Retry-After; a request
    /// that waits past its timeout gets 504.
    @Test func fullQueueAndTimeoutAreRefused() async throws {
        let (_, _, folder) = try ServeFixture.clip()
        let configure: (inout ServeConfiguration) -> Void = {
            $0.maxQueueDepth = 1; $0.maxBatchSize = 8; $0.maxQueueDelay = .milliseconds(1_500); $0.requestTimeout = .milliseconds(600)
        }
        try await Self.withServer(folder, configure: configure, setup: .ahc(.http)) { client, server in
            async let first = Self.post(client, "/v1/embed", ["text": "a shoe"])
            try await Task.sleep(for: .milliseconds(200))
            let second = try await Self.post(client, "/v1/embed", ["text": "a bag"])
            #expect(second.status.code == 503)
            #expect(second.headers[HTTPField.Name("Retry-After")!] == "1")
            #expect(Self.message(second).contains("the limit is 1"))
            let timedOut = try await first
            #expect(timedOut.status.code == 504)
            #expect(Self.message(timedOut).contains("request timeout"))
            let metrics = server.metrics.text()
            #expect(metrics.contains("lab_rejected_total{reason=\"queue_full\"} 1"))
            #expect(metrics.contains("lab_rejected_total{reason=\"timeout\"} 1"))
        }
    }

    /// Sixteen concurrent requests over real sockets are merged into fewer forward passes.
    @Test func batchesConcurrentRequestsOverSockets() async throws {
        let (clip, _, folder) = try ServeFixture.clip()
        let expected = (0..<16).map { seed in withNoGrad { clip.embed("image", ServeFixture.imageTensor(seed: seed)) }.asArray(Float.self) }
        try await Self.withServer(folder, configure: { $0.maxBatchSize = 64; $0.maxQueueDelay = .milliseconds(300) }, setup: .ahc(.http)) { client, _ in
            let embeddings = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
                for seed in 0..<16 {
                    group.addTask {
                        let response = try await Self.post(client, "/v1/embed", ["image": ServeFixture.base64PNG(seed: seed)])
                        return (seed, Self.floats(try Self.object(response)["embedding"]))
                    }
                }
                var out = [[Float]](repeating: [], count: 16)
                for try await (seed, embedding) in group { out[seed] = embedding }
                return out
            }
            for seed in 0..<16 { #expect(Self.maxDifference(embeddings[seed], expected[seed]) < 1e-5, "sample \(seed) came back to another request") }
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            let text = String(buffer: metrics.body)
            #expect(metrics.status == .ok)
            #expect(text.contains("lab_batch_samples_total{model=\"image\"} 16"))
            let batches = text.split(separator: "\n").first { $0.hasPrefix("lab_batches_total{model=\"image\"}") }
                .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 16
            #expect(batches < 16, "16 concurrent requests ran in \(batches) forward passes")
            #expect(text.contains("lab_http_requests_total{route=\"/v1/embed\",status=\"200\"} 16"))
        }
    }

    @Test func describesItselfAndItsAPI() async throws {
        let (_, _, folder) = try ServeFixture.clip()
        try await Self.withServer(folder, setup: .live) { client, _ in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
            let model = try Self.object(try await client.execute(uri: "/v1/model", method: .get))
            #expect(model["module"] as? String == "CLIP")
            #expect(model["endpoints"] as? [String] == ["/v1/embed", "/v1/classify"])
            #expect((model["image"] as? [String: Any])?["width"] as? Int == 28)
            let document = try Self.object(try await client.execute(uri: "/openapi.json", method: .get))
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = (document["paths"] as? [String: Any])?.keys.sorted() ?? []
            #expect(paths == ["/health", "/metrics", "/openapi.json", "/v1/classify", "/v1/embed", "/v1/model"])
        }
    }

    /// Graceful shutdown: a request waiting in the queue when shutdown begins still gets its answer.
    @Test func shutdownFinishesRequestsInFlight() async throws {
        let (_, _, folder) = try ServeFixture.clip()
        var configuration = ServeConfiguration()
        configuration.port = 0
        configuration.maxQueueDelay = .milliseconds(800)
        let server = ModelServer(model: try ServedModel(folder: folder), configuration: configuration)
        server.start()
        let port = AsyncStream<Int>.makeStream()
        let group = ServiceGroup(configuration: .init(services: [server.application { port.continuation.yield($0) }], logger: .init(label: "test")))
        async let served: Void = group.run()
        var ports = port.stream.makeAsyncIterator()
        let bound = try #require(await ports.next())
        async let reply = Self.loopbackPost(port: bound, path: "/v1/embed", body: ServeFixture.json(["text": "a coat"]))
        try await Task.sleep(for: .milliseconds(300))
        await group.triggerGracefulShutdown()
        let (status, _) = try await reply
        #expect(status == 200)
        try await served
        await server.stop()
    }

    /// One POST over a plain socket to 127.0.0.1 (URLSession would keep the connection open).
    static func loopbackPost(port: Int, path: String, body: Data) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.httpBody = body
        request.timeoutInterval = 10
        request.setValue("close", forHTTPHeaderField: "Connection")
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}
