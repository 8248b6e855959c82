import Foundation

/// This process's place in a data-parallel run (`lab run FILE --nproc N`): its rank, the
/// world size and the process group every rank joined.
///
/// `lab run` spawns the ranks and hands each its place through the environment
/// (``environmentKeys``). Rank 0 leads: it looks every step up in the cache, records the run
/// and commits entries; it tells the others, step by step, what to do (``Decision``):
/// a training step that missed runs on every rank (its gradients averaged after each
/// `backward()`); any other step that missed runs on rank 0 alone while the others wait
/// for its outcome and then read its entry from the shared `.lab/`.
package final class Ranks {
    /// This process's rank, `0..<worldSize`.
    package let rank: Int
    /// Its rank among the ranks of its machine.
    package let localRank: Int
    /// The number of ranks.
    package let worldSize: Int
    /// The group every rank joined.
    package let group: ProcessGroup
    /// Where a follower writes why it failed, for `lab run` to report (see ``Failure``).
    package let failureFile: URL?

    /// The environment `lab run` sets for each rank.
    package enum Key {
        package static let rank = "LAB_RANK"
        package static let localRank = "LAB_LOCAL_RANK"
        package static let worldSize = "LAB_WORLD_SIZE"
        /// `host:port` of rank 0's TCPStore.
        package static let master = "LAB_MASTER"
        /// Seconds a collective waits for the other ranks (default 1,800).
        package static let timeout = "LAB_RANK_TIMEOUT"
        /// The run's id, chosen by `lab run` so that it can record a follower's failure in it.
        package static let runId = "LAB_RUN_ID"
        /// Where a follower writes its failure (JSON, ``Failure``).
        package static let failureFile = "LAB_RANK_FAILURE_FILE"
    }

    /// What rank 0 tells the others about a step, before it runs.
    package enum Decision: UInt8 {
        /// Taken from the cache: the entry named with the decision is read when needed.
        case cached = 0
        /// A training step that missed: every rank runs it.
        case everyRank = 1
        /// Another step that missed: rank 0 runs it, the others wait for its outcome.
        case leaderOnly = 2
    }

    /// Why a follower failed, written to ``failureFile`` for `lab run`.
    package struct Failure: Codable, Sendable {
        package var rank: Int
        package var step: String
        package var message: String
        package var location: String
        package init(rank: Int, step: String, message: String, location: String) {
            self.rank = rank; self.step = step; self.message = message; self.location = location
        }
    }

    init(rank: Int, localRank: Int, worldSize: Int, group: ProcessGroup, failureFile: URL?) {
        self.rank = rank
        self.localRank = localRank
        self.worldSize = worldSize
        self.group = group
        self.failureFile = failureFile
    }

    /// The ranks of a process started by `lab run --nproc`, joined into their group; nil
    /// for a process started alone.
    /// - Throws: ``LabError/badArguments(_:)`` for a malformed variable; c10d's error when
    ///   the group does not form within the timeout.
    package static func join(environment: [String: String]) throws -> Ranks? {
        guard let worldText = environment[Key.worldSize] else { return nil }
        guard let world = Int(worldText), world >= 1 else { throw LabError.badArguments("\(Key.worldSize)=\(worldText) is not a positive count") }
        guard let rank = environment[Key.rank].flatMap(Int.init), (0..<world).contains(rank) else {
            throw LabError.badArguments("\(Key.rank)=\(environment[Key.rank] ?? "(unset)") is not a rank of world size \(world)")
        }
        let master = environment[Key.master] ?? ""
        guard let colon = master.lastIndex(of: ":"), let port = Int(master[master.index(after: colon)...]), (1...65535).contains(port) else {
            throw LabError.badArguments("\(Key.master)=\(master) is not host:port")
        }
        let timeout = environment[Key.timeout].flatMap(Double.init) ?? 1800
        let group = try ProcessGroup(host: String(master[..<colon]), port: port, rank: rank, worldSize: world,
                                     timeout: .milliseconds(Int64(timeout * 1000)))
        return Ranks(rank: rank, localRank: environment[Key.localRank].flatMap(Int.init) ?? rank, worldSize: world,
                     group: group, failureFile: environment[Key.failureFile].map { URL(fileURLWithPath: $0) })
    }

    /// True on rank 0, which records the run.
    package var leads: Bool { rank == 0 }

    // MARK: rank 0's word

    /// Rank 0's decision about a step and the cache entry it names (a hit's entry, possibly
    /// another key's through early cut-off), received by every rank.
    func agree(_ decision: Decision, entry: String) throws -> (Decision, String) {
        var bytes = [decision.rawValue] + Array(repeating: 0, count: 32)
        if leads {
            let hex = Array(entry.utf8)
            for i in 0..<min(32, hex.count / 2) { bytes[1 + i] = UInt8(String(decoding: hex[(2 * i)...(2 * i + 1)], as: UTF8.self), radix: 16) ?? 0 }
        }
        let message = Tensor(bytes, shape: [33], dtype: .uint8)
        try group.broadcast([message], from: 0)
        let received = message.asArray(UInt8.self)
        guard let agreed = Decision(rawValue: received[0]) else { throw LabError.badArguments("rank 0 sent an unknown decision \(received[0])") }
        return (agreed, received[1...].map { String(format: "%02x", $0) }.joined())
    }

    /// Rank 0's outcome of a step (true: it succeeded), received by every rank.
    func outcome(_ succeeded: Bool) throws -> Bool {
        let flag = Tensor([succeeded ? Int64(1) : 0], shape: [1], dtype: .int64)
        try group.broadcast([flag], from: 0)
        return flag.asArray(Int64.self)[0] == 1
    }

    /// Rank 0's value of `value`, received by every rank (a resumed loop's first epoch).
    func leaderValue(_ value: Int) throws -> Int {
        let t = Tensor([Int64(value)], shape: [1], dtype: .int64)
        try group.broadcast([t], from: 0)
        return Int(t.asArray(Int64.self)[0])
    }

    // MARK: training

    /// Makes `module`'s weights rank 0's and averages its gradients over the ranks after every
    /// `backward()` until ``endTraining()``: DistributedDataParallel's two duties.
    func beginTraining(_ module: Module) throws {
        try group.broadcastState(of: module)
        let group = self.group
        let parameters = module.parameters()
        AutogradHooks.afterBackward = {
            do { try group.averageGradients(parameters) } catch { AutogradHooks.fail("averaging gradients over \(group.worldSize) ranks: \(error)") }
        }
    }

    /// Stops averaging gradients after `backward()`.
    func endTraining() { AutogradHooks.afterBackward = nil }

    /// Writes why this follower failed, for `lab run`.
    func recordFailure(step: String, message: String, location: String) {
        guard let failureFile else { return }
        let failure = Failure(rank: rank, step: step, message: message, location: location)
        if let data = try? JSONEncoder().encode(failure) { try? data.write(to: failureFile) }
    }
}
