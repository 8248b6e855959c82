import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny HTTP server on 127.0.0.1 (a free port, never another interface) for the browser
/// tests: it serves the pages it was given and records the path of every other request, so
/// a test can check that a page loads nothing. It answers at most `maxRequests` requests and
/// stops when the test calls ``stop()``.
final class LoopbackServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private var pages: [String: String] = [:]
    private let lock = NSLock()
    private var requested: [String] = []
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)
    private let maxRequests = 1_000

    /// Paths requested that are not one of the pages, in order.
    var unexpectedRequests: [String] { lock.withLock { requested } }

    /// Starts listening; ``serve(_:at:)`` adds pages.
    init() throws {
        #if os(Linux)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ServerError.socket(errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw ServerError.socket(errno) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [self] in serve() }
    }

    /// Serves `html` at `path` (e.g. "/index.html"); other paths are recorded and get 404.
    func serve(_ html: String, at path: String) { lock.withLock { pages[path] = html } }

    /// The URL of `path` on this server.
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Stops accepting and closes the socket.
    func stop() {
        lock.withLock { stopped = true }
        finished.wait()
        close(listener)
    }

    private func serve() {
        var served = 0
        while served < maxRequests, !lock.withLock({ stopped }) {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            served += 1
            handle(client)
            close(client)
        }
        finished.signal()
    }

    private func handle(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 8192)
        let count = recv(client, &buffer, buffer.count, 0)
        guard count > 0 else { return }
        let request = String(decoding: buffer[..<count], as: UTF8.self)
        let path = request.split(separator: " ", maxSplits: 2).dropFirst().first.map(String.init) ?? "?"
        let response: String
        if let page = lock.withLock({ pages[path] }) {
            response = "HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \(page.utf8.count)\r\n\r\n" + page
        } else {
            lock.withLock { requested.append(path) }
            response = "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        }
        #if os(Linux)
        let flags = Int32(MSG_NOSIGNAL)
        #else
        let flags: Int32 = 0
        #endif
        let bytes = Array(response.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, flags) }
            guard n > 0 else { return }
            sent += n
        }
    }

    enum ServerError: Error { case socket(Int32) }
}
