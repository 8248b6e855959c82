import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Lab
import Testing

/// `lab serve` through the real `lab`, over 127.0.0.1: a recorded run's model served from its
/// cache entry, answers equal to the same weights in Lab, a request in flight at SIGTERM
/// answered before the process exits 0, and bad targets named.
@Suite(.serialized) struct ServeCommandTests {
    /// Reads the server's output until its "serving … on http://127.0.0.1:PORT" line (at most `seconds`).
    static func port(of pipe: Pipe, within seconds: Double) -> (Int?, String) {
        let deadline = Date().addingTimeInterval(seconds)
        var text = ""
        while Date() < deadline {
            let data = pipe.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("serving ") }),
               let range = line.range(of: "http://127.0.0.1:") {
                return (Int(line[range.upperBound...].prefix(while: \.isNumber)), text)
            }
        }
        return (nil, text)
    }

    static func request(_ port: Int, _ path: String, body: Any? = nil) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.timeoutInterval = 20
        if let body {
            request.httpMethod = "POST"
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
    }

    @Test func aRunIsServedFromItsCacheEntryAndStopsCleanlyOnSIGTERM() async throws {
        let (box, id) = try ExportTests().sandbox()
        // The same weights in Lab, through the safetensors export.
        let weights = box.root.appendingPathComponent("out/st")
        #expect(try box.lab("export", id, "encoder", "--format", "safetensors", "--out", weights.path).status == 0)
        let encoder = ImageEncoder(imageSize: 8, channels: [4], embeddingDim: 5)
        try encoder.loadStateDict(try Safetensors.load(weights.appendingPathComponent("model.safetensors").path, memoryMapped: false).tensors)
        encoder.eval()
        let pixels = (0..<64).map { Float(($0 * 13) % 17) / 17 - 0.5 }
        let expected = withNoGrad { encoder(Tensor(pixels, shape: [1, 1, 8, 8])) }.asArray(Float.self)

        let (process, pipe) = try box.start(Sandbox.lab, ["serve", id, "encoder", "--port", "0", "--max-delay-ms", "1000"])
        defer { if process.isRunning { process.terminate() } }
        let (found, output) = Self.port(of: pipe, within: 120)
        let port = try #require(found, "no 'serving' line: \(output)")
        #expect(output.contains("serving ImageEncoder from \(box.root.path)/.lab/exports/\(id)-encoder-torchscript"), "\(output)")

        let (healthStatus, health) = try await Self.request(port, "/health")
        #expect(healthStatus == 200 && health["status"] as? String == "ok")
        let (status, body) = try await Self.request(port, "/v1/embed", body: ["image": ["shape": [1, 8, 8], "data": pixels.map(Double.init)]])
        #expect(status == 200, "\(body)")
        let embedding = ((body["embedding"] as? [Any]) ?? []).compactMap { ($0 as? NSNumber)?.floatValue }
        #expect(embedding.count == 5 && zip(embedding, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "\(embedding) vs \(expected)")
        // The run's data did not say how its images were made from pixels: a PNG is refused, naming the tensor form.
        let (pngStatus, png) = try await Self.request(port, "/v1/embed", body: ["image": "iVBORw0KGgo="])
        #expect(pngStatus == 422)
        #expect(((png["error"] as? [String: Any])?["message"] as? String)?.contains("records no image preprocessing") == true, "\(png)")

        // A request waiting in the queue (1 s batching delay) when SIGTERM arrives is still answered.
        async let inFlight = Self.request(port, "/v1/embed", body: ["image": ["shape": [1, 8, 8], "data": pixels.map(Double.init)]])
        try await Task.sleep(for: .milliseconds(300))
        process.terminate()
        let (lastStatus, _) = try await inFlight
        #expect(lastStatus == 200)
        let rest = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(Sandbox.wait(process) == 0, "\(rest)")
        #expect(rest.contains("lab serve: stopped"), "\(rest)")
    }

    @Test func badTargetsNameWhatToFix() throws {
        let (box, id) = try ExportTests().sandbox()
        let empty = box.root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let noManifest = try box.lab("serve", empty.path, "--port", "0")
        #expect(noManifest.status == 2 && noManifest.output.contains("export.json does not exist"), "\(noManifest.output)")
        let onnx = box.root.appendingPathComponent("onnx")
        #expect(try box.lab("export", id, "encoder", "--out", onnx.path).status == 0)
        let wrongFormat = try box.lab("serve", onnx.path, "--port", "0")
        #expect(wrongFormat.status == 2 && wrongFormat.output.contains("holds a onnx export; lab serve runs TorchScript"), "\(wrongFormat.output)")
        let custom = try box.lab("serve", id, "doubler", "--port", "0")
        #expect(custom.status == 2 && custom.output.contains("cannot export Doubler"), "\(custom.output)")
        let badPort = try box.lab("serve", id, "encoder", "--port", "70000")
        #expect(badPort.status != 0 && badPort.output.contains("--port 70000"), "\(badPort.output)")

        // A port another program holds.
        let script = box.root.appendingPathComponent("ts")
        #expect(try box.lab("export", id, "encoder", "--format", "torchscript", "--out", script.path).status == 0)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = listen(fd, 1)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let taken = Int(UInt16(bigEndian: address.sin_port))
        let busy = try box.lab("serve", script.path, "--port", String(taken))
        #expect(busy.status == 2 && busy.output.contains("127.0.0.1:\(taken) is in use by another program"), "\(busy.output)")
    }
}
