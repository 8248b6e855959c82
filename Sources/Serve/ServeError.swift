import Foundation

/// A request that cannot be answered: an HTTP status and a message naming what to fix,
/// sent as `{"error": {"status": …, "message": …}}`.
public struct ServeError: Error, Equatable, CustomStringConvertible {
    public var status: Int
    public var message: String
    /// Extra headers (`Retry-After` on 503).
    public var headers: [String: String]

    public init(_ status: Int, _ message: String, headers: [String: String] = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status): \(message)" }

    /// 400: the body is not what the endpoint reads (JSON syntax, an unknown or missing field, a wrong type).
    static func badRequest(_ message: String) -> ServeError { ServeError(400, message) }
    /// 422: well-formed, but a value cannot be used (not a PNG, wrong size, empty text).
    static func unprocessable(_ message: String) -> ServeError { ServeError(422, message) }

    /// The error's JSON body.
    var body: Data {
        let object: [String: Any] = ["error": ["status": status, "message": message]]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }
}
