import Foundation
import Testing

/// The errs.swift experiment of the reliability campaign (appendix C), with a `tag` only the
/// last step reads, so a re-run with another tag loads `work`'s output from the cache.
let errsExperiment = """
import Foundation
import Lab

struct Failure: Error, CustomStringConvertible { var description: String { "the step failed on purpose <b>bold</b>" } }
struct Config: ExperimentConfig { var mode = "ok"; var tag = 0 }
let experiment = Experiment("errs", config: Config()) { lab in
    let data = lab.data("data") { ctx -> [Double] in [1, 2, 3] }
    let work = lab.step("work", data) { ctx, x -> Double in
        var loss = 0.0
        switch ctx.config.mode {
        case "throw": throw Failure()
        case "nan-check": for i in 0..<5 { loss = i == 3 ? .nan : 1.0 / Double(i + 1); try ctx.check("loss", loss, iteration: i); ctx.log("loss", loss, step: i) }
        case "nan-nocheck": for i in 0..<5 { loss = i >= 3 ? .nan : 1.0 / Double(i + 1); ctx.log("loss", loss, step: i) }
        case "nan-log-only": for i in 0..<5 { ctx.log("loss", i >= 3 ? .nan : 1.0, step: i) }; loss = 1.0
        case "nan-metric-only": ctx.metric("nanmetric", .nan); loss = 2.0
        case "inf-metric": loss = .infinity
        case "torch": loss = Tensor.randn([2, 3]).matmul(Tensor.randn([4, 5])).sum().item()
        case "fatal": fatalError("boom from the step")
        case "index": let a = [1.0]; loss = a[Int(x[0]) + 4]
        default: loss = x.reduce(0, +)
        }
        ctx.metric("loss", loss)
        return loss
    }
    lab.eval("report", work) { ctx, v in ctx.metric("value", v); ctx.metric("tag", Double(ctx.config.tag)); return v }
}

Lab.main(experiment)
"""

/// A step that fills the disk holding `.lab/` (a small tmpfs in the test), then returns.
let fillExperiment = """
import Foundation
import Lab

struct Config: ExperimentConfig { var n = 1 }
let experiment = Experiment("fill", config: Config()) { lab in
    lab.step("fill") { ctx -> Int in
        let path = ProcessInfo.processInfo.environment["LAB_ROOT"]! + "/.lab/filler"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        for size in [65_536, 4_096, 1] {
            let chunk = [UInt8](repeating: 0x5A, count: size)
            while write(fd, chunk, size) == size {}
        }
        close(fd)
        for i in 0..<1_000 { ctx.log("loss", 1.0 / Double(i + 1), step: i) }
        ctx.metric("m", 1)
        return 1
    }
}

Lab.main(experiment)
"""

/// Bad input through the real `lab` command: each gets a clear error, or is recorded as it is.
@Suite(.serialized) struct BadInputTests {
    /// D14: every mode of errs.swift. A NaN or infinity logged, kept as a metric or returned
    /// no longer fails the step: it is recorded as such, cached, and a re-run that loads the
    /// cached output gets the same value back.
    @Test func everyErrsModeEndsAsExpected() throws {
        let box = try Sandbox()
        try box.write("errs.swift", errsExperiment)
        try box.commitAll()
        // mode → (exit status, text in the output)
        let expected: [(String, Int32, String)] = [
            ("ok", 0, "work/loss  6"),
            ("throw", 1, "failed at errs.swift:8: the step failed on purpose <b>bold</b>"),
            ("nan-check", 1, "step 'work': loss became nan at iteration 3"),
            ("nan-nocheck", 0, "work/loss  nan"),
            ("nan-log-only", 0, "work/loss  1"),
            ("nan-metric-only", 0, "work/nanmetric  nan"),
            ("inf-metric", 0, "work/loss  inf"),
            ("torch", 1, "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
            ("fatal", 4, "boom from the step"),        // a trap: SIGILL, the run shown crashed
            ("index", 4, "Index out of range"),
        ]
        for (mode, status, text) in expected {
            let result = try box.lab("run", "errs.swift", "--set", "mode=\(mode)", environment: ["SWIFT_BACKTRACE": "enable=no"])
            #expect(result.status == status, "mode \(mode): \(result.output)")
            #expect(result.output.contains(text), "mode \(mode): \(result.output)")
            #expect(!result.output.contains("EncodingError"), "mode \(mode): \(result.output)")
        }
        for mode in ["nan-nocheck", "nan-log-only", "nan-metric-only", "inf-metric"] {
            // Cached: the step is not computed again, and its non-finite output loads back.
            let again = try box.lab("run", "errs.swift", "--set", "mode=\(mode)", "--set", "tag=1")
            #expect(again.status == 0 && again.cached.contains("work") && again.ran == ["report"], "mode \(mode): \(again.output)")
            let value = mode == "nan-nocheck" ? "nan" : mode == "inf-metric" ? "inf" : mode == "nan-log-only" ? "1" : "2"
            #expect(again.output.contains("report/value  \(value)"), "mode \(mode): \(again.output)")
        }
        // The NaN points of the series are stored and shown as nan.
        let logged = try box.lab("run", "errs.swift", "--set", "mode=nan-log-only")
        let report = try box.read("reports/errs/README.md")
        #expect(!report.contains("**Status:** running"), "\(report)")
        let show = try box.lab("show", logged.runId!, "--json").output
        #expect(show.contains("\"status\" : \"succeeded\""), "\(show)")
    }

    /// D9, D10: a key given twice, or a non-finite value, is refused by name before anything runs.
    @Test func duplicateAndNonFiniteSetsAreRefusedByName() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        try box.commitAll()
        let twice = try box.lab("run", "three.swift", "--set", "size=16", "--set", "size=32")
        #expect(twice.status == 2)
        #expect(twice.output.contains("config key 'size' is set twice: --set size=16 and --set size=32. Give each key once"), "\(twice.output)")
        for value in ["nan", "inf", "-inf"] {
            let result = try box.lab("run", "three.swift", "--set", "learningRate=\(value)")
            #expect(result.status == 2)
            #expect(result.output.contains("config key 'learningRate' (Double) takes finite numbers only; '\(value)' is not finite."), "\(result.output)")
            #expect(!result.output.contains("NSCocoaErrorDomain"), "\(result.output)")
        }
        let listing = try box.lab("ls").output
        #expect(listing.contains("no run store") || listing.contains("no runs"), "nothing ran: \(listing)")
    }

    /// D11, D12: refused before compiling, with what to do.
    @Test func seedOverflowAndNonSwiftFilesAreRefusedUpFront() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        let overflow = try box.lab("run", "three.swift", "--seed", "18446744073709551615", "--seeds", "2")
        #expect(overflow.status == 64)
        #expect(overflow.output.contains("--seed 18446744073709551615 with --seeds 2 needs seeds up to 18446744073709551615 + 1"), "\(overflow.output)")
        #expect(overflow.output.contains("give --seed 18446744073709551614 or less"), "\(overflow.output)")
        #expect(!overflow.output.contains("compiling"), "\(overflow.output)")

        try box.write("notes.md", "# Notes\n")
        let markdown = try box.lab("run", "notes.md")
        #expect(markdown.status == 64)
        #expect(markdown.output.contains("'notes.md' is not a .swift file; experiment files are .swift source files"), "\(markdown.output)")
        try FileManager.default.copyItem(atPath: "/bin/true", toPath: box.root.appendingPathComponent("true.swift").path)
        let binary = try box.lab("build", "true.swift")
        #expect(binary.status == 64)
        #expect(binary.output.contains("'true.swift' is not text (it holds binary data); experiment files are .swift source files"), "\(binary.output)")
        try FileManager.default.createDirectory(at: box.root.appendingPathComponent("adir.swift"), withIntermediateDirectories: true)
        let folder = try box.lab("run", "adir.swift")
        #expect(folder.status == 64 && folder.output.contains("is a folder; experiment files are .swift source files"), "\(folder.output)")
    }

    /// D13: a file that never calls Lab.main exits non-zero and says so.
    @Test func aFileWithoutLabMainFailsAndSaysSo() throws {
        let box = try Sandbox()
        try box.write("plain.swift", "print(\"hello\")\n")
        let plain = try box.lab("run", "plain.swift")
        #expect(plain.status == 2, "\(plain.output)")
        #expect(plain.output.contains("hello"))
        #expect(plain.output.contains("error: plain.swift ended without calling Lab.main(experiment): no experiment ran and nothing was recorded."), "\(plain.output)")
        try box.write("empty.swift", "")
        let empty = try box.lab("run", "empty.swift")
        #expect(empty.status == 2 && empty.output.contains("error: empty.swift ended without calling Lab.main(experiment)"), "\(empty.output)")
    }

    /// D15: no commits yet is not "not in a git repository".
    @Test func aRepositoryWithNoCommitsIsNamedAsSuch() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        let result = try box.lab("run", "three.swift")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("note: a git repository with no commits yet: no commit recorded"), "\(result.output)")
        let show = try box.lab("show", result.runId!).output
        #expect(show.contains("commit      none (a git repository with no commits yet)  branch main"), "\(show)")
        let readme = try box.read("reports/three/README.md")
        #expect(readme.contains("- **Commit:** none: a git repository with no commits yet"), "\(readme)")
        #expect(!readme.contains("not in a git repository"))
    }

    /// D20: a run on a disk that fills up either records how it ended, or says on standard
    /// error that it could not and exits non-zero; never `running`/`crashed` in silence.
    @Test(.enabled(if: SmallDisk.available, "needs `mount -t tmpfs` (root)"))
    func aRunOnAFullDiskRecordsItsEndOrSaysItCouldNot() throws {
        let box = try Sandbox()
        try box.write("fill.swift", fillExperiment)
        try box.commitAll()
        let disk = try SmallDisk(megabytes: 16, at: box.root.appendingPathComponent(".lab"))
        let result = try box.lab("run", "fill.swift")
        let listing = try box.lab("ls", "--json")   // on the full disk: must work
        #expect(listing.status == 0, "\(listing.output)")
        disk.free()
        let runs = try JSONSerialization.jsonObject(with: Data(try box.lab("ls", "--json").output.utf8)) as? [[String: Any]] ?? []
        let status = runs.first?["status"] as? String
        if status == "failed" || status == "succeeded" {
            #expect(result.status == (status == "failed" ? 1 : 0), "\(result.output)")
        } else {
            #expect(result.status != 0, "\(result.output)")
            #expect(result.output.contains("but the store still says it is running"), "\(result.output)")
        }
        #expect(!result.output.contains("move it aside"), "\(result.output)")
    }

    /// D17: from a subfolder, or from outside the repository, the repository's .lab/ and reports/ are used.
    @Test func aRunFromASubfolderUsesTheRepositorysLabFolder() throws {
        let box = try Sandbox()
        try box.write("three.swift", threeSteps)
        try box.commitAll()
        #expect(try box.lab("run", "three.swift").status == 0)
        let sub = box.root.appendingPathComponent("sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let fromSub = try box.run(Sandbox.lab, ["run", "../three.swift"], in: sub)
        #expect(fromSub.status == 0 && fromSub.ran.isEmpty, "every step is a hit: \(fromSub.output)")
        #expect(!FileManager.default.fileExists(atPath: sub.appendingPathComponent(".lab").path))
        #expect(!FileManager.default.fileExists(atPath: sub.appendingPathComponent("reports").path))
        let listed = try box.run(Sandbox.lab, ["ls", "--json"], in: sub)
        #expect((try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [Any])?.count == 2, "\(listed.output)")

        let outside = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("lab-outside-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        let fromOutside = try box.run(Sandbox.lab, ["run", box.root.appendingPathComponent("three.swift").path, "--smoke"], in: outside)
        #expect(fromOutside.status == 0 && !fromOutside.output.contains("no git"), "\(fromOutside.output)")
        #expect(!FileManager.default.fileExists(atPath: outside.appendingPathComponent(".lab").path))
    }
}
