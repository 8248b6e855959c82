import Foundation
import Testing
@testable import Lab

/// The analyser on small sources: what each step's `source` part covers and which config
/// fields it reads. (The edit table in `CacheKeyEditTests` checks the same through `lab`.)
@Suite struct StepAnalysisTests {
    static let fields: Set<String> = ["size", "rate", "epochs", "scale"]

    /// The labels of the pieces a step covers (its own `(step)` and `(imports)` left out).
    func covered(_ source: String, line: Int, inputTypes: [String] = []) -> [String] {
        dependencies(source, line: line, inputTypes: inputTypes).pieces.map(\.label)
            .filter { $0 != "(step)" && $0 != "(imports)" }
    }

    func dependencies(_ source: String, line: Int, inputTypes: [String] = []) -> StepAnalysis.Dependencies {
        StepAnalysis(text: source, configType: "Config", fields: Self.fields).dependencies(line: line, inputTypes: inputTypes)
    }

    /// The line (1-based) of the first line of `source` containing `marker`.
    func line(_ source: String, _ marker: String) -> Int {
        (source.components(separatedBy: "\n").firstIndex { $0.contains(marker) } ?? -1) + 1
    }

    static let file = """
    import Lab

    struct Config: ExperimentConfig { var size = 8; var rate = 0.1; var epochs = 3; var scale = 2.0 }
    struct Points: Codable { var xs: [Double] }
    struct Summary: Codable { var total: Double }
    func square(_ x: Double) -> Double { x * x }
    func loss(_ w: Double, _ p: Points) -> Double { p.xs.map { square($0 - w) }.reduce(0, +) }
    func unused() -> Int { 42 }
    func describe(_ c: Config) -> String { "rate \\(c.rate)" }
    extension Double { var halved: Double { self / 2 } }
    let scales = [1.0, 2.0]

    let experiment = Experiment("small", config: Config()) { lab in
        lab.regression("report/total", .higherIsBetter, tolerance: 0.5)
        let offset = 1.0
        let data = lab.data("data") { ctx in Points(xs: (0..<ctx.config.size).map(Double.init)) }
        let fit = lab.step("fit", data) { ctx, points -> Double in loss(ctx.config.rate, points) }
        for scale in scales {
            lab.step("scaled-\\(Int(scale))", fit) { ctx, w in w.halved * scale }
        }
        lab.eval("report", fit) { ctx, w in
            ctx.metric("total", Summary(total: w * ctx.config.scale + offset).total)
            print(describe(ctx.config))
        }
    }
    Lab.main(experiment)
    """

    @Test func aStepCoversExactlyTheDeclarationsItReaches() {
        let file = Self.file
        // `Double` is the extension of Double: code that names the type may call what it adds.
        #expect(covered(file, line: line(file, "lab.data(")) == ["Double", "Points"])
        #expect(covered(file, line: line(file, "lab.step(\"fit\"")) == ["Double", "Points", "loss", "square"])
        #expect(covered(file, line: line(file, "scaled-")) == ["Double", "scales"], "the loop's header and the extension it calls")
        #expect(covered(file, line: line(file, "lab.eval(")) == ["Double", "Summary", "describe", "offset"],
                "not unused, not Points, not the steps it takes as inputs")
        #expect(covered(file, line: line(file, "scaled-"), inputTypes: ["Swift.Array<Experiment.Points>"]) == ["Double", "Points", "scales"],
                "an input's type reaches its declaration")
    }

    @Test func configReadsFollowTheHelpersAStepReaches() {
        let file = Self.file
        #expect(dependencies(file, line: line(file, "lab.data(")).configReads == ["size"])
        #expect(dependencies(file, line: line(file, "lab.step(\"fit\"")).configReads == ["rate"])
        #expect(dependencies(file, line: line(file, "scaled-")).configReads == [])
        #expect(dependencies(file, line: line(file, "lab.eval(")).configReads == ["scale", "rate"],
                "describe(ctx.config) reads c.rate, through its parameter of type Config")
    }

    @Test func proseCommentsLayoutOrderAndUnrelatedCodeDoNotChangeASource() {
        let file = Self.file
        let edited = file
            .replacingOccurrences(of: "func unused() -> Int { 42 }", with: "func unused() -> Int { 43 }\nfunc another() {}")
            .replacingOccurrences(of: "struct Points: Codable { var xs: [Double] }\n",
                                  with: "")
            .replacingOccurrences(of: "let scales = [1.0, 2.0]", with: "let scales = [1.0, 2.0]\n//: Prose.\n/// Points.\nstruct Points: Codable {\n    var xs: [Double]   // a comment\n}")
            .replacingOccurrences(of: "lab.regression(\"report/total\", .higherIsBetter, tolerance: 0.5)",
                                  with: "lab.regression(\"report/total\", .lowerIsBetter, tolerance: 0.1)")
        for marker in ["lab.data(", "lab.step(\"fit\"", "scaled-", "lab.eval("] {
            let types = ["Experiment.Points"]
            #expect(dependencies(file, line: line(file, marker), inputTypes: types)
                    == dependencies(edited, line: line(edited, marker), inputTypes: types), "\(marker)")
        }
    }

    @Test func aHelperEditChangesOnlyTheStepsThatReachIt() {
        let file = Self.file
        let edited = file.replacingOccurrences(of: "func square(_ x: Double) -> Double { x * x }",
                                               with: "func square(_ x: Double) -> Double { x * x * 1 }")
        func text(_ source: String, _ marker: String) -> String { dependencies(source, line: line(source, marker)).text }
        #expect(text(file, "lab.step(\"fit\"") != text(edited, "lab.step(\"fit\""))
        for marker in ["lab.data(", "scaled-", "lab.eval("] { #expect(text(file, marker) == text(edited, marker), "\(marker)") }
    }

    @Test func theConfigUsedWholeOrAComputedMemberIsUntracked() {
        let whole = Self.file.replacingOccurrences(of: "print(describe(ctx.config))", with: "let c = ctx.config; print(c)")
        let report = dependencies(whole, line: line(whole, "lab.eval("))
        #expect(report.configReads == nil)
        #expect(report.pieces.map(\.label).contains("Config"), "untracked reads cover the config type's own code too")
        let library = Self.file.replacingOccurrences(of: "print(describe(ctx.config))", with: "dump(ctx.config)")
        #expect(dependencies(library, line: line(library, "lab.eval(")).configReads == nil, "dump is not a function of the file")
        let computed = Self.file.replacingOccurrences(of: "ctx.config.scale", with: "ctx.config.doubled")
        #expect(dependencies(computed, line: line(computed, "lab.eval(")).configReads == nil)
    }

    @Test func aMutableGlobalOrAnUnknownLineFallsBackToTheWholeFile() {
        let global = Self.file.replacingOccurrences(of: "let scales = [1.0, 2.0]", with: "var scales = [1.0, 2.0]")
        let scaled = dependencies(global, line: line(global, "scaled-"))
        #expect(scaled.coarse?.contains("global var `scales`") == true, "\(scaled.coarse ?? "nil")")
        #expect(scaled.pieces.map(\.label).contains("unused"))
        #expect(dependencies(global, line: line(global, "lab.data(")).coarse == nil, "steps that do not reach it stay exact")
        #expect(dependencies(Self.file, line: 1).coarse?.contains("not found") == true)
        #expect(dependencies("let x = 1", line: 1).coarse?.contains("no `Experiment(") == true)
    }

    @Test func topLevelStatementsCountForEveryStep() {
        let file = Self.file.replacingOccurrences(of: "Lab.main(experiment)", with: "print(\"hello\")\nLab.main(experiment)")
        #expect(covered(file, line: line(file, "lab.data(")).contains("(top-level statements)"))
        #expect(!covered(Self.file, line: line(Self.file, "lab.data(")).contains("(top-level statements)"),
                "Lab.main(experiment) is not such a statement")
    }

    @Test func stepsInsideAnotherStatementTakeItAsTheirHeader() {
        let file = Self.file.replacingOccurrences(of: """
                for scale in scales {
                    lab.step("scaled-\\(Int(scale))", fit) { ctx, w in w.halved * scale }
                }
            """, with: """
                let scaled = scales.map { scale in lab.step("scaled-\\(Int(scale))", fit) { ctx, w in w.halved * scale } }
            """)
        #expect(covered(file, line: line(file, "scaled-")) == ["Double", "scales"])
        let edited = file.replacingOccurrences(of: "scales.map", with: "scales.reversed().map")
        #expect(dependencies(file, line: line(file, "scaled-")).text != dependencies(edited, line: line(edited, "scaled-")).text)
    }
}
