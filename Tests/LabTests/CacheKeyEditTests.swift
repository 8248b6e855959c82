import Foundation
import Testing

/// The cache's promise, edit by edit: for each change to a fixture experiment, the exact
/// set of steps that `lab run --dry-run` says would re-run after a full run of the original.
/// Through the real `lab` on real files; each edited file is compiled as a user's would be.
@Suite(.serialized) struct CacheKeyEditTests {
    static let all = ["data", "fit", "net", "scaled-1", "scaled-2", "report", "sweep"]
    static let fitAndBelow = ["fit", "scaled-1", "scaled-2", "report", "sweep"]

    /// One row: a name, the text replacements (applied to the original), `lab run` arguments,
    /// the steps that must miss, and the file it is written to.
    struct Edit: CustomStringConvertible {
        var name: String
        var replacements: [(String, String)] = []
        var arguments: [String] = []
        var misses: [String]
        var file = "edits.swift"
        var description: String { name }
    }

    static let edits: [Edit] = [
        Edit(name: "prose", replacements: [("Prose that tests edit.", "Prose, edited.\n//: Another line.")], misses: []),
        Edit(name: "a comment in a step", replacements: [("// a comment inside the step", "// another comment")], misses: []),
        Edit(name: "layout", replacements: [("var w = 0.0", "var w   =\n            0.0")], misses: []),
        Edit(name: "a doc comment", replacements: [("/// Used only by the evaluation.", "/// Only the evaluation uses it.")], misses: []),
        Edit(name: "declaration order", replacements: [("func unusedHelper() -> Int { 42 }\n", ""),
                                                        ("let scales = ", "func unusedHelper() -> Int { 42 }\nlet scales = ")], misses: []),
        Edit(name: "an unrelated helper", replacements: [("{ 42 }", "{ 43 }")], misses: []),
        Edit(name: "a new function", replacements: [("let scales = ", "func another() -> Int { 1 }\nlet scales = ")], misses: []),
        Edit(name: "a threshold", replacements: [("tolerance: 0.5)", "tolerance: 0.25)")], misses: []),
        Edit(name: "a second threshold", replacements: [("    let offset", "    lab.regression(\"sweep/sum\", .higherIsBetter, tolerance: 1)\n    let offset")], misses: []),
        Edit(name: "a helper one step reaches", replacements: [("{ x * x }", "{ x * x * 1.0 }")], misses: fitAndBelow),
        Edit(name: "a struct one step uses", replacements: [("struct Summary: Codable { var total: Double }",
                                                              "struct Summary: Codable { var total: Double; var note = \"\" }")], misses: ["report"]),
        Edit(name: "a helper that reads the config", replacements: [("\"learning rate \\(", "\"rate \\(")], misses: ["report"]),
        Edit(name: "--set learningRate (read by fit, and by report through describe)", arguments: ["--set", "learningRate=0.2"], misses: fitAndBelow),
        Edit(name: "--set evalScale (read by report)", arguments: ["--set", "evalScale=3"], misses: ["report"]),
        Edit(name: "--set label (read by no step)", arguments: ["--set", "label=other"], misses: []),
        Edit(name: "--set size (read by data)", arguments: ["--set", "size=4"], misses: all),
        Edit(name: "--set epochs (read by fit)", arguments: ["--set", "epochs=4"], misses: fitAndBelow),
        Edit(name: "a read field's default", replacements: [("var evalScale = 2.0", "var evalScale = 3.0")], misses: ["report"]),
        Edit(name: "an unread field's default", replacements: [("var label = \"base\"", "var label = \"other\"")], misses: []),
        Edit(name: "the model factory", replacements: [("Linear(1, 1)", "Linear(1, 2)")], misses: ["net"]),
        Edit(name: "the data step's helper", replacements: [("Double(max(n, 1))", "Double(max(n, 2))")], misses: all),
        Edit(name: "the data's type", replacements: [("struct Points: Codable { var xs: [Double] }",
                                                       "struct Points: Codable { var xs: [Double]; var count: Int { xs.count } }")], misses: all),
        Edit(name: "an extension of a type every step names", replacements: [("self / 2", "self * 0.5")], misses: all),
        Edit(name: "a local of the experiment one step reads", replacements: [("let offset = 1.0", "let offset = 2.0")], misses: ["report"]),
        Edit(name: "a sweep's values", replacements: [("let scales = [1.0, 2.0]", "let scales = [1.0, 2.0, 3.0]")],
             misses: ["scaled-1", "scaled-2", "scaled-3", "sweep"]),
        Edit(name: "a step's own body", replacements: [("summary.total)", "summary.total * 1)")], misses: ["report"]),
        Edit(name: "a step's name", replacements: [("lab.eval(\"sweep\"", "lab.eval(\"sum\"")], misses: ["sum"]),
        Edit(name: "step order", replacements: [(trainStep, ""), ("    lab.eval(\"sweep\"", trainStep + "    lab.eval(\"sweep\"")], misses: []),
        Edit(name: "an import", replacements: [("import Lab\n", "import Foundation\nimport Lab\n")], misses: all),
        Edit(name: "a top-level statement", replacements: [("Lab.main(experiment)", "print(\"declared\")\nLab.main(experiment)")], misses: all),
        Edit(name: "a global let made var (whole-file keys for the steps that reach it)",
             replacements: [("let scales = ", "var scales = ")], misses: ["scaled-1", "scaled-2", "sweep"]),
        Edit(name: "--seed 1 (data is seed-fixed)", arguments: ["--seed", "1"], misses: ["fit", "net", "scaled-1", "scaled-2", "report", "sweep"]),
        Edit(name: "the same steps in a second experiment file",
             replacements: [("Experiment(\"edits\"", "Experiment(\"edits-copy\""), ("{ 42 }", "{ 7 }")], misses: [], file: "copy.swift"),
    ]

    static let trainStep = """
        lab.train("net", data, model: { _ in makeNet() }) { ctx, net, points -> Double in
            Double(net.trainableParameters().count + points.xs.count)
        }

    """

    static let original = """
    import Lab

    //: # Edits
    //: Prose that tests edit.

    struct Config: ExperimentConfig {
        var size = 8
        var epochs = 3
        var learningRate = 0.1
        var evalScale = 2.0
        var label = "base"
    }

    /// Made by the data step.
    struct Points: Codable { var xs: [Double] }

    /// Used only by the evaluation.
    struct Summary: Codable { var total: Double }

    struct Fit: Codable { var w: Double; var loss: Double }

    func makePoints(_ n: Int) -> Points { Points(xs: (0..<n).map { Double($0) / Double(max(n, 1)) }) }

    func square(_ x: Double) -> Double { x * x }

    func lossOf(_ w: Double, _ points: Points) -> Double { points.xs.map { square($0 - w) }.reduce(0, +) }

    func unusedHelper() -> Int { 42 }

    func describe(_ config: Config) -> String { "learning rate \\(config.learningRate)" }

    func makeNet() -> Linear { Linear(1, 1) }

    extension Double { var halved: Double { self / 2 } }

    let scales = [1.0, 2.0]

    let experiment = Experiment("edits", config: Config()) { lab in
        lab.regression("report/total", .lowerIsBetter, tolerance: 0.5)
        let offset = 1.0
        //: ## Data
        let data = lab.data("data") { ctx in makePoints(ctx.config.size) }
        //: ## Fit
        let fit = lab.step("fit", data) { ctx, points -> Fit in
            // a comment inside the step
            var w = 0.0
            for _ in 0..<ctx.config.epochs { w += ctx.config.learningRate * (0.5 - w) }
            return Fit(w: w, loss: lossOf(w, points))
        }
    \(trainStep)    var sweep: [Step<Double>] = []
        for scale in scales {
            sweep.append(lab.step("scaled-\\(Int(scale))", fit) { ctx, fit in fit.w.halved * scale })
        }
        lab.eval("report", fit) { ctx, fit in
            let summary = Summary(total: fit.loss * ctx.config.evalScale + offset)
            ctx.metric("total", summary.total)
            ctx.metric("note_length", Double(describe(ctx.config).count))
        }
        lab.eval("sweep", sweep) { ctx, values in ctx.metric("sum", values.reduce(0, +)) }
    }

    Lab.main(experiment)
    """

    /// Steps a dry run lists as misses.
    static func misses(_ output: String) -> [String] {
        output.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard line.hasPrefix("  "), words.count >= 2, words[1] == "miss" else { return nil }
            return String(words[0])
        }
    }

    /// The dry run's line for `step`.
    static func line(_ output: String, _ step: String) -> String {
        output.split(separator: "\n").map(String.init).first { $0.hasPrefix("  \(step) ") } ?? "(no line for \(step))"
    }

    @Test func everyEditReRunsExactlyTheStepsItChanges() throws {
        let box = try Sandbox()
        try box.write("edits.swift", Self.original)
        try box.commitAll()
        let first = try box.lab("run", "edits.swift")
        #expect(first.status == 0 && first.ran == Self.all, "\(first.output)")
        let runId = first.runId ?? "?"
        var outputs: [String: String] = [:]
        for edit in Self.edits {
            var text = Self.original
            for (old, new) in edit.replacements {
                #expect(text.contains(old), "\(edit): '\(old)' is not in the fixture")
                text = text.replacingOccurrences(of: old, with: new)
            }
            try box.write(edit.file, text)
            let dry = try box.run(Sandbox.lab, ["run", edit.file, "--dry-run"] + edit.arguments)
            #expect(dry.status == 0, "\(edit): \(dry.output)")
            #expect(Self.misses(dry.output) == edit.misses, "\(edit): \(dry.output)")
            outputs[edit.name] = dry.output
            try box.write("edits.swift", Self.original)
        }
        // What --explain says for a few of them: the declaration, field or input that changed.
        let against = "changed against the cached entry of run \(runId): "
        #expect(Self.line(outputs["a helper one step reaches"]!, "fit").hasSuffix(against + "source (square)"))
        #expect(Self.line(outputs["a helper one step reaches"]!, "report").hasSuffix(against + "upstream (fit)"))
        #expect(Self.line(outputs["a struct one step uses"]!, "report").hasSuffix(against + "source (Summary)"))
        #expect(Self.line(outputs["--set learningRate (read by fit, and by report through describe)"]!, "report")
                    .hasSuffix(against + "config (learningRate); upstream (fit)"))
        #expect(Self.line(outputs["a local of the experiment one step reads"]!, "report").hasSuffix(against + "source (offset)"))
        #expect(Self.line(outputs["a step's own body"]!, "report").hasSuffix(against + "source (this step's own code)"))
        #expect(Self.line(outputs["a global let made var (whole-file keys for the steps that reach it)"]!, "scaled-1")
                    .hasSuffix("source (now keyed on the whole file: it reaches the global var `scales`, which any code may change); "
                               + "config (the set of fields it reads)"), "a whole-file key covers the fields every step reads")
        #expect(Self.line(outputs["--seed 1 (data is seed-fixed)"]!, "fit").hasSuffix(against + "seed"))
        #expect(Self.line(outputs["a threshold"]!, "report").hasSuffix("hit   (entry from run \(runId))"))
        #expect(Self.line(outputs["the same steps in a second experiment file"]!, "fit").hasSuffix("hit   (entry from run \(runId) of edits)"))
        #expect(Self.line(outputs["a sweep's values"]!, "scaled-3").hasSuffix("(no earlier run of this step)"))
    }

    /// `--seeds N` computes a seed-fixed data step once; `seed: .run` redraws it per seed.
    @Test func seedFixedDataIsComputedOnceForSeveralSeeds() throws {
        let box = try Sandbox()
        try box.write("edits.swift", Self.original)
        try box.commitAll()
        let seeds = try box.lab("run", "edits.swift", "--seeds", "2")
        #expect(seeds.status == 0, "\(seeds.output)")
        #expect(seeds.output.components(separatedBy: "  ✓ data ").count == 3, "data listed once per seed: \(seeds.output)")
        #expect(seeds.cached.filter { $0 == "data" }.count == 1, "the second seed takes it from the cache: \(seeds.output)")
        #expect(seeds.ran.filter { $0 == "fit" }.count == 2, "fit runs for each seed: \(seeds.output)")
        try box.edit("edits.swift", replacing: "lab.data(\"data\") {", with: "lab.data(\"data\", seed: .run) {")
        let perSeed = try box.lab("run", "edits.swift", "--seed", "5")
        #expect(perSeed.ran.contains("data"), "\(perSeed.output)")
    }
}
