import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// A training step written once for any number of ranks: the loader is `ctx.shard`ed, the
/// logged loss is `ctx.mean`ed over the ranks, and the loop checkpoints every epoch. Rank 1
/// can be made to fail (`DDP_TEST_FAIL`) or to stop after an epoch and write its pid
/// (`DDP_TEST_STOP_AFTER`, `DDP_TEST_PID_FILE`), where a test kills it. The variables are
/// read outside the config, so the step's key stays the same.
let dataParallelExperiment = """
import Foundation
import Lab

struct Config: ExperimentConfig {
    var epochs = 4
    var batchSize = 32
}

let environment = ProcessInfo.processInfo.environment
let stopAfter = Int(environment["DDP_TEST_STOP_AFTER"] ?? "") ?? -1
let failOnRank1 = environment["DDP_TEST_FAIL"] != nil

struct Points: Codable { var x: Tensor; var y: Tensor }
struct Summary: Codable { var loss: Double; var ranks: Int; var samples: Int }

func weightSum(_ m: Module) -> Double {
    var s = 0.0
    for (_, v) in m.stateDict().sorted(by: { $0.key < $1.key }) { s += v.to(.float64).abs().sum().item() }
    return s
}

let experiment = Experiment("ddp", config: Config()) { lab in
    let data = lab.data("points") { ctx in
        let x = Tensor.randn([256, 8])
        return Points(x: x, y: (x.sum(dim: 1) .> 0.0).to(.int64))
    }
    let fit = lab.train("fit", data, model: { _ in Sequential(Linear(8, 16), ReLU(), Linear(16, 2)) }) { ctx, model, data in
        let optimizer = AdamW(model.trainableParameters(), learningRate: 1e-2)
        let loader = try ctx.shard(DataLoader(tensors: [data.x, data.y], batchSize: ctx.config.batchSize, seed: ctx.seed))
        var loss = 0.0, samples = 0
        for epoch in try ctx.epochs(ctx.config.epochs, checkpointing: model, optimizer, state: &loss, &samples) {
            for batch in loader.epoch(epoch) {
                let l = F.crossEntropy(model(batch[0]), batch[1])
                optimizer.zeroGrad(); l.backward(); optimizer.step()
                loss = try ctx.mean(l.item())
                samples += batch[0].size(0)
            }
            if failOnRank1 && ctx.rank == 1 { throw LabError.badArguments("rank 1 gave up in epoch \\(epoch)") }
            ctx.log("loss", loss, step: epoch)
            try ctx.finished(epoch: epoch, state: loss, samples)
            print("rank \\(ctx.rank) epoch \\(epoch) done")
            fflush(stdout)
            if epoch == stopAfter && ctx.rank == 1, let file = environment["DDP_TEST_PID_FILE"] {
                try "\\(getpid())".write(toFile: file, atomically: true, encoding: .utf8)
                Thread.sleep(forTimeInterval: 120)
            }
        }
        return Summary(loss: loss, ranks: ctx.worldSize, samples: samples)
    }
    lab.eval("final", fit) { ctx, fit in
        ctx.metric("loss", fit.result.loss)
        ctx.metric("ranks", Double(fit.result.ranks))
        ctx.metric("samples", Double(fit.result.samples))
        ctx.metric("wsum", weightSum(fit.model))
        print("exact wsum=\\(weightSum(fit.model)) loss=\\(fit.result.loss)")
    }
}

Lab.main(experiment)
"""

@Suite(.serialized) struct DataParallelTests {
    static func metrics(_ result: Sandbox.Result) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in result.output.split(separator: "\n") where line.hasPrefix("  final/") {
            let parts = line.dropFirst(8).split(separator: " ", omittingEmptySubsequences: true)
            if parts.count == 2 { out[String(parts[0])] = Double(parts[1]) }
        }
        return out
    }

    /// The weight sum and loss at full precision, as the eval step prints them.
    static func exact(_ result: Sandbox.Result) -> (wsum: Double, loss: Double)? {
        guard let line = result.output.split(separator: "\n").first(where: { $0.hasPrefix("exact wsum=") }) else { return nil }
        let fields = line.dropFirst(6).split(separator: " ").map { $0.split(separator: "=") }
        guard fields.count == 2, let w = Double(fields[0][1]), let l = Double(fields[1][1]) else { return nil }
        return (w, l)
    }

    static func sandbox() throws -> Sandbox {
        let box = try Sandbox()
        try box.write("ddp.swift", dataParallelExperiment)
        try box.commitAll("ddp")
        return box
    }

    /// The same file with one process and with two ranks: the ranks see half of every batch
    /// each, and end with the weights and loss of one process (the printed metrics have six
    /// significant digits; the weight sum agrees to 1e-5 relative). Only rank 0 records: one
    /// run per `lab run`, and rank 1's output goes to its log.
    @Test func twoRanksTrainAsOneProcess() throws {
        let box = try Self.sandbox()
        let one = try box.lab("run", "ddp.swift")
        #expect(one.status == 0, "\(one.output)")
        let two = try box.lab("run", "ddp.swift", "--nproc", "2", "--no-cache")
        #expect(two.status == 0, "\(two.output)")
        #expect(two.output.contains("2 ranks"), "\(two.output)")
        let a = Self.metrics(one), b = Self.metrics(two)
        #expect(a["ranks"] == 1 && b["ranks"] == 2)
        #expect(a["samples"] == 1024 && b["samples"] == 512, "each rank sees half of every epoch: \(a) \(b)")
        let ea = try #require(Self.exact(one)), eb = try #require(Self.exact(two))
        #expect(abs(ea.wsum - eb.wsum) / ea.wsum < 1e-5, "weight sums \(ea.wsum) and \(eb.wsum)")
        #expect(abs(ea.loss - eb.loss) < 1e-5, "losses \(ea.loss) and \(eb.loss)")
        let ls = try box.lab("ls")
        #expect(ls.output.components(separatedBy: "ddp").count - 1 == 2, "one recorded run per lab run: \(ls.output)")
        let logs = try FileManager.default.subpathsOfDirectory(atPath: box.root.appendingPathComponent(".lab/ranks").path)
        let log = try #require(logs.first { $0.hasSuffix("rank-1.log") })
        let text = try box.read(".lab/ranks/" + log)
        #expect(text.contains("rank 1 of 2") && text.contains("rank 1 epoch 3 done"), "\(text)")
    }

    /// Two machines' worth of `lab run`, each with one rank, meeting at `--master`: the
    /// result is the one-machine two-rank run's, and only machine 0 records a run.
    @Test func twoMachinesMeetAtTheMaster() throws {
        let box = try Self.sandbox()
        let port = try Self.freePort()
        let machine1 = try box.start(Sandbox.lab, ["run", "ddp.swift", "--nnodes", "2", "--node-rank", "1", "--master", "127.0.0.1:\(port)"])
        let machine0 = try box.lab("run", "ddp.swift", "--nnodes", "2", "--node-rank", "0", "--master", "127.0.0.1:\(port)")
        let output1 = String(decoding: machine1.1.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let status1 = Sandbox.wait(machine1.0)
        #expect(machine0.status == 0, "\(machine0.output)")
        #expect(status1 == 0, "\(output1)")
        #expect(machine0.output.contains("2 ranks (1 on this machine, machine 0 of 2)"), "\(machine0.output)")
        let local = try box.lab("run", "ddp.swift", "--nproc", "2", "--no-cache")
        let a = try #require(Self.exact(machine0)), b = try #require(Self.exact(local))
        // Each launcher here gives its rank both cores, the one-machine run one each: thread counts may move the last bits.
        #expect(abs(a.wsum - b.wsum) / b.wsum < 1e-6 && abs(a.loss - b.loss) < 1e-6, "\(a) \(b)")
        let ls = try box.lab("ls")
        #expect(ls.output.components(separatedBy: "ddp").count - 1 == 2, "machine 1 records nothing: \(ls.output)")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A rank that fails in a step fails the run with that rank's message, recorded in the
    /// run; a batch the ranks cannot split evenly is refused with what to do.
    @Test func aFailingRankFailsTheRunWithItsMessage() throws {
        let box = try Self.sandbox()
        let failed = try box.lab("run", "ddp.swift", "--nproc", "2", environment: ["DDP_TEST_FAIL": "1"])
        #expect(failed.status == 1, "\(failed.output)")
        #expect(failed.output.contains("rank 1 failed in step 'fit' at ddp.swift:"), "\(failed.output)")
        #expect(failed.output.contains("rank 1 gave up in epoch 0"), "\(failed.output)")
        let id = try #require(failed.runId)
        let show = try box.lab("show", id)
        #expect(show.output.contains("failed") && show.output.contains("rank 1 gave up in epoch 0"), "\(show.output)")

        let uneven = try box.lab("run", "ddp.swift", "--nproc", "3")
        #expect(uneven.status == 1, "\(uneven.output)")
        #expect(uneven.output.contains("a batch of 32 cannot be split evenly over 3 ranks"), "\(uneven.output)")
        let bad = try box.lab("run", "ddp.swift", "--nnodes", "2")
        #expect(bad.status != 0 && bad.output.contains("--nnodes 2 needs --master HOST:PORT"), "\(bad.output)")
    }

    /// SIGKILL of rank 1 after epoch 1's checkpoint: `lab run` stops rank 0, exits 1 naming
    /// the rank and the signal, and records the run failed. The next run resumes after epoch 1
    /// on both ranks and ends with the weights of an uninterrupted two-rank run.
    @Test func aKilledRankFailsTheRunAndTheNextResumes() throws {
        let box = try Self.sandbox()
        let pidFile = box.root.appendingPathComponent("rank1.pid").path
        let (process, pipe) = try box.start(Sandbox.lab, ["run", "ddp.swift", "--nproc", "2"],
                                            environment: ["DDP_TEST_STOP_AFTER": "1", "DDP_TEST_PID_FILE": pidFile])
        let deadline = Date().addingTimeInterval(180)
        var pid: Int32?
        while pid == nil && Date() < deadline && process.isRunning {
            pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { Int32($0) }
            usleep(50_000)
        }
        let rank1 = try #require(pid, "rank 1 never reached the end of epoch 1")
        kill(rank1, SIGKILL)
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(Sandbox.wait(process) == 1, "\(output)")
        #expect(output.contains("rank 1 (pid \(rank1)) was killed by signal 9 (SIGKILL)"), "\(output)")
        let id = try #require(Sandbox.Result(status: 0, output: output).runId)
        let show = try box.lab("show", id)
        #expect(show.output.contains("failed") && show.output.contains("killed by signal 9"), "\(show.output)")

        let resumed = try box.lab("run", "ddp.swift", "--nproc", "2")
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("resuming after epoch"), "\(resumed.output)")
        let fresh = try box.lab("run", "ddp.swift", "--nproc", "2", "--no-cache")
        #expect(fresh.status == 0, "\(fresh.output)")
        let wr = try #require(Self.exact(resumed)).wsum, wf = try #require(Self.exact(fresh)).wsum
        #expect(abs(wr - wf) / wf < 1e-6, "resumed \(wr), uninterrupted \(wf)")
        #expect(Self.metrics(resumed)["samples"] == 512)
    }
}
