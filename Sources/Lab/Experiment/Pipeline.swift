import Foundation

/// Declares an experiment's steps. Each method adds one step whose body runs with a typed
/// ``Context`` and the outputs of the steps passed as inputs, and returns a handle to the
/// step's output for later steps. Outputs must be `Codable` (tensors included: they are
/// stored as safetensors beside the JSON) so that the cache can keep them.
public final class Pipeline<C: ExperimentConfig> {
    var nodes: [Node] = []
    var thresholds: [String: Double] = [:]

    /// Declares when a change of `metric` ("step/name" or "name") counts as a regression in
    /// `lab pr-report`: a move in the worse direction by more than `tolerance` against the
    /// base run. `lab.regression("evaluate/accuracy", .higherIsBetter, tolerance: 0.01)` flags
    /// a drop of more than 0.01; `.lowerIsBetter` flags a rise. Recorded with each run as a
    /// signed delta (the bad direction's sign), which `--threshold NAME=±DELTA` overrides.
    /// - Precondition: `tolerance` is finite and not negative.
    public func regression(_ metric: String, _ direction: MetricDirection, tolerance: Double) {
        precondition(tolerance.isFinite && tolerance >= 0,
                     "lab.regression(\"\(metric)\", …, tolerance: \(tolerance)): the tolerance must be a finite number ≥ 0")
        thresholds[metric] = direction == .higherIsBetter ? -tolerance : tolerance
    }

    /// A regression gate as a signed delta: a move past `delta` in `delta`'s direction.
    @available(*, deprecated, message: "the sign is easy to get wrong: write lab.regression(metric, .higherIsBetter, tolerance: 0.01) or .lowerIsBetter")
    public func regression(_ metric: String, beyond delta: Double) {
        thresholds[metric] = delta
    }
    private var names: Set<String> = []

    init() {}

    private func add<O: Codable>(_ name: String, _ kind: StepKind, _ inputs: [Int], _ seed: SeedScope?, _ file: String, _ line: Int,
                                 _ body: @escaping (Context<C>, [Any]) throws -> O) -> Step<O> {
        precondition(names.insert(name).inserted, LabError.duplicateStep(name).description)
        let index = nodes.count
        nodes.append(Node(
            index: index, name: name, kind: kind, inputs: inputs, seedScope: seed ?? (kind == .data ? .fixed : .run),
            outputType: String(reflecting: O.self), file: file, line: line,
            run: { env, values in try body(Context<C>(env), values) },
            save: { value, write in try OutputCoding.save(value as! O, step: name, write: write) },
            load: { folder, _, _ in try OutputCoding.load(O.self, from: folder) }))
        return Step(index: index, name: name)
    }

    // MARK: generic steps (any kind), 0–3 inputs

    /// A step with no inputs.
    @discardableResult
    public func step<O: Codable>(_ name: String, kind: StepKind = .step, seed: SeedScope? = nil, file: String = #filePath, line: Int = #line,
                                 _ body: @escaping (Context<C>) throws -> O) -> Step<O> {
        add(name, kind, [], seed, file, line) { ctx, _ in try body(ctx) }
    }

    /// A step with one input.
    @discardableResult
    public func step<A, O: Codable>(_ name: String, _ a: Step<A>, kind: StepKind = .step, seed: SeedScope? = nil, file: String = #filePath,
                                    line: Int = #line, _ body: @escaping (Context<C>, A) throws -> O) -> Step<O> {
        add(name, kind, [a.index], seed, file, line) { ctx, v in try body(ctx, v[0] as! A) }
    }

    /// A step with two inputs.
    @discardableResult
    public func step<A, B, O: Codable>(_ name: String, _ a: Step<A>, _ b: Step<B>, kind: StepKind = .step, seed: SeedScope? = nil,
                                       file: String = #filePath, line: Int = #line,
                                       _ body: @escaping (Context<C>, A, B) throws -> O) -> Step<O> {
        add(name, kind, [a.index, b.index], seed, file, line) { ctx, v in try body(ctx, v[0] as! A, v[1] as! B) }
    }

    /// A step with three inputs.
    @discardableResult
    public func step<A, B, D, O: Codable>(_ name: String, _ a: Step<A>, _ b: Step<B>, _ d: Step<D>, kind: StepKind = .step, seed: SeedScope? = nil,
                                          file: String = #filePath, line: Int = #line,
                                          _ body: @escaping (Context<C>, A, B, D) throws -> O) -> Step<O> {
        add(name, kind, [a.index, b.index, d.index], seed, file, line) { ctx, v in try body(ctx, v[0] as! A, v[1] as! B, v[2] as! D) }
    }

    /// A step with any number of inputs of any types, passed after `inputs:` and received by
    /// `body` in the same order and with their own types:
    /// `lab.step("comparison", inputs: before, r1, r4, r16, full, kind: .eval) { ctx, before, r1, r4, r16, full in … }`.
    @discardableResult
    public func step<each A, O: Codable>(_ name: String, inputs: repeat Step<each A>, kind: StepKind = .step,
                                         seed: SeedScope? = nil, file: String = #filePath, line: Int = #line,
                                         _ body: @escaping (Context<C>, repeat each A) throws -> O) -> Step<O> {
        var indices: [Int] = []
        for input in repeat each inputs { indices.append(input.index) }
        return add(name, kind, indices, seed, file, line) { ctx, values in
            let cursor = InputCursor(values)
            return try body(ctx, repeat cursor.next((each A).self))
        }
    }

    /// A step over any number of inputs of one type, in the order given: what gathers a
    /// sweep (steps declared in a loop) into one table or chart. Each input is still its own
    /// cache entry; changing one re-runs it and this step, not its siblings.
    @discardableResult
    public func step<A, O: Codable>(_ name: String, _ inputs: [Step<A>], kind: StepKind = .step, seed: SeedScope? = nil,
                                    file: String = #filePath, line: Int = #line,
                                    _ body: @escaping (Context<C>, [A]) throws -> O) -> Step<O> {
        add(name, kind, inputs.map(\.index), seed, file, line) { ctx, v in try body(ctx, v.map { $0 as! A }) }
    }

    // MARK: named kinds

    /// A data step: loads or makes a dataset.
    @discardableResult
    public func data<O: Codable>(_ name: String, seed: SeedScope = .fixed, file: String = #filePath, line: Int = #line,
                                 _ body: @escaping (Context<C>) throws -> O) -> Step<O> {
        step(name, kind: .data, seed: seed, file: file, line: line, body)
    }

    /// A data step derived from another step's output.
    @discardableResult
    public func data<A, O: Codable>(_ name: String, _ a: Step<A>, seed: SeedScope = .fixed, file: String = #filePath,
                                    line: Int = #line, _ body: @escaping (Context<C>, A) throws -> O) -> Step<O> {
        step(name, a, kind: .data, seed: seed, file: file, line: line, body)
    }

    /// An evaluation step over one input.
    @discardableResult
    public func eval<A, O: Codable>(_ name: String, _ a: Step<A>, file: String = #filePath, line: Int = #line,
                                    _ body: @escaping (Context<C>, A) throws -> O) -> Step<O> {
        step(name, a, kind: .eval, file: file, line: line, body)
    }

    /// An evaluation step over two inputs (typically a model and data).
    @discardableResult
    public func eval<A, B, O: Codable>(_ name: String, _ a: Step<A>, _ b: Step<B>, file: String = #filePath, line: Int = #line,
                                       _ body: @escaping (Context<C>, A, B) throws -> O) -> Step<O> {
        step(name, a, b, kind: .eval, file: file, line: line, body)
    }

    /// An evaluation step that only reports (metrics, figures): its output is `Nothing`.
    @discardableResult
    public func eval<A, B>(_ name: String, _ a: Step<A>, _ b: Step<B>, file: String = #filePath, line: Int = #line,
                           _ body: @escaping (Context<C>, A, B) throws -> Void) -> Step<Nothing> {
        step(name, a, b, kind: .eval, file: file, line: line) { ctx, x, y in try body(ctx, x, y); return Nothing() }
    }

    /// An evaluation step over the outputs of a sweep (any number of steps of one type) that only reports.
    @discardableResult
    public func eval<A>(_ name: String, _ inputs: [Step<A>], file: String = #filePath, line: Int = #line,
                        _ body: @escaping (Context<C>, [A]) throws -> Void) -> Step<Nothing> {
        step(name, inputs, kind: .eval, file: file, line: line) { ctx, values -> Nothing in try body(ctx, values); return Nothing() }
    }

    /// An evaluation step over one input that only reports.
    @discardableResult
    public func eval<A>(_ name: String, _ a: Step<A>, file: String = #filePath, line: Int = #line,
                        _ body: @escaping (Context<C>, A) throws -> Void) -> Step<Nothing> {
        step(name, a, kind: .eval, file: file, line: line) { ctx, x in try body(ctx, x); return Nothing() }
    }

    /// A training step: `model` builds the network (seeded with the step's seed), `body`
    /// trains it in place and returns a summary. The cache stores the trained weights and
    /// the summary; on a hit the network is rebuilt by `model` and the weights loaded into it.
    /// Inside `body`, `ctx.epochs(_:checkpointing:)` checkpoints and resumes after a crash.
    @discardableResult
    public func train<A, M: Module, R: Codable>(_ name: String, _ a: Step<A>, model: @escaping (Context<C>) throws -> M,
                                                 seed: SeedScope = .run, file: String = #filePath, line: Int = #line,
                                                 _ body: @escaping (Context<C>, M, A) throws -> R) -> Step<Trained<M, R>> {
        addTraining(name, [a.index], { ctx, _ in try model(ctx) }, seesInputs: false, seed, file, line) { ctx, network, values in
            try body(ctx, network, values[0] as! A)
        }
    }

    /// A training step whose `model` factory sees the input (say, to size a token table to
    /// the tokenizer of the data: `model: { ctx, data in TextEncoder(vocabularySize: data.tokenizer.count, …) }`).
    /// On a cache hit the input is loaded too, so that the factory rebuilds the same network
    /// before the stored weights are loaded into it.
    @discardableResult
    public func train<A, M: Module, R: Codable>(_ name: String, _ a: Step<A>, model: @escaping (Context<C>, A) throws -> M,
                                                 seed: SeedScope = .run, file: String = #filePath, line: Int = #line,
                                                 _ body: @escaping (Context<C>, M, A) throws -> R) -> Step<Trained<M, R>> {
        addTraining(name, [a.index], { ctx, values in try model(ctx, values[0] as! A) }, seesInputs: true, seed, file, line) { ctx, network, values in
            try body(ctx, network, values[0] as! A)
        }
    }

    /// A training step with two inputs: data and, say, a pretrained model whose weights the
    /// body copies into `model` before fine-tuning it.
    @discardableResult
    public func train<A, B, M: Module, R: Codable>(_ name: String, _ a: Step<A>, _ b: Step<B>,
                                                    model: @escaping (Context<C>) throws -> M,
                                                    seed: SeedScope = .run, file: String = #filePath, line: Int = #line,
                                                    _ body: @escaping (Context<C>, M, A, B) throws -> R) -> Step<Trained<M, R>> {
        addTraining(name, [a.index, b.index], { ctx, _ in try model(ctx) }, seesInputs: false, seed, file, line) { ctx, network, values in
            try body(ctx, network, values[0] as! A, values[1] as! B)
        }
    }

    /// A training step with two inputs whose `model` factory sees them (see
    /// the one-input form): on a cache hit both inputs are loaded for it.
    @discardableResult
    public func train<A, B, M: Module, R: Codable>(_ name: String, _ a: Step<A>, _ b: Step<B>,
                                                    model: @escaping (Context<C>, A, B) throws -> M,
                                                    seed: SeedScope = .run, file: String = #filePath, line: Int = #line,
                                                    _ body: @escaping (Context<C>, M, A, B) throws -> R) -> Step<Trained<M, R>> {
        addTraining(name, [a.index, b.index], { ctx, values in try model(ctx, values[0] as! A, values[1] as! B) }, seesInputs: true,
                    seed, file, line) { ctx, network, values in
            try body(ctx, network, values[0] as! A, values[1] as! B)
        }
    }

    private func addTraining<M: Module, R: Codable>(_ name: String, _ inputs: [Int], _ model: @escaping (Context<C>, [Any]) throws -> M, seesInputs: Bool,
                                                    _ seed: SeedScope, _ file: String, _ line: Int,
                                                    _ body: @escaping (Context<C>, M, [Any]) throws -> R) -> Step<Trained<M, R>> {
        precondition(names.insert(name).inserted, LabError.duplicateStep(name).description)
        let index = nodes.count
        nodes.append(Node(
            index: index, name: name, kind: .train, inputs: inputs, seedScope: seed,
            outputType: String(reflecting: Trained<M, R>.self), file: file, line: line,
            run: { env, values in
                let ctx = Context<C>(env)
                let network = try model(ctx, values)
                // Data parallel: rank 0's weights everywhere, gradients averaged after each backward().
                try env.ranks?.beginTraining(network)
                defer { env.ranks?.endTraining() }
                let result = try body(ctx, network, values)
                return Trained(model: network, result: result)
            },
            save: { value, write in
                let trained = value as! Trained<M, R>
                try OutputCoding.save(TrainedArchive(weights: trained.model.stateDict(), result: trained.result), step: name, write: write)
            },
            load: { folder, env, inputs in
                let archive = try OutputCoding.load(TrainedArchive<R>.self, from: folder)
                let values = seesInputs ? try inputs() : []   // loaded only for a factory that reads them
                manualSeed(env.seed)
                let network = try model(Context<C>(env), values)
                try network.loadStateDict(archive.weights)
                return Trained(model: network, result: archive.result)
            }))
        return Step(index: index, name: name)
    }
}

/// Hands out a step's input values in order, each cast to the type its parameter declares.
final class InputCursor {
    private let values: [Any]
    private var position = 0
    init(_ values: [Any]) { self.values = values }
    func next<T>(_ type: T.Type) -> T {
        defer { position += 1 }
        return values[position] as! T
    }
}

/// The output of a training step: the trained network and what its body returned.
public struct Trained<M: Module, R> {
    /// The trained network (on a cache hit: rebuilt by the step's factory with the stored weights loaded).
    public let model: M
    /// What the training body returned.
    public let result: R
}

/// A ``Trained`` value seen without its types: its network (for `lab export`).
protocol TrainedNetwork {
    var network: Module { get }
}

extension Trained: TrainedNetwork {
    var network: Module { model }
}

struct TrainedArchive<R: Codable>: Codable {
    var weights: [String: Tensor]
    var result: R
}

/// The output of a step that only reports.
public struct Nothing: Codable, Sendable, Equatable {
    /// The only value.
    public init() {}
}
