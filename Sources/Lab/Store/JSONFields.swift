import Foundation

/// Splits a JSON object into its top-level fields, keeping each value's text exactly as
/// written (`0.001` stays `0.001`, `true` stays `true`), so the `params` table shows the
/// config the way the user wrote it.
enum JSONFields {
    /// The top-level fields of `json` in the order written, each value as its JSON text;
    /// `nil` when `json` is not a JSON object.
    static func topLevel(of json: String) -> [(key: String, value: String)]? {
        let data = Data(json.utf8)
        guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else { return nil }
        var scanner = Scanner(bytes: Array(json.utf8))
        guard let fields = scanner.fields() else { return nil }
        // JSON lets a key repeat; as every JSON reader does, the last value wins.
        var position: [String: Int] = [:]
        var unique: [(key: String, value: String)] = []
        for field in fields {
            if let at = position[field.key] {
                unique[at].value = field.value
            } else {
                position[field.key] = unique.count
                unique.append(field)
            }
        }
        return unique
    }

    /// A cursor over the bytes of a JSON text already known to be a valid object.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func fields() -> [(key: String, value: String)]? {
            skipSpace()
            guard consume(UInt8(ascii: "{")) else { return nil }
            var fields: [(key: String, value: String)] = []
            skipSpace()
            if consume(UInt8(ascii: "}")) { return fields }
            while index < bytes.count {
                skipSpace()
                let keyStart = index
                skipString()
                guard let key = decodeString(bytes[keyStart..<index]) else { return nil }
                skipSpace()
                guard consume(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                let valueStart = index
                skipValue()
                fields.append((key, String(decoding: bytes[valueStart..<index], as: UTF8.self)))
                skipSpace()
                if consume(UInt8(ascii: "}")) { return fields }
                guard consume(UInt8(ascii: ",")) else { return nil }
            }
            return nil
        }

        /// Skips one value: a string, an object or array (with everything nested in it),
        /// or a bare literal (number, `true`, `false`, `null`).
        mutating func skipValue() {
            guard index < bytes.count else { return }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                skipString()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while index < bytes.count {
                    switch bytes[index] {
                    case UInt8(ascii: "\""):
                        skipString()
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["):
                        depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                    default:
                        break
                    }
                    index += 1
                    if depth == 0 { return }
                }
            default:
                while index < bytes.count, !Self.endsLiteral(bytes[index]) { index += 1 }
            }
        }

        /// Skips a string literal, escapes included; `index` ends after the closing quote.
        mutating func skipString() {
            index += 1  // the opening quote
            while index < bytes.count {
                let byte = bytes[index]
                index += byte == UInt8(ascii: "\\") ? 2 : 1
                if byte == UInt8(ascii: "\"") { return }
            }
        }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        static func endsLiteral(_ byte: UInt8) -> Bool {
            [UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D].contains(byte)
        }

        /// Decodes a quoted JSON string literal, escapes and all.
        func decodeString(_ literal: ArraySlice<UInt8>) -> String? {
            try? JSONDecoder().decode(String.self, from: Data(literal))
        }
    }
}
