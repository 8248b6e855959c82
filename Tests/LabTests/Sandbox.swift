import Foundation
import Testing
import Lab

/// A temporary project with a git repository, where tests write experiment files and run
/// the real `lab` command built by `swift build`.
final class Sandbox {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let lab = packageRoot.appendingPathComponent(".build/debug/lab").path

    let root: URL

    init(git: Bool = true) throws {
        root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("lab-sandbox-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        if git {
            try shell("git", "init", "-q", "-b", "main")
            try shell("git", "config", "user.email", "test@example.invalid")
            try shell("git", "config", "user.name", "Lab Tests")
        }
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func write(_ name: String, _ text: String) throws {
        try text.write(to: root.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func read(_ name: String) throws -> String { try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8) }

    func edit(_ name: String, replacing old: String, with new: String) throws {
        let text = try read(name)
        #expect(text.contains(old), "the edit must change something: '\(old)' not found")
        try write(name, text.replacingOccurrences(of: old, with: new))
    }

    func commitAll(_ message: String = "commit") throws {
        try shell("git", "add", "-A")
        try shell("git", "commit", "-q", "-m", message)
    }

    struct Result {
        let status: Int32
        let output: String
        /// Steps that ran this time (a "✓ name  N s" line), and those taken from the cache.
        var ran: [String] { lines(matching: { !$0.hasSuffix("cached") }) }
        var cached: [String] { lines(matching: { $0.hasSuffix("cached") }) }
        private func lines(matching predicate: (String) -> Bool) -> [String] {
            output.split(separator: "\n").map(String.init)
                .filter { $0.hasPrefix("  ✓ ") && predicate($0) }
                .map { String($0.dropFirst(4).split(separator: " ").first ?? "") }
        }
        var runId: String? {
            output.split(separator: "\n").first { $0.hasPrefix("run ") }.map { String($0.split(separator: " ")[1]) }
        }
    }

    /// Runs `lab ARGS` in the sandbox and waits for it.
    @discardableResult
    func lab(_ arguments: String..., environment: [String: String] = [:]) throws -> Result {
        try run(Sandbox.lab, arguments, environment: environment)
    }

    /// How long one command of a test may run before it is killed and the test fails.
    /// Nothing in the suite comes near it; it turns a hang into a failure that names the
    /// command, inside CI's time.
    static let commandTimeout: TimeInterval = 600

    /// Runs `executable ARGS` from the sandbox's root, or from `folder`, and waits: at most
    /// `timeout` seconds, after which the command is killed, the test fails naming it, and
    /// the status is 124 (as timeout(1) reports).
    func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], in folder: URL? = nil,
             timeout: TimeInterval = Sandbox.commandTimeout) throws -> Result {
        let process = try start(executable, arguments, environment: environment, in: folder)
        let output = OutputReader(process.1.fileHandleForReading)
        let command = ([executable] + arguments).joined(separator: " ")
        let status = Sandbox.wait(process.0, timeout: timeout, command: command)
        // The pipe ends when the command and everything it started have closed it; a daemon it
        // left holding the pipe would keep it open, so wait only a while for the rest.
        guard let text = output.text(waiting: 30) else {
            Issue.record("`\(command)` ended, but something it started still holds its output open (a daemon should write to /dev/null)")
            return Result(status: status, output: output.partial)
        }
        return Result(status: status, output: text)
    }

    /// Waits for a started process to end: its exit status, or the signal that ended it (as
    /// `Process.terminationStatus` reports). The kernel is asked (ChildExit), since
    /// Foundation's `waitUntilExit` can miss a child's end. After `timeout` seconds the process
    /// is killed, the test fails naming `command`, and the status is 124.
    static func wait(_ process: Process, timeout: TimeInterval = commandTimeout, command: String? = nil) -> Int32 {
        if let exit = ChildExit.wait(for: process, timeout: timeout) {
            if case .signaled(let signal) = exit { return signal }
            return exit.status
        }
        kill(process.processIdentifier, SIGKILL)
        ChildExit.wait(for: process, timeout: 10)
        Issue.record("`\(command ?? process.executableURL?.path ?? "a command")` did not end within \(Int(timeout)) s and was killed")
        return 124
    }

    /// Starts `lab ARGS` without waiting: (process, pipe of its merged output).
    func start(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
               in folder: URL? = nil) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = folder ?? root
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env.removeValue(forKey: "LAB_ROOT")
        env.removeValue(forKey: "LAB_FINGERPRINT")
        // The sandbox is outside the project, so the pretrained models scripts/install-deps put
        // in the project's .venv/models are named, as a user outside the project would.
        if env["LAB_MODELS"] == nil { env["LAB_MODELS"] = Sandbox.packageRoot.appendingPathComponent(".venv/models").path }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        return (process, pipe)
    }

    @discardableResult
    func shell(_ arguments: String...) throws -> String {
        let result = try run("/usr/bin/env", arguments)
        if result.status != 0 { throw SandboxError.command(arguments.joined(separator: " "), result.output) }
        return result.output
    }

    enum SandboxError: Error { case command(String, String) }
}

/// Reads a pipe to its end on a thread of its own, so a caller can stop waiting for it.
final class OutputReader: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { data.append(chunk) }
            }
            done.signal()
        }
    }

    /// Everything read so far.
    var partial: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

    /// The whole output once the pipe has ended, or nil if it has not within `seconds`.
    func text(waiting seconds: TimeInterval) -> String? {
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        done.signal()
        return partial
    }
}

extension Sandbox {
    /// A sandbox whose `experiments/three.swift` (`text`) is committed, run, and whose report
    /// is committed: the starting point of `lab status` and `lab pr-report` tests.
    static func withCommittedReport(_ text: String = threeSteps, at file: String = "experiments/three.swift") throws -> Sandbox {
        let box = try Sandbox()
        try FileManager.default.createDirectory(at: box.root.appendingPathComponent("experiments"), withIntermediateDirectories: true)
        try box.write(file, text)
        try box.commitAll("three: the experiment")
        let run = try box.lab("run", file)
        #expect(run.status == 0, "\(run.output)")
        try box.commitAll("three: report")
        return box
    }
}

/// A small experiment with three steps whose bodies are cheap, for cache tests.
let threeSteps = """
import Lab

//: # Three steps
//: Prose that tests edit.

struct Config: ExperimentConfig {
    var size = 8
    var learningRate = 0.1
    var epochs = 3
}

struct Numbers: Codable { var x: Tensor; var label: String }
struct Fit: Codable { var loss: Double }

let experiment = Experiment("three", config: Config()) { lab in
    //: ## Data
    let data = lab.data("data") { ctx in
        Numbers(x: Tensor.arange(0, Double(ctx.config.size), dtype: .float32), label: "n")
    }
    //: ## Training
    let fit = lab.step("fit", data, kind: .train) { ctx, data in
        // a comment inside the step
        var w = 0.0
        for epoch in 0..<ctx.config.epochs {
            w += ctx.config.learningRate * data.x.mean().item()
            ctx.log("w", w, step: epoch)
        }
        return Fit(loss: w)
    }
    //: ## Evaluation
    lab.eval("report", fit) { ctx, fit in
        ctx.metric("loss", fit.loss)
    }
}

Lab.main(experiment)
"""
