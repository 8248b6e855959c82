import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Advisory `flock(2)` locks on lock files, exclusive across processes and across threads,
/// and re-entrant on the thread that holds one (so the runner can hold an entry's lock
/// around lookup → compute → commit while `commit` takes the same lock).
///
/// A lock file exists only while its lock is held: the holder unlinks it before
/// unlocking. A waiter that then acquires the unlinked inode notices (its descriptor's
/// inode no longer matches the path's) and retries on the new file, so unlinking never
/// lets two holders in at once.
///
/// Threads of one process exclude one another through the kernel too, since each
/// acquisition opens its own descriptor and `flock` locks belong to open descriptions.
enum FileLock {
    /// Runs `body` holding the exclusive lock at `path`, blocking until it is free.
    /// `onWait` runs once, before blocking, when another holder has the lock.
    static func withLock<T>(at path: String, onWait: (() -> Void)? = nil, _ body: () throws -> T) throws -> T {
        let me = pthread_self()
        if Registry.shared.reenter(path, thread: me) {
            defer { Registry.shared.leave(path) }
            return try body()
        }
        var taken = onWait == nil ? nil : try acquire(path, blocking: false)
        if taken == nil {
            onWait?()
            taken = try acquire(path, blocking: true)
        }
        let fd = taken!
        Registry.shared.enter(path, thread: me)
        defer {
            Registry.shared.leave(path)
            unlink(path)
            release(fd)
        }
        return try body()
    }

    /// Opens `path` (creating it) and locks it. Returns nil when `blocking` is false
    /// and another description holds the lock.
    static func acquire(_ path: String, blocking: Bool, create: Bool = true) throws -> Int32? {
        while true {
            let fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0o644)
            if fd < 0 {
                if errno == EINTR { continue }
                if errno == ENOENT && !create { return nil }
                throw CacheError.io(operation: "open lock file", path: path, code: errno)
            }
            var status: Int32
            repeat {
                status = flock(fd, LOCK_EX | (blocking ? 0 : LOCK_NB))
            } while status != 0 && errno == EINTR
            if status != 0 {
                let code = errno
                _ = close(fd)
                if code == EWOULDBLOCK { return nil }
                throw CacheError.io(operation: "lock", path: path, code: code)
            }
            // Is the locked inode still the one at `path`? The previous holder unlinks
            // the file before it unlocks; if so, start over on the new file.
            var held = stat(), current = stat()
            if fstat(fd, &held) == 0, lstat(path, &current) == 0,
               held.st_dev == current.st_dev, held.st_ino == current.st_ino {
                return fd
            }
            _ = close(fd)
            if !create { return nil }
        }
    }

    /// Unlocks and closes a descriptor from ``acquire(_:blocking:create:)``.
    static func release(_ fd: Int32) {
        _ = flock(fd, LOCK_UN)
        _ = close(fd)
    }

    /// Which thread of this process holds which lock path, and how many times it has
    /// re-entered it.
    private final class Registry: @unchecked Sendable {
        static let shared = Registry()
        private let mutex = NSLock()
        private var holders: [String: (thread: pthread_t, depth: Int)] = [:]

        /// If `thread` already holds `path`, counts one more entry and returns true.
        func reenter(_ path: String, thread: pthread_t) -> Bool {
            mutex.lock()
            defer { mutex.unlock() }
            guard let holder = holders[path], pthread_equal(holder.thread, thread) != 0 else { return false }
            holders[path] = (thread, holder.depth + 1)
            return true
        }

        func enter(_ path: String, thread: pthread_t) {
            mutex.lock()
            defer { mutex.unlock() }
            holders[path] = (thread, 1)
        }

        func leave(_ path: String) {
            mutex.lock()
            defer { mutex.unlock() }
            guard let holder = holders[path] else { return }
            holders[path] = holder.depth > 1 ? (holder.thread, holder.depth - 1) : nil
        }
    }
}
