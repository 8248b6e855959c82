import Foundation
import Reports

/// Every step's cache key for an experiment as declared (its own config, root seed 0, a full
/// run), as an experiment binary prints them with `BINARY keys` (see `StepKeys`): what
/// `lab status` and `lab pr-report` compare committed reports against. Computing them runs
/// no step.
package struct ComputedKeys: Decodable, Sendable, Equatable {
    /// The experiment's name.
    package var experiment: String
    /// The experiment's own config, field → value.
    package var config: [String: JSONValue]
    /// The library fingerprint the keys were computed with.
    package var library: String
    /// The steps in declaration order.
    package var steps: [Step]

    /// One step's key.
    package struct Step: Decodable, Sendable, Equatable {
        /// The step's name.
        package var name: String
        /// The step's kind (`data`, `train`, `eval`, `step`).
        package var kind: String
        /// The step's cache key (hex SHA-256).
        package var key: String
        /// The key's parts by name, and `config.fields`.
        package var parts: [String: String]
        /// The names of the steps it takes as inputs.
        package var inputs: [String]
        /// Its line in the experiment file.
        package var line: Int
    }

    /// Reads the output of `BINARY keys`.
    /// - Throws: `DecodingError` when `data` is not that output.
    package static func decode(_ data: Data) throws -> ComputedKeys {
        try JSONDecoder().decode(ComputedKeys.self, from: data)
    }
}
