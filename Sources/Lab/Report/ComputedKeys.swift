import Foundation
import Reports

/// Every step's cache key for an experiment as declared (its own config, root seed 0, a full
/// run), as an experiment binary prints them with `BINARY keys` (see `StepKeys`): what
/// `lab status` and `lab pr-report` compare committed reports against. Computing them runs
/// no step.
public struct ComputedKeys: Decodable, Sendable, Equatable {
    /// The experiment's name.
    public var experiment: String
    /// The experiment's own config, field → value.
    public var config: [String: JSONValue]
    /// The library fingerprint the keys were computed with.
    public var library: String
    /// The steps in declaration order.
    public var steps: [Step]

    /// One step's key.
    public struct Step: Decodable, Sendable, Equatable {
        /// The step's name.
        public var name: String
        /// The step's kind (`data`, `train`, `eval`, `step`).
        public var kind: String
        /// The step's cache key (hex SHA-256).
        public var key: String
        /// The key's parts by name, and `config.fields`.
        public var parts: [String: String]
        /// The names of the steps it takes as inputs.
        public var inputs: [String]
        /// Its line in the experiment file.
        public var line: Int
    }

    /// Reads the output of `BINARY keys`.
    /// - Throws: `DecodingError` when `data` is not that output.
    public static func decode(_ data: Data) throws -> ComputedKeys {
        try JSONDecoder().decode(ComputedKeys.self, from: data)
    }
}
