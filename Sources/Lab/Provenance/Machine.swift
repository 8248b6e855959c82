import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The machine a run ran on: enough to tell whether two timings are comparable.
package struct MachineInfo: Codable, Sendable, Equatable {
    /// The operating system and kernel, e.g. `"Debian GNU/Linux 12 (bookworm), Linux 6.1.0-18-amd64"`:
    /// `PRETTY_NAME` from `/etc/os-release` (on macOS, Foundation's version string), then
    /// the kernel name and release from `uname`.
    package var os: String
    /// The CPU's marketing name (`model name` in `/proc/cpuinfo`); `"unknown"` when not reported.
    package var cpuModel: String
    /// The number of logical cores (hardware threads) the system has.
    package var logicalCores: Int
    /// Physical memory in bytes (`MemTotal` in `/proc/meminfo`).
    package var memoryBytes: Int
    /// The machine's host name.
    package var hostname: String
    /// The version of the Swift compiler that built this code, e.g. `"6.3"`.
    package var swiftVersion: String

    /// Creates a record from its parts; ``current()`` describes the running machine.
    package init(
        os: String, cpuModel: String, logicalCores: Int, memoryBytes: Int,
        hostname: String, swiftVersion: String
    ) {
        self.os = os
        self.cpuModel = cpuModel
        self.logicalCores = logicalCores
        self.memoryBytes = memoryBytes
        self.hostname = hostname
        self.swiftVersion = swiftVersion
    }

    /// Describes the machine this process runs on. Never fails: a value that cannot be
    /// read is `"unknown"` (or Foundation's figure, for cores and memory).
    package static func current() -> MachineInfo {
        MachineInfo(
            os: operatingSystem(),
            cpuModel: cpuModelName() ?? "unknown",
            logicalCores: max(1, ProcessInfo.processInfo.processorCount),
            memoryBytes: physicalMemory(),
            hostname: hostName,
            swiftVersion: compilerVersion)
    }
}

extension MachineInfo {
    /// The compiler that built this file, as `major.minor`.
    static var compilerVersion: String {
        #if compiler(>=7.0)
        return "7.0 or later"
        #elseif compiler(>=6.5)
        return "6.5"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }

    private static func operatingSystem() -> String {
        var name: String?
        #if os(Linux)
        name = osReleasePrettyName()
        #else
        name = ProcessInfo.processInfo.operatingSystemVersionString
        #endif
        let kernel = kernelRelease()
        switch (name, kernel) {
        case let (name?, kernel?): return "\(name), \(kernel)"
        case let (name?, nil): return name
        case let (nil, kernel?): return kernel
        case (nil, nil): return "unknown"
        }
    }

    /// `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"` → `Debian GNU/Linux 12 (bookworm)`.
    private static func osReleasePrettyName() -> String? {
        for path in ["/etc/os-release", "/usr/lib/os-release"] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
                var value = line.dropFirst("PRETTY_NAME=".count)
                if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
                    value = value.dropFirst().dropLast()
                }
                if !value.isEmpty { return String(value) }
            }
        }
        return nil
    }

    /// `uname -sr`, e.g. `Linux 6.1.0-18-amd64`.
    private static func kernelRelease() -> String? {
        var info = utsname()
        guard uname(&info) == 0 else { return nil }
        let sysname = withUnsafeBytes(of: info.sysname) { cString($0) }
        let release = withUnsafeBytes(of: info.release) { cString($0) }
        let text = [sysname, release].filter { !$0.isEmpty }.joined(separator: " ")
        return text.isEmpty ? nil : text
    }

    private static func cpuModelName() -> String? {
        #if os(Linux)
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        return procValue(in: text, key: "model name")
        #else
        var size = 0
        guard sysctlbyname("machdep.cpu.brand_string", nil, &size, nil, 0) == 0, size > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: size)
        guard sysctlbyname("machdep.cpu.brand_string", &buffer, &size, nil, 0) == 0 else { return nil }
        let name = buffer.withUnsafeBytes { cString($0) }
        return name.isEmpty ? nil : name
        #endif
    }

    private static func physicalMemory() -> Int {
        #if os(Linux)
        // "MemTotal:       16310592 kB"
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let value = procValue(in: text, key: "MemTotal"),
           let kilobytes = Int(value.split(separator: " ").first ?? "") {
            return kilobytes * 1024
        }
        #endif
        return Int(clamping: ProcessInfo.processInfo.physicalMemory)
    }

    /// This machine's host name, from `gethostname` (`"unknown"` when it fails or is empty).
    ///
    /// Invariant: the one source of the host name. A run records it when it starts and the
    /// store compares it when deciding whether a `running` run's process is gone; two sources
    /// that disagree (Foundation's `hostName` may be a DNS name) would leave a killed run
    /// `running` for ever.
    package static var hostName: String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let status = buffer.withUnsafeMutableBufferPointer { pointer in
            pointer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: pointer.count) {
                gethostname($0, pointer.count - 1)
            }
        }
        guard status == 0 else { return "unknown" }
        let name = buffer.withUnsafeBytes { cString($0) }
        return name.isEmpty ? "unknown" : name
    }

    /// The value of the first `key : value` line of a `/proc` file, trimmed.
    private static func procValue(in text: String, key: String) -> String? {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2,
                  parts[0].trimmingCharacters(in: .whitespaces) == key else { continue }
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            if !value.isEmpty { return value }
        }
        return nil
    }

    /// The bytes up to the first NUL, as UTF-8.
    private static func cString(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
