import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import Torch

/// c10d collectives through Lab's shim, on 127.0.0.1: with a Python `torch.distributed` rank
/// in the same group (scripts/c10d-peer.py), between two Lab ranks, and a rank that never
/// comes failing within the timeout. Values are small integers, exact in float32.
@Suite(.serialized) struct ProcessGroupTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A port the system says is free now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The collectives of scripts/c10d-peer.py, in its order, as rank `rank`.
    static func collectives(_ group: ProcessGroup) throws -> [String: [Float]] {
        let r = Float(group.rank)
        let a = Tensor([1, 2, 3] as [Float]) * Double(r + 1), b = Tensor.full([2, 2], Double(r))
        try group.allReduce([a, b])
        let m = Tensor([r, -r])
        try group.allReduce([m], .max)
        let c = group.rank == 0 ? Tensor([0.5, 1.5, 2.5, 3.5] as [Float]) : Tensor.zeros([4])
        try group.broadcast([c], from: 0)
        let gathered = try group.allGather(Tensor([r, r * 10]))
        try group.barrier()
        return ["sum_a": a.asArray(Float.self), "sum_b": b.flatten().asArray(Float.self), "max": m.asArray(Float.self),
                "broadcast": c.asArray(Float.self), "gathered": gathered.flatMap { $0.asArray(Float.self) }]
    }

    static let expected: [String: [Float]] = [
        "sum_a": [3, 6, 9], "sum_b": [1, 1, 1, 1], "max": [1, 0], "broadcast": [0.5, 1.5, 2.5, 3.5], "gathered": [0, 0, 1, 10],
    ]

    @Test func aPythonRankJoinsLabsGroup() throws {
        let port = Self.freePort()
        let peer = Process()
        peer.executableURL = Self.packageRoot.appendingPathComponent(".venv/bin/python")
        peer.arguments = [Self.packageRoot.appendingPathComponent("scripts/c10d-peer.py").path, "--port", String(port), "--rank", "1", "--world", "2"]
        let pipe = Pipe()
        peer.standardOutput = pipe
        peer.standardError = pipe
        try peer.run()
        defer { if peer.isRunning { peer.terminate() } }
        let group = try ProcessGroup(port: port, rank: 0, worldSize: 2, timeout: .seconds(60))
        let mine = try Self.collectives(group)
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        peer.waitUntilExit()
        #expect(peer.terminationStatus == 0, "\(output)")
        #expect(mine == Self.expected)
        let theirs = try #require(output.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: [Double]] },
                                  "\(output)")
        #expect(theirs.mapValues { $0.map(Float.init) } == Self.expected, "the Python rank's results: \(output)")
    }

    @Test func twoLabRanksAgree() throws {
        let port = Self.freePort()
        nonisolated(unsafe) var other: [String: [Float]] = [:]
        let rank1 = OtherThread { other = try Self.collectives(try ProcessGroup(port: port, rank: 1, worldSize: 2, timeout: .seconds(60))) }
        let mine = try Self.collectives(try ProcessGroup(port: port, rank: 0, worldSize: 2, timeout: .seconds(60)))
        try rank1.wait()
        #expect(mine == Self.expected)
        #expect(other == Self.expected)
    }

    static func model(seed: UInt64) -> Sequential {
        manualSeed(seed)
        return Sequential(Linear(4, 8), ReLU(), Linear(8, 2))
    }

    /// Data parallelism's contract: two ranks, each with half of every batch, broadcast from
    /// rank 0 and averaged gradients, end with the parameters one process gets on the whole
    /// batch, for SGD with momentum and for AdamW (5 steps; within 1e-5).
    @Test(arguments: ["sgd", "adamw"]) func twoRanksOnHalfBatchesMatchOneOnTheWhole(_ optimizer: String) throws {
        manualSeed(3)
        let x = Tensor.randn([8, 4]), y = Tensor.randn([8, 2])
        func optimizerFor(_ m: Module) -> any Optimizer {
            optimizer == "sgd" ? SGD(m.parameters(), learningRate: 0.1, momentum: 0.9) : AdamW(m.parameters(), learningRate: 0.01, weightDecay: 0.1)
        }
        func train(_ m: Sequential, _ x: Tensor, _ y: Tensor, group: ProcessGroup?) throws {
            let opt = optimizerFor(m)
            if let group { try group.broadcastState(of: m) }
            for _ in 0..<5 {
                opt.zeroGrad()
                F.mseLoss(m(x), y).backward()
                try group?.averageGradients(m.parameters(), bucketBytes: 64)  // several buckets
                opt.step()
            }
        }
        let single = Self.model(seed: 1)
        try train(single, x, y, group: nil)
        // Rank 1 starts from other weights: the broadcast must replace them.
        let ranks = [Self.model(seed: 1), Self.model(seed: 2)]
        let port = Self.freePort()
        let rank1 = OtherThread { try train(ranks[1], x[4..<8], y[4..<8], group: try ProcessGroup(port: port, rank: 1, worldSize: 2)) }
        try train(ranks[0], x[0..<4], y[0..<4], group: try ProcessGroup(port: port, rank: 0, worldSize: 2))
        try rank1.wait()
        for rank in ranks {
            for (a, b) in zip(rank.parameters(), single.parameters()) {
                let difference = (a - b).abs().max().item(Double.self)
                #expect(difference < 1e-5, "\(optimizer): \(difference)")
            }
        }
    }

    /// open_clip's global-batch CLIP loss: each of two ranks embeds half of every batch,
    /// gathers both halves of both modalities with their gradients, and takes the symmetric
    /// InfoNCE loss over all 8 pairs (7 negatives each). The loss equals one process's over the
    /// concatenated batch, and after 3 SGD steps with averaged gradients both towers equal
    /// that process's (within 1e-5). Gathering without the gradient of the other ranks' use of
    /// a rank's rows would leave the gradients at half their size, and the test would fail.
    @Test func aGatheredClipLossIsTheWholeBatchLoss() throws {
        manualSeed(5)
        let images = Tensor.randn([8, 4]), texts = Tensor.randn([8, 3])
        func towers() -> Towers { manualSeed(9); return Towers() }
        func clipLoss(_ a: Tensor, _ b: Tensor) -> Tensor {
            let logits = a.matmul(b.T) * 2.0
            let labels = Tensor.arange(a.size(0))
            return (F.crossEntropy(logits, labels) + F.crossEntropy(logits.T, labels)) / 2.0
        }
        func train(_ m: Towers, _ x: Tensor, _ t: Tensor, group: ProcessGroup?) throws -> [Double] {
            let opt = SGD(m.parameters(), learningRate: 0.5)
            var losses: [Double] = []
            for _ in 0..<3 {
                opt.zeroGrad()
                var a = m.image(x), b = m.text(t)
                if let group { a = try group.allGatherWithGradient(a); b = try group.allGatherWithGradient(b) }
                let loss = clipLoss(a, b)
                losses.append(loss.item())
                loss.backward()
                try group?.averageGradients(m.parameters())
                opt.step()
            }
            return losses
        }
        let single = towers()
        let expected = try train(single, images, texts, group: nil)
        let ranks = [towers(), towers()]
        let port = Self.freePort()
        nonisolated(unsafe) var otherLosses: [Double] = []
        let rank1 = OtherThread { otherLosses = try train(ranks[1], images[4..<8], texts[4..<8], group: try ProcessGroup(port: port, rank: 1, worldSize: 2)) }
        let losses = try train(ranks[0], images[0..<4], texts[0..<4], group: try ProcessGroup(port: port, rank: 0, worldSize: 2))
        try rank1.wait()
        for (got, want) in zip(losses + otherLosses, expected + expected) { #expect(abs(got - want) < 1e-6, "loss \(got) against \(want)") }
        for rank in ranks {
            for (a, b) in zip(rank.parameters(), single.parameters()) {
                let difference = (a - b).abs().max().item(Double.self)
                #expect(difference < 1e-5, "\(difference)")
            }
        }
    }

    @Test func aMissingRankFailsWithinTheTimeout() throws {
        let start = Date()
        #expect(throws: TorchError.self) { try ProcessGroup(port: Self.freePort(), rank: 0, worldSize: 2, timeout: .seconds(2)) }
        #expect(Date().timeIntervalSince(start) < 30)
        #expect(throws: TorchError.self) { try ProcessGroup(port: Self.freePort(), rank: 2, worldSize: 2) }
    }
}

/// An image tower and a text tower, for the global-batch CLIP loss.
final class Towers: Module {
    let image = Linear(4, 6)
    let text = Linear(3, 6)
}

/// Runs `body` on a thread of its own (a second rank in this process); `wait` rethrows its error.
final class OtherThread: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var failure: (any Error)?

    init(_ body: @escaping () throws -> Void) {
        nonisolated(unsafe) let body = body
        Thread { [self] in
            do { try body() } catch { failure = error }
            done.signal()
        }.start()
    }

    func wait() throws {
        done.wait()
        if let failure { throw failure }
    }
}
