import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a cache operation failed. Each message says what failed, the path or value at
/// fault, and what to do next.
package enum CacheError: Error, CustomStringConvertible, Equatable {
    /// A system call failed: `operation` on `path` set `errno` to `code`.
    case io(operation: String, path: String, code: Int32)
    /// A key that is not 2–128 lowercase hexadecimal characters.
    case invalidKey(String)
    /// `commit` or `discard` got a folder that this store's `stage()` did not hand out,
    /// or that was already committed or discarded.
    case notStaged(path: String)
    /// A staged item that is neither a regular file nor a folder (a symbolic link, a
    /// socket, …); `kind` names what it is.
    case unsupportedStagedItem(path: String, kind: String)
    /// A staged file whose name the cache reserves for itself (`manifest.json`).
    case reservedName(path: String)
    /// The manifest could not be encoded as JSON.
    case manifestEncoding(key: String, reason: String)

    /// The message shown to the user, naming the entry and what to do.
    package var description: String {
        switch self {
        case let .io(operation, path, code):
            let reason = String(cString: strerror(code))
            let hint = switch code {
            case ENOSPC, EDQUOT: "Free disk space (`lab cache gc` removes old entries) and try again."
            case EACCES, EPERM, EROFS: "Check that the cache folder is writable by this user."
            case ENOENT: "Something else removed it; run the command again."
            default: "Check the cache folder (`lab cache verify`) and try again."
            }
            return "Cache: could not \(operation) '\(path)': \(reason) (errno \(code)). \(hint)"
        case let .invalidKey(key):
            return "Cache: '\(key)' is not a cache key: expected 2 to 128 lowercase hexadecimal characters (a SHA-256 digest is 64). Compute keys with the runner's key function."
        case let .notStaged(path):
            return "Cache: '\(path)' is not an open staging folder of this cache. Pass the URL that stage() returned, once, to commit or discard."
        case let .unsupportedStagedItem(path, kind):
            return "Cache: staged item '\(path)' is a \(kind); only regular files and folders can be cached. Write the output's bytes into the staging folder instead of linking them."
        case let .reservedName(path):
            return "Cache: staged file '\(path)' uses the name manifest.json, which the cache reserves for its own index of the entry. Give the output another name."
        case let .manifestEncoding(key, reason):
            return "Cache: could not encode the manifest of entry \(key): \(reason). Check the step's meta values."
        }
    }
}

/// What is wrong with a cache entry. Its `description` is the `reason` of
/// ``CacheStore/Lookup/corrupt(reason:)`` and the `problem` of ``CacheStore/verifyAll()``,
/// so its wording lives here, next to the other cache messages.
enum CacheEntryProblem: CustomStringConvertible, Equatable {
    case missingManifest
    case unreadableManifest(String)
    case manifestKeyMismatch(found: String)
    case invalidFileName(String)
    case missingFile(String)
    case notARegularFile(String)
    case sizeMismatch(file: String, actual: Int64, expected: Int64)
    case hashMismatch(file: String, actual: String, expected: String)
    case misplaced(folder: String)

    var description: String {
        switch self {
        case .missingManifest:
            return "manifest.json: missing"
        case let .unreadableManifest(reason):
            return "manifest.json: unreadable (\(reason))"
        case let .manifestKeyMismatch(found):
            return "manifest.json: names key \(found), not the folder's key"
        case let .invalidFileName(name):
            return "manifest.json: lists an invalid file name '\(name)'"
        case let .missingFile(name):
            return "\(name): missing"
        case let .notARegularFile(name):
            return "\(name): not a regular file"
        case let .sizeMismatch(name, actual, expected):
            return "\(name): \(actual) bytes, manifest says \(expected)"
        case let .hashMismatch(name, actual, expected):
            return "\(name): SHA-256 \(actual.prefix(16))…, manifest says \(expected.prefix(16))…"
        case let .misplaced(folder):
            return "\(folder): not a cache entry folder (wrong name or shard)"
        }
    }
}
