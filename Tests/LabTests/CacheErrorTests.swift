import Foundation
import Testing
@testable import Lab

/// Pins the wording of every cache message: what failed, the value at fault, what to do.
struct CacheErrorTests {
    @Test(arguments: [
        (CacheError.io(operation: "fsync", path: "/c/objects/ab", code: ENOSPC),
         "Cache: could not fsync '/c/objects/ab': No space left on device (errno 28). Free disk space (`lab cache gc` removes old entries) and try again."),
        (CacheError.io(operation: "open lock file", path: "/c/locks/ab.lock", code: EACCES),
         "Cache: could not open lock file '/c/locks/ab.lock': Permission denied (errno 13). Check that the cache folder is writable by this user."),
        (CacheError.invalidKey("XYZ"),
         "Cache: 'XYZ' is not a cache key: expected 2 to 128 lowercase hexadecimal characters (a SHA-256 digest is 64). Compute keys with the runner's key function."),
        (CacheError.notStaged(path: "/tmp/x"),
         "Cache: '/tmp/x' is not an open staging folder of this cache. Pass the URL that stage() returned, once, to commit or discard."),
        (CacheError.unsupportedStagedItem(path: "/c/staging/1/w", kind: "symbolic link"),
         "Cache: staged item '/c/staging/1/w' is a symbolic link; only regular files and folders can be cached. Write the output's bytes into the staging folder instead of linking them."),
        (CacheError.reservedName(path: "/c/staging/1/manifest.json"),
         "Cache: staged file '/c/staging/1/manifest.json' uses the name manifest.json, which the cache reserves for its own index of the entry. Give the output another name."),
    ])
    func errorMessages(error: CacheError, message: String) {
        #expect(error.description == message)
    }

    @Test(arguments: [
        (CacheEntryProblem.missingManifest, "manifest.json: missing"),
        (.unreadableManifest("invalid JSON: x"), "manifest.json: unreadable (invalid JSON: x)"),
        (.manifestKeyMismatch(found: "ab"), "manifest.json: names key ab, not the folder's key"),
        (.missingFile("output.json"), "output.json: missing"),
        (.notARegularFile("w"), "w: not a regular file"),
        (.sizeMismatch(file: "tensors.safetensors", actual: 70, expected: 80), "tensors.safetensors: 70 bytes, manifest says 80"),
        (.hashMismatch(file: "t", actual: String(repeating: "a", count: 64), expected: String(repeating: "b", count: 64)),
         "t: SHA-256 aaaaaaaaaaaaaaaa…, manifest says bbbbbbbbbbbbbbbb…"),
    ])
    func corruptionReasons(problem: CacheEntryProblem, reason: String) {
        #expect(problem.description == reason)
    }
}
