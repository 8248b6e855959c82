import Foundation

/// What a step does, for the report and the cache key.
public enum StepKind: String, Codable, Sendable {
    case data, model, train, eval, step
}

/// A typed handle to a step's output: pass it to later steps as an input. The compiler
/// checks that each step receives the types its body takes.
public struct Step<Output>: Sendable {
    let index: Int
    /// The step's name, unique within the experiment.
    public let name: String
}

/// One node of the experiment's graph, with its output type erased.
final class Node: @unchecked Sendable {
    let index: Int
    let name: String
    let kind: StepKind
    let inputs: [Int]
    /// Which root seed the step's seed is drawn from.
    let seedScope: SeedScope
    /// The output's type as `String(reflecting:)` spells it: what its consumers' keys reach.
    let outputType: String
    let file: String
    let line: Int
    /// Runs the step's body: (context, input values) → output value.
    let run: (StepEnvironment, [Any]) throws -> Any
    /// Writes an output value's files (output.json, tensors.safetensors) through a writer.
    let save: (Any, (Data, String) throws -> Void) throws -> Void
    /// Reads an output value back from a cache entry; the third argument gives the input
    /// values, loaded on demand (a training step's factory may need them to rebuild the model).
    let load: (URL, StepEnvironment, () throws -> [Any]) throws -> Any

    init(index: Int, name: String, kind: StepKind, inputs: [Int], seedScope: SeedScope, outputType: String, file: String, line: Int,
         run: @escaping (StepEnvironment, [Any]) throws -> Any,
         save: @escaping (Any, (Data, String) throws -> Void) throws -> Void,
         load: @escaping (URL, StepEnvironment, () throws -> [Any]) throws -> Any) {
        self.index = index; self.name = name; self.kind = kind; self.inputs = inputs
        self.seedScope = seedScope; self.outputType = outputType
        self.file = file; self.line = line; self.run = run; self.save = save; self.load = load
    }
}

/// An experiment: a name, a typed config and a graph of typed steps, declared in one file.
///
/// ```swift
/// import Lab
///
/// struct Config: ExperimentConfig {
///     var points = 256
///     var steps = 200
///     var learningRate = 0.05
/// }
///
/// /// y = 3x + 1 with noise.
/// struct Line: Codable {
///     var x: Tensor   // (n, 1) float32
///     var y: Tensor   // (n, 1) float32
/// }
///
/// let experiment = Experiment("line", config: Config()) { lab in
///     //: ## Data
///     let data = lab.data("line") { ctx in
///         let x = Tensor.randn([ctx.config.points, 1])
///         return Line(x: x, y: x * 3 + 1 + Tensor.randn([ctx.config.points, 1]) * 0.1)
///     }
///     //: ## Training
///     let fit = lab.train("fit", data, model: { _ in Linear(1, 1) }) { ctx, model, data -> Double in
///         let optimizer = AdamW(model.trainableParameters(), learningRate: ctx.config.learningRate)
///         var last = 0.0
///         for step in 0..<ctx.config.steps {
///             let loss = F.mseLoss(model(data.x), data.y)
///             optimizer.zeroGrad()
///             loss.backward()
///             optimizer.step()
///             last = loss.item()
///             ctx.log("loss", last, step: step)
///         }
///         return last
///     }
///     //: ## Evaluation
///     lab.eval("report", fit) { ctx, fit in
///         ctx.metric("loss", fit.result)
///         ctx.metric("slope", fit.model.weight.item())
///     }
/// }
///
/// Lab.main(experiment)
/// ```
/// Steps are declared through `lab`, the experiment's ``Pipeline``: the compiler then knows
/// the config's type in every step body (`ctx.config.steps`), and each step's inputs are the
/// typed outputs of steps declared before it, so the graph is known before anything runs.
/// (`DocExampleTests` compiles and runs this example.)
public struct Experiment<C: ExperimentConfig>: Sendable {
    /// The experiment's name: its run records, `reports/<name>/`, `lab ls` and `lab compare` use it.
    public let name: String
    /// The config as declared; a run applies its `--set` overrides to a copy.
    public let config: C
    /// The experiment's source file: `#filePath` of the declaration or, when a bundle's `lab`
    /// runs the binary (it sets `LAB_BUNDLE_ROOT`), the bundle's copy of that file,
    /// `experiments/NAME.swift`: the path the binary was compiled at is on another machine.
    public let file: String
    let nodes: [Node]
    /// Regression thresholds declared with ``Pipeline/regression(_:_:tolerance:)``, as signed deltas (the bad direction's sign).
    public let thresholds: [String: Double]

    /// Declares an experiment: `declare` adds its steps through `lab` (see ``Pipeline``).
    /// - Parameters:
    ///   - name: the experiment's name, unique within the project.
    ///   - config: the config as declared (its fields' defaults).
    ///   - file: the experiment's file (`#filePath`); leave the default.
    public init(_ name: String, config: C, file: String = #filePath, _ declare: (Pipeline<C>) throws -> Void) rethrows {
        let pipeline = Pipeline<C>()
        try declare(pipeline)
        self.name = name
        self.config = config
        if let bundle = ProcessInfo.processInfo.environment["LAB_BUNDLE_ROOT"], !bundle.isEmpty {
            self.file = bundle + "/experiments/" + URL(fileURLWithPath: file).lastPathComponent
        } else {
            self.file = file
        }
        self.nodes = pipeline.nodes
        self.thresholds = pipeline.thresholds
    }

    /// The steps' names in declaration (and execution) order.
    public var stepNames: [String] { nodes.map(\.name) }
}

/// What a step body gets from the runner besides its inputs.
struct StepEnvironment {
    let config: Any
    let seed: UInt64
    let smoke: Bool
    let device: Device
    let step: String
    /// The step's kind (`data`, `train`, `eval`, …), for messages.
    let kind: String
    let recorder: StepRecorder
    let checkpoints: CheckpointStore?
    /// The ranks of a data-parallel run (`lab run --nproc`); nil in a run of one process.
    var ranks: Ranks? = nil
}
