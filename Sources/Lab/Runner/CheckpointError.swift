import Foundation

/// Why a training step's checkpointing failed. Each message names the step, what is wrong
/// and what to do.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The loop was started with `ctx.epochs(…, state: &value)` but `ctx.finished(epoch:)` got no state.
    case stateMissing(step: String)
    /// `ctx.finished(epoch:state:)` got a state, but the loop was started without one.
    case stateUnexpected(step: String)
    /// `ctx.finished(epoch:)` was called before `ctx.epochs(_:checkpointing:…)`.
    case finishedWithoutEpochs(step: String)
    /// A verified checkpoint holds no body state although the loop passes one.
    case stateMissingInCheckpoint(step: String)
    /// A checkpoint matched its manifest but could not be applied; it has been removed.
    case unusable(step: String, file: String, reason: String)
    /// `ctx.epochs` or `ctx.finished` was called in a step that is not a training step, where
    /// nothing is checkpointed.
    case outsideTraining(step: String, kind: String)
    /// In a data-parallel run, this rank would resume at another epoch than rank 0 (it does not
    /// see rank 0's checkpoint).
    case ranksDisagree(step: String, rank: Int, epoch: Int, leaderEpoch: Int)

    /// The message shown to the user, naming the checkpoint and what to do.
    public var description: String {
        switch self {
        case let .stateMissing(step):
            return "step '\(step)': the loop passes a state to ctx.epochs(…, state: &value), so ctx.finished(epoch:) must save it: call ctx.finished(epoch: epoch, state: value)."
        case let .stateUnexpected(step):
            return "step '\(step)': ctx.finished(epoch:state:) got a state, but ctx.epochs was called without one: pass the same value as ctx.epochs(…, state: &value)."
        case let .finishedWithoutEpochs(step):
            return "step '\(step)': ctx.finished(epoch:) was called outside a ctx.epochs(_:checkpointing:…) loop: start the loop with ctx.epochs first."
        case let .stateMissingInCheckpoint(step):
            return "step '\(step)': its checkpoint holds no loop state: remove .lab/checkpoints/ for this step and run again."
        case let .outsideTraining(step, kind):
            return "step '\(step)' calls ctx.epochs or ctx.finished, but it is not a training step (its kind is \(kind)) and nothing of it is checkpointed: train with lab.train(…) or lab.step(…, kind: .train), or loop with a plain `for epoch in 0..<n`."
        case let .ranksDisagree(step, rank, epoch, leaderEpoch):
            return "step '\(step)': rank \(rank) would start at epoch \(epoch) but rank 0 at epoch \(leaderEpoch): the ranks do not see the same checkpoint in .lab/checkpoints/; run every rank in one project folder (on several machines, a shared filesystem)."
        case let .unusable(step, file, reason):
            return "step '\(step)': checkpoint '\(file)' could not be loaded (\(reason)); it has been removed, run again to start the step over."
        }
    }
}
