// Scratch benchmark for the cache store: durable write through stage + commit against
// `dd conv=fsync`, mmap read-back with and without hash verification, and raw SHA-256
// throughput per chunk size.
//
//     swift run -c release CacheBench [FOLDER]   (default: .build/cache-bench)
import Crypto
import Foundation
import Lab
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let megabyte = 1 << 20
let size = 100 * megabyte
let rounds = 5
let folder = URL(fileURLWithPath: CommandLine.arguments.dropFirst().first ?? ".build/cache-bench")
try? FileManager.default.removeItem(at: folder)
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
let store = try CacheStore(root: folder.appendingPathComponent("cache"))

// Pseudo-random contents (xorshift), so nothing on the way can shortcut zeros.
nonisolated(unsafe) let source: UnsafeMutableRawBufferPointer = {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    let words = buffer.bindMemory(to: UInt64.self)
    for i in words.indices {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        words[i] = state
    }
    return UnsafeMutableRawBufferPointer(words)
}()

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
func mbps(_ seconds: Double) -> Double { Double(size) / 1e6 / seconds }
func gbps(_ seconds: Double) -> Double { Double(size) / 1e9 / seconds }

func check(_ status: Int, _ what: String) {
    if status < 0 { fatalError("\(what): \(String(cString: strerror(errno)))") }
}

/// Writes the source in 1 MiB `write(2)` calls, as `dd bs=1M` does.
func writeSource(to url: URL) {
    let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    check(Int(fd), "open \(url.path)")
    for offset in stride(from: 0, to: size, by: megabyte) {
        check(write(fd, source.baseAddress! + offset, megabyte), "write")
    }
    close(fd)
}

struct WriteTiming { var total = 0.0, write = 0.0, commit = 0.0 }

/// stage → write → commit (hash + fsync + manifest + rename + fsync folder).
func durableWrite(key: String) throws -> WriteTiming {
    let start = now()
    let staged = try store.stage()
    writeSource(to: staged.appendingPathComponent("tensors.safetensors"))
    let written = now()
    try store.commit(key: key, staged: staged, step: "bench", experiment: "bench")
    let end = now()
    return WriteTiming(total: end - start, write: written - start, commit: end - written)
}

/// `dd if=/dev/zero of=FILE bs=1M count=100 conv=fsync`: wall time, and dd's own rate.
func ddWrite(_ url: URL) throws -> (seconds: Double, own: Double, reported: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/dd")
    process.arguments = ["if=/dev/zero", "of=\(url.path)", "bs=1M", "count=100", "conv=fsync"]
    let errors = Pipe()
    process.standardError = errors
    let start = now()
    try process.run()
    process.waitUntilExit()
    let seconds = now() - start
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    // "104857600 bytes (105 MB, 100 MiB) copied, 0.0497 s, 2.1 GB/s"
    let fields = (text.split(separator: "\n").last ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    let own = fields.count >= 2 ? Double(fields[fields.count - 2].dropLast(2)) : nil
    return (seconds, own ?? seconds, fields.last ?? "?")
}

/// Drops a file's pages from the page cache (they are clean after fsync), for a cold read.
func evictFromPageCache(_ url: URL) {
    let fd = open(url.path, O_RDONLY)
    _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
    close(fd)
}

/// mmaps the file and reads one byte per 4 KiB page (`touch`) or compares it all with
/// the source (`memcmp`).
func mmapRead(_ url: URL, compare: Bool) -> Double {
    let start = now()
    let fd = open(url.path, O_RDONLY)
    check(Int(fd), "open \(url.path)")
    let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)!
    precondition(mapped != MAP_FAILED)
    if compare {
        precondition(memcmp(mapped, source.baseAddress!, size) == 0, "read back differs")
    } else {
        let bytes = mapped.assumingMemoryBound(to: UInt8.self)
        var sum = 0
        for offset in stride(from: 0, to: size, by: 4096) { sum &+= Int(bytes[offset]) }
        precondition(sum != -1)
    }
    munmap(mapped, size)
    close(fd)
    return now() - start
}

func hashFile(_ url: URL, chunk: Int) -> Double {
    let start = now()
    let fd = open(url.path, O_RDONLY)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
    var hasher = SHA256()
    while true {
        let count = read(fd, buffer.baseAddress, chunk)
        if count <= 0 { break }
        hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }
    _ = hasher.finalize()
    buffer.deallocate()
    close(fd)
    return now() - start
}

print("CacheBench: \(size / megabyte) MiB, \(rounds) rounds, medians; folder \(folder.path)")
print(String(repeating: "-", count: 72))

// Durable write vs dd, interleaved so both see the same disk weather.
var ours: [WriteTiming] = [], dd: [Double] = [], ddOwn: [Double] = [], ddReported: [String] = []
for round in 0..<rounds {
    let key = String(format: "%064x", round + 1)
    ours.append(try durableWrite(key: key))
    let ddFile = folder.appendingPathComponent("dd-\(round)")
    let result = try ddWrite(ddFile)
    dd.append(result.seconds)
    ddOwn.append(result.own)
    ddReported.append(result.reported)
    try FileManager.default.removeItem(at: ddFile)
    if round < rounds - 1 { try store.remove(key: key) }
}
let oursTotal = median(ours.map(\.total)), ddTime = median(dd)
print(String(format: "durable write (stage+write+commit): %7.1f MB/s  (write %.0f ms, commit %.0f ms)",
             mbps(oursTotal), median(ours.map(\.write)) * 1000, median(ours.map(\.commit)) * 1000))
print(String(format: "dd bs=1M count=100 conv=fsync:      %7.1f MB/s  wall (dd says: %@)",
             mbps(ddTime), ddReported.joined(separator: ", ")))
print(String(format: "dd's own timing (no process start):%7.1f MB/s", mbps(median(ddOwn))))
print(String(format: "ratio ours/dd: %3.0f %% of dd's wall time, %3.0f %% of dd's own timing (target >= 80 %%)",
             100 * ddTime / oursTotal, 100 * median(ddOwn) / oursTotal))
print(String(repeating: "-", count: 72))

// Read back the last committed entry.
let key = String(format: "%064x", rounds)
let file = store.entryURL(key).appendingPathComponent("tensors.safetensors")
for cold in [false, true] {
    var plain: [Double] = [], compared: [Double] = [], verified: [Double] = []
    for _ in 0..<rounds {
        if cold { evictFromPageCache(file) }
        plain.append(mmapRead(file, compare: false))
        if cold { evictFromPageCache(file) }
        compared.append(mmapRead(file, compare: true))
        if cold { evictFromPageCache(file) }
        let start = now()
        guard case .hit = store.lookup(key: key, verify: true) else { fatalError("bench entry failed verification") }
        _ = mmapRead(file, compare: false)
        verified.append(now() - start)
    }
    let label = cold ? "cold (page cache dropped)" : "hot (in page cache)"
    print("mmap read, \(label):")
    print(String(format: "  touch 1 byte / 4 KiB:               %6.2f GB/s", gbps(median(plain))))
    print(String(format: "  memcmp against source:              %6.2f GB/s", gbps(median(compared))))
    print(String(format: "  lookup(verify: true) + touch:       %6.2f GB/s  (target >= 2 GB/s unverified)", gbps(median(verified))))
}
print(String(repeating: "-", count: 72))

// SHA-256 throughput over a hot file, per read chunk size.
for chunk in [1, 2, 4].map({ $0 * megabyte }) {
    print(String(format: "sha256, %d MiB chunks (hot file):     %6.2f GB/s", chunk / megabyte,
                 gbps(median((0..<rounds).map { _ in hashFile(file, chunk: chunk) }))))
}
let viaFileIO = median((0..<rounds).map { _ in let start = now(); _ = try! FileIO.sha256(of: file); return now() - start })
print(String(format: "FileIO.sha256 (%d MiB chunks):        %6.2f GB/s", FileIO.hashChunkSize / megabyte, gbps(viaFileIO)))
let inMemory = median((0..<rounds).map { _ in
    let start = now(); _ = SHA256.hash(data: UnsafeRawBufferPointer(source)); return now() - start
})
print(String(format: "sha256 in memory (no read):           %6.2f GB/s", gbps(inMemory)))

try? FileManager.default.removeItem(at: folder)
