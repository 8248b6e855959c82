import Foundation
import Prometheus

/// The server's Prometheus metrics, served as text at `GET /metrics`:
///
/// - `lab_http_requests_total{route, status}` and `lab_http_request_duration_seconds{route}`;
/// - `lab_batches_total{model}` and `lab_batch_samples_total{model}` (their ratio is the mean
///   batch size), `lab_batch_size{model}` (a histogram) and `lab_inference_duration_seconds{model}`;
/// - `lab_queue_depth` (samples waiting) and `lab_rejected_total{reason}` (`queue_full`, `timeout`);
/// - `lab_text_cache_total{result}` (`hit`, `miss`): texts found in the embedding cache or computed.
public final class ServeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    static let routes: Set<String> = ["/v1/embed", "/v1/classify", "/v1/answer", "/v1/model", "/health", "/metrics", "/openapi.json"]
    private let depth: Gauge

    public init() {
        depth = registry.makeGauge(name: "lab_queue_depth", help: "Samples waiting for a batch")
        depth.set(to: 0)
    }

    func request(route: String, status: Int, duration: Duration) {
        let route = Self.routes.contains(route) ? route : "other"
        registry.makeCounter(name: "lab_http_requests_total", labels: [("route", route), ("status", String(status))],
                             help: "HTTP requests answered").increment()
        registry.makeDurationHistogram(name: "lab_http_request_duration_seconds", labels: [("route", route)],
                                       buckets: [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                                 .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                                 .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10)],
                                       help: "Time from request to response").record(duration)
    }

    func batch(model: String, size: Int, duration: Duration) {
        registry.makeCounter(name: "lab_batches_total", labels: [("model", model)], help: "Forward passes run").increment()
        registry.makeCounter(name: "lab_batch_samples_total", labels: [("model", model)], help: "Samples in those passes")
            .increment(by: Int64(size))
        registry.makeValueHistogram(name: "lab_batch_size", labels: [("model", model)], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
                                    help: "Samples per forward pass").record(Double(size))
        registry.makeDurationHistogram(name: "lab_inference_duration_seconds", labels: [("model", model)],
                                       buckets: [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                                 .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                                 .milliseconds(500), .seconds(1)],
                                       help: "Time of one forward pass").record(duration)
    }

    func textCache(hits: Int, misses: Int) {
        if hits > 0 {
            registry.makeCounter(name: "lab_text_cache_total", labels: [("result", "hit")], help: "Texts looked up in the embedding cache")
                .increment(by: Int64(hits))
        }
        if misses > 0 {
            registry.makeCounter(name: "lab_text_cache_total", labels: [("result", "miss")], help: "Texts looked up in the embedding cache")
                .increment(by: Int64(misses))
        }
    }

    func queueDepth(_ samples: Int) { depth.set(to: Double(samples)) }

    func rejected(_ reason: String) {
        registry.makeCounter(name: "lab_rejected_total", labels: [("reason", reason)], help: "Requests refused by a limit").increment()
    }

    /// The Prometheus text exposition of every metric.
    public func text() -> String { registry.emitToString() }
}
