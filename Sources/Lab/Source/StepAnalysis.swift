internal import SwiftParser
internal import SwiftSyntax

/// What each step of an experiment file depends on, found by parsing the file with
/// swift-syntax: the step's own declaration (its call, model factory and body), the headers
/// of the loops and conditions around it, and exactly the top-level and experiment-local
/// declarations that it reaches, transitively, plus the config fields read along the way.
///
/// A step's `source` key part hashes that closure's normalized tokens, so prose, comments,
/// layout, declaration order and code that the step never reaches change nothing. Where the
/// analysis cannot be sure (a mutable global, a step call it cannot find) it falls back to
/// every declaration of the file and says why in ``Dependencies/coarse``.
///
/// Names are matched as tokens, not resolved by the type checker, so the closure may hold
/// more than the step needs (a local variable named like a helper pulls the helper in),
/// never less, as long as code is reached by name.
package struct StepAnalysis: Sendable {
    /// One declaration of the file (top level, or local to the experiment's closure).
    struct Declaration: Sendable {
        /// The names it declares (a type and its extensions share the type's name; an
        /// extension also declares its members' names).
        var names: [String]
        /// Its tokens without trivia: what the key hashes.
        var text: String
        /// Identifiers and operators its tokens mention.
        var references: Set<String>
        /// A type, a type alias or an extension (what an input's type can reach).
        var isType: Bool
        /// A top-level `var`: any code may change it, so a step that reaches it is keyed coarsely.
        var isMutableGlobal: Bool
        /// A local bound to a step's handle (`let data = lab.data(…)`): its step is an input, not code.
        var isStepHandle: Bool
        /// A function with a parameter of the config type.
        var takesConfig: Bool
        var configUse: ConfigUse
        /// What `--explain` calls it.
        var label: String { names.first ?? "?" }
    }

    /// The config fields a piece of code reads.
    struct ConfigUse: Sendable {
        var reads: Set<String> = []
        /// Why the reads cannot be tracked (the config used whole, a computed member), or nil.
        var untracked: String?
        /// Functions the config is passed to whole (`trainRun(ctx, ctx.config)`): tracked when
        /// each is a function of the file that takes the config type, whose reads then count.
        var passedTo: Set<String> = []

        mutating func merge(_ other: ConfigUse) {
            reads.formUnion(other.reads)
            passedTo.formUnion(other.passedTo)
            if untracked == nil { untracked = other.untracked }
        }
    }

    /// A step call found in the experiment's closure.
    package struct StepCall: Sendable {
        /// Lines the call spans (1-based).
        package var lines: ClosedRange<Int>
        /// The call's tokens, preceded by the headers of the loops and conditions around it.
        var text: String
        var references: Set<String>
        var configUse: ConfigUse
    }

    /// What one step's key covers.
    package struct Dependencies: Sendable, Equatable {
        /// (label, SHA-256 prefix) of each piece the closure holds, sorted: `(step)` for the
        /// step's own call and the headers around it, then declarations by name.
        package var pieces: [(label: String, digest: String)]
        /// The config fields read along the closure; nil when they cannot be tracked.
        package var configReads: Set<String>?
        /// Why the key fell back to every declaration of the file, or nil.
        package var coarse: String?
        /// The normalized text the `source` part hashes.
        package var text: String

        package static func == (a: Dependencies, b: Dependencies) -> Bool {
            a.text == b.text && a.configReads == b.configReads && a.coarse == b.coarse
        }
    }

    private(set) var declarations: [Declaration] = []
    private(set) var locals: [Declaration] = []
    package private(set) var calls: [StepCall] = []
    /// Top-level and experiment-closure statements that are neither declarations, steps nor
    /// metadata (`lab.regression`): every step's key holds them.
    private(set) var statements: [String] = []
    private(set) var imports: [String] = []
    /// The config type's declaration (its values are the `config` part; its code counts only
    /// where reads cannot be tracked).
    private(set) var configDeclaration: Declaration?
    /// Why the file's experiment closure was not understood, or nil.
    private(set) var failure: String?
    private let configTypeName: String

    private static let stepMethods: Set<String> = ["data", "train", "eval", "step"]

    /// Parses `text`, the experiment file; `configType` is the config's type name and
    /// `fields` its stored fields.
    package init(text: String, configType: String, fields: Set<String>) {
        configTypeName = configType
        let tree = Parser.parse(source: text)
        let converter = SourceLocationConverter(fileName: "experiment.swift", tree: tree)
        var context = Walker(configType: configType, fields: fields, converter: converter)
        var sawExperiment = false
        for item in tree.statements {
            let node = Syntax(item.item)
            if let importDecl = node.as(ImportDeclSyntax.self) {
                imports.append(Self.tokens(importDecl))
                continue
            }
            if let closure = Self.experimentClosure(in: node), !sawExperiment {
                sawExperiment = true
                context.walkExperiment(closure)
                continue
            }
            if let decl = node.as(DeclSyntax.self) {
                let declaration = context.declaration(decl, local: false)
                if declaration.names.contains(configType) && Self.isTypeDeclaration(decl) {
                    configDeclaration = declaration
                } else {
                    declarations.append(declaration)
                }
                continue
            }
            if Self.isMainCall(node) { continue }
            statements.append(Self.tokens(node))
        }
        locals = context.locals
        calls = context.calls
        statements += context.statements
        if !sawExperiment { failure = "no `Experiment(…) { lab in … }` declaration was found" }
    }

    /// The dependencies of the step declared at `line` (the step's `#line`), whose inputs'
    /// output types are named `inputTypes` (as `String(reflecting:)` spells them).
    package func dependencies(line: Int, inputTypes: [String]) -> Dependencies {
        if let failure { return coarse(reason: failure) }
        guard let call = calls.filter({ $0.lines.contains(line) }).min(by: { $0.lines.count < $1.lines.count }) else {
            return coarse(reason: "the step declared at line \(line) was not found in the parsed file")
        }
        var included: [Int: Bool] = [:]   // index (locals offset by declarations.count) → seen
        var pending = Array(call.references)
        var typeRoots = inputTypes.flatMap(Self.identifiers(in:))
        var config = call.configUse
        let all = declarations + locals
        var byName: [String: [Int]] = [:]
        for (index, declaration) in all.enumerated() where !declaration.isStepHandle {
            for name in declaration.names { byName[name, default: []].append(index) }
        }
        func include(_ index: Int) {
            guard included[index] == nil else { return }
            included[index] = true
            pending.append(contentsOf: all[index].references)
            config.merge(all[index].configUse)
        }
        while !typeRoots.isEmpty {
            for index in byName[typeRoots.removeLast()] ?? [] where all[index].isType { include(index) }
        }
        while let name = pending.popLast() {
            for index in byName[name] ?? [] { include(index) }
        }
        for callee in config.passedTo.sorted() where config.untracked == nil {
            if !included.keys.contains(where: { all[$0].takesConfig && all[$0].names.contains(callee) }) {
                config.untracked = "it passes the config to `\(callee)`, which is not a function of this file taking \(configTypeName)"
            }
        }
        if let global = included.keys.sorted().first(where: { all[$0].isMutableGlobal }) {
            return coarse(reason: "it reaches the global var `\(all[global].label)`, which any code may change")
        }
        return Self.dependencies(own: call.text, declarations: included.keys.sorted().map { all[$0] },
                                 statements: statements, imports: imports, config: config,
                                 configDeclaration: configDeclaration, coarse: nil)
    }

    /// Every declaration and statement of the file: the safe key where the analysis cannot be sure.
    private func coarse(reason: String) -> Dependencies {
        var config = ConfigUse()
        for declaration in declarations + locals { config.merge(declaration.configUse) }
        for call in calls { config.merge(call.configUse) }
        return Self.dependencies(own: calls.map(\.text).joined(separator: "\n"), declarations: declarations + locals,
                                 statements: statements, imports: imports, config: config,
                                 configDeclaration: configDeclaration, coarse: reason)
    }

    private static func dependencies(own: String, declarations: [Declaration], statements: [String], imports: [String],
                                      config: ConfigUse, configDeclaration: Declaration?, coarse: String?) -> Dependencies {
        var pieces: [(label: String, text: String)] = [("(step)", own)]
        if !imports.isEmpty { pieces.append(("(imports)", imports.sorted().joined(separator: "\n"))) }
        if !statements.isEmpty { pieces.append(("(top-level statements)", statements.joined(separator: "\n"))) }
        if config.untracked != nil, let configDeclaration {
            pieces.append((configDeclaration.label, configDeclaration.text))
        }
        // Declarations by name, so that reordering them changes nothing; one name's pieces are joined.
        var byLabel: [String: [String]] = [:]
        for declaration in declarations { byLabel[declaration.label, default: []].append(declaration.text) }
        for label in byLabel.keys.sorted() { pieces.append((label, byLabel[label]!.sorted().joined(separator: "\n"))) }
        let text = pieces.map { "\($0.label)\n\($0.text)" }.joined(separator: "\n\n")
        return Dependencies(pieces: pieces.map { ($0.label, String(sha256Hex($0.text).prefix(12))) },
                            configReads: config.untracked == nil ? config.reads : nil, coarse: coarse, text: text)
    }

    // MARK: syntax helpers

    /// A node's tokens without trivia (comments, prose, whitespace), separated by one space.
    static func tokens(_ node: some SyntaxProtocol) -> String {
        node.tokens(viewMode: .sourceAccurate).map(\.text).joined(separator: " ")
    }

    /// Identifiers and operators among a node's tokens.
    static func references(_ node: some SyntaxProtocol) -> Set<String> {
        var names = Set<String>()
        for token in node.tokens(viewMode: .sourceAccurate) {
            switch token.tokenKind {
            case .identifier, .binaryOperator, .prefixOperator, .postfixOperator: names.insert(token.identifierText)
            default: break
            }
        }
        return names
    }

    /// The identifiers of a type's name as `String(reflecting:)` spells it (`Swift.Array<Experiment.Run>`).
    static func identifiers(in typeName: String) -> [String] {
        typeName.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).map(String.init)
    }

    private static func isTypeDeclaration(_ decl: DeclSyntax) -> Bool {
        decl.is(StructDeclSyntax.self) || decl.is(ClassDeclSyntax.self) || decl.is(EnumDeclSyntax.self)
            || decl.is(ActorDeclSyntax.self) || decl.is(TypeAliasDeclSyntax.self) || decl.is(ExtensionDeclSyntax.self)
            || decl.is(ProtocolDeclSyntax.self)
    }

    /// The trailing closure of `Experiment(…) { lab in … }` when `node` declares the experiment.
    private static func experimentClosure(in node: Syntax) -> ClosureExprSyntax? {
        guard let variable = node.as(VariableDeclSyntax.self) else { return nil }
        for binding in variable.bindings {
            guard var expression = binding.initializer?.value else { continue }
            if let tryExpr = expression.as(TryExprSyntax.self) { expression = tryExpr.expression }
            guard let call = expression.as(FunctionCallExprSyntax.self),
                  call.calledExpression.as(DeclReferenceExprSyntax.self)?.baseName.text == "Experiment" else { continue }
            if let closure = call.trailingClosure { return closure }
            if let closure = call.arguments.last?.expression.as(ClosureExprSyntax.self) { return closure }
        }
        return nil
    }

    /// `Lab.main(experiment)` or `main(experiment)`.
    private static func isMainCall(_ node: Syntax) -> Bool {
        var expression = node.as(ExprSyntax.self) ?? node.as(ExpressionStmtSyntax.self)?.expression
        if let tryExpr = expression?.as(TryExprSyntax.self) { expression = tryExpr.expression }
        guard let call = expression?.as(FunctionCallExprSyntax.self) else { return false }
        let callee = tokens(call.calledExpression)
        return callee == "Lab . main" || callee == "main"
    }

    /// The walk over declarations and the experiment's closure.
    private struct Walker {
        let configType: String
        let fields: Set<String>
        let converter: SourceLocationConverter
        var labName = "lab"
        var locals: [Declaration] = []
        var calls: [StepCall] = []
        var statements: [String] = []

        init(configType: String, fields: Set<String>, converter: SourceLocationConverter) {
            self.configType = configType
            self.fields = fields
            self.converter = converter
        }

        mutating func walkExperiment(_ closure: ClosureExprSyntax) {
            if let parameters = closure.signature?.parameterClause {
                switch parameters {
                case .simpleInput(let list): labName = list.first?.name.text ?? "$0"
                case .parameterClause(let clause): labName = clause.parameters.first.map { ($0.secondName ?? $0.firstName).text } ?? "$0"
                }
            } else {
                labName = "$0"
            }
            walk(closure.statements, headers: [])
        }

        private mutating func walk(_ items: CodeBlockItemListSyntax, headers: [String]) {
            for item in items { walk(Syntax(item.item), headers: headers) }
        }

        private mutating func walk(_ node: Syntax, headers: [String]) {
            let found = stepCalls(in: node)
            let inner = node.as(ExpressionStmtSyntax.self).map { Syntax($0.expression) } ?? node
            if found.isEmpty {
                if isLabCall(inner) { return }   // lab.regression(…): metadata, not computation
                if let decl = node.as(DeclSyntax.self) {
                    locals.append(declaration(decl, local: true))
                } else {
                    statements.append(StepAnalysis.tokens(node))
                }
                return
            }
            if let loop = inner.as(ForStmtSyntax.self) {
                var header = "for " + StepAnalysis.tokens(loop.pattern) + " in " + StepAnalysis.tokens(loop.sequence)
                if let clause = loop.whereClause { header += " " + StepAnalysis.tokens(clause) }
                let (refs, use) = references(of: [Syntax(loop.pattern), Syntax(loop.sequence)] + (loop.whereClause.map { [Syntax($0)] } ?? []))
                walk(loop.body.statements, headers: headers + [header], refs: refs, use: use)
                return
            }
            if let branch = inner.as(IfExprSyntax.self) {
                walkIf(branch, headers: headers)
                return
            }
            let ids = Set(found.map(\.id))
            if let decl = node.as(VariableDeclSyntax.self) {
                // `let data = lab.data(…) { … }`: the names are step handles, inputs rather than code.
                var handle = declaration(DeclSyntax(decl), local: true)
                handle.isStepHandle = true
                locals.append(handle)
                let direct = decl.bindings.count == 1 && decl.bindings.first?.initializer.map { ids.contains(Self.unwrapped($0.value).id) } == true
                if direct {
                    record(found[0], headers: headers, refs: [], use: ConfigUse())
                    return
                }
            } else if let expression = inner.as(ExprSyntax.self).map(Self.unwrapped) {
                // `lab.train(…)` alone, or passed straight to a call (`runs.append(lab.train(…))`).
                let direct = expression.as(FunctionCallExprSyntax.self).map { call in
                    Set(call.arguments.map { Self.unwrapped($0.expression).id }).isSuperset(of: ids)
                } ?? false
                if ids.contains(expression.id) || direct {
                    for call in found { record(call, headers: headers, refs: [], use: ConfigUse()) }
                    return
                }
            }
            // Some other statement holds the steps (`sizes.map { lab.train(…) }`, a while loop, a
            // switch): the whole statement is their header.
            let (refs, use) = references(of: [node])
            for call in found { record(call, headers: headers + [StepAnalysis.tokens(node)], refs: refs, use: use) }
        }

        private var extraRefs: Set<String> = []
        private var extraUse = ConfigUse()

        private mutating func walk(_ items: CodeBlockItemListSyntax, headers: [String], refs: Set<String>, use: ConfigUse) {
            let (savedRefs, savedUse) = (extraRefs, extraUse)
            extraRefs.formUnion(refs)
            extraUse.merge(use)
            walk(items, headers: headers)
            (extraRefs, extraUse) = (savedRefs, savedUse)
        }

        private mutating func walkIf(_ branch: IfExprSyntax, headers: [String]) {
            let header = "if " + StepAnalysis.tokens(branch.conditions)
            let (refs, use) = references(of: [Syntax(branch.conditions)])
            walk(branch.body.statements, headers: headers + [header], refs: refs, use: use)
            switch branch.elseBody {
            case .ifExpr(let next)?:
                let (savedRefs, savedUse) = (extraRefs, extraUse)
                extraRefs.formUnion(refs)
                extraUse.merge(use)
                walkIf(next, headers: headers + ["else of " + header])
                (extraRefs, extraUse) = (savedRefs, savedUse)
            case .codeBlock(let block)?:
                walk(block.statements, headers: headers + ["else of " + header], refs: refs, use: use)
            case nil:
                break
            }
        }

        private func references(of nodes: [Syntax]) -> (Set<String>, ConfigUse) {
            var refs = Set<String>()
            var use = ConfigUse()
            for node in nodes {
                refs.formUnion(StepAnalysis.references(node))
                use.merge(configUse(in: node, extraNames: []))
            }
            return (refs, use)
        }

        private mutating func record(_ call: FunctionCallExprSyntax, headers: [String], refs: Set<String>, use: ConfigUse) {
            let start = converter.location(for: call.positionAfterSkippingLeadingTrivia).line
            let end = converter.location(for: call.endPositionBeforeTrailingTrivia).line
            var configUse = configUse(in: Syntax(call), extraNames: [])
            configUse.merge(use)
            configUse.merge(extraUse)
            calls.append(StepCall(lines: start...max(start, end),
                                  text: (headers + [StepAnalysis.tokens(call)]).joined(separator: "\n"),
                                  references: StepAnalysis.references(call).union(refs).union(extraRefs),
                                  configUse: configUse))
        }

        /// `lab.NAME(…)` calls in `node` whose NAME declares a step.
        private func stepCalls(in node: Syntax) -> [FunctionCallExprSyntax] {
            final class Finder: SyntaxVisitor {
                let labName: String
                var found: [FunctionCallExprSyntax] = []
                init(labName: String) { self.labName = labName; super.init(viewMode: .sourceAccurate) }
                override func visit(_ node: FunctionCallExprSyntax) -> SyntaxVisitorContinueKind {
                    if let member = node.calledExpression.as(MemberAccessExprSyntax.self),
                       member.base?.as(DeclReferenceExprSyntax.self)?.baseName.text == labName,
                       StepAnalysis.stepMethods.contains(member.declName.baseName.text) {
                        found.append(node)
                        return .skipChildren
                    }
                    return .visitChildren
                }
            }
            let finder = Finder(labName: labName)
            finder.walk(node)
            return finder.found
        }

        /// `lab.NAME(…)`: a call on the experiment's handle that declares no step (metadata).
        private func isLabCall(_ node: Syntax) -> Bool {
            guard let call = node.as(FunctionCallExprSyntax.self),
                  let member = call.calledExpression.as(MemberAccessExprSyntax.self) else { return false }
            return member.base?.as(DeclReferenceExprSyntax.self)?.baseName.text == labName
        }

        private static func unwrapped(_ expression: ExprSyntax?) -> ExprSyntax? {
            var expression = expression
            while let inner = expression?.as(TryExprSyntax.self)?.expression ?? expression?.as(AwaitExprSyntax.self)?.expression {
                expression = inner
            }
            return expression
        }

        private static func unwrapped(_ expression: ExprSyntax) -> ExprSyntax { unwrapped(Optional(expression))! }

        /// One declaration: its names, tokens, references and config reads.
        func declaration(_ decl: DeclSyntax, local: Bool) -> Declaration {
            var names: [String] = []
            var isType = false
            var isMutable = false
            if let f = decl.as(FunctionDeclSyntax.self) {
                names = [f.name.identifierText]
            } else if let s = decl.as(StructDeclSyntax.self) {
                names = [s.name.identifierText]; isType = true
            } else if let c = decl.as(ClassDeclSyntax.self) {
                names = [c.name.identifierText]; isType = true
            } else if let e = decl.as(EnumDeclSyntax.self) {
                names = [e.name.identifierText]; isType = true
            } else if let a = decl.as(ActorDeclSyntax.self) {
                names = [a.name.identifierText]; isType = true
            } else if let p = decl.as(ProtocolDeclSyntax.self) {
                names = [p.name.identifierText]; isType = true
            } else if let t = decl.as(TypeAliasDeclSyntax.self) {
                names = [t.name.identifierText]; isType = true
            } else if let x = decl.as(ExtensionDeclSyntax.self) {
                // Keyed by the extended type's name and by every member it adds, so that a
                // step calling an added method (`tensor.normalized()`) reaches it.
                names = StepAnalysis.identifiers(in: StepAnalysis.tokens(x.extendedType)).filter { $0 != "where" }
                for member in x.memberBlock.members { names += Self.memberNames(member.decl) }
                isType = true
            } else if let v = decl.as(VariableDeclSyntax.self) {
                for binding in v.bindings { names += StepAnalysis.references(binding.pattern).sorted() }
                isMutable = !local && v.bindingSpecifier.tokenKind == .keyword(.var)
            } else if let o = decl.as(OperatorDeclSyntax.self) {
                names = [o.name.text]
            } else if let p = decl.as(PrecedenceGroupDeclSyntax.self) {
                names = [p.name.text]
            } else if let i = decl.as(IfConfigDeclSyntax.self) {
                // #if … #endif: everything it declares, as one piece.
                final class Names: SyntaxVisitor {
                    var names: [String] = []
                    override func visit(_ node: FunctionDeclSyntax) -> SyntaxVisitorContinueKind { names.append(node.name.identifierText); return .visitChildren }
                    override func visit(_ node: StructDeclSyntax) -> SyntaxVisitorContinueKind { names.append(node.name.identifierText); return .visitChildren }
                    override func visit(_ node: ClassDeclSyntax) -> SyntaxVisitorContinueKind { names.append(node.name.identifierText); return .visitChildren }
                    override func visit(_ node: EnumDeclSyntax) -> SyntaxVisitorContinueKind { names.append(node.name.identifierText); return .visitChildren }
                    override func visit(_ node: IdentifierPatternSyntax) -> SyntaxVisitorContinueKind { names.append(node.identifier.identifierText); return .visitChildren }
                }
                let visitor = Names(viewMode: .sourceAccurate)
                visitor.walk(i)
                names = visitor.names
                isType = true
            }
            if names.isEmpty { names = ["(declaration at line \(converter.location(for: decl.positionAfterSkippingLeadingTrivia).line))"] }
            var configNames = Set<String>()
            if let f = decl.as(FunctionDeclSyntax.self) {
                for parameter in f.signature.parameterClause.parameters
                where StepAnalysis.identifiers(in: StepAnalysis.tokens(parameter.type)).contains(configType) {
                    configNames.insert((parameter.secondName ?? parameter.firstName).identifierText)
                }
            }
            return Declaration(names: names, text: StepAnalysis.tokens(decl), references: StepAnalysis.references(decl),
                               isType: isType, isMutableGlobal: isMutable, isStepHandle: false, takesConfig: !configNames.isEmpty,
                               configUse: configUse(in: Syntax(decl), extraNames: configNames))
        }

        private static func memberNames(_ decl: DeclSyntax) -> [String] {
            if let f = decl.as(FunctionDeclSyntax.self) { return [f.name.identifierText] }
            if let v = decl.as(VariableDeclSyntax.self) { return v.bindings.flatMap { StepAnalysis.references($0.pattern).sorted() } }
            if let s = decl.as(StructDeclSyntax.self) { return [s.name.identifierText] }
            if let e = decl.as(EnumDeclSyntax.self) { return [e.name.identifierText] }
            if let c = decl.as(ClassDeclSyntax.self) { return [c.name.identifierText] }
            if let t = decl.as(TypeAliasDeclSyntax.self) { return [t.name.identifierText] }
            return []
        }

        /// The config fields `node` reads: `config.NAME` or `ctx.config.NAME` (and `NAME.x`
        /// for each of `extraNames`, parameters typed as the config). The config passed whole to
        /// a function of the file is tracked there; used any other way, reads are untracked.
        func configUse(in node: Syntax, extraNames: Set<String>) -> ConfigUse {
            final class Reads: SyntaxVisitor {
                let names: Set<String>
                let fields: Set<String>
                let configType: String
                var use = ConfigUse()
                init(names: Set<String>, fields: Set<String>, configType: String) {
                    self.names = names; self.fields = fields; self.configType = configType
                    super.init(viewMode: .sourceAccurate)
                }
                override func visit(_ node: DeclReferenceExprSyntax) -> SyntaxVisitorContinueKind {
                    let name = node.baseName.identifierText
                    if name == configType {
                        // `Config()` or `Config.member`: the declared defaults, not this run's values.
                        if use.untracked == nil { use.untracked = "it uses the type \(configType) itself" }
                        return .skipChildren
                    }
                    guard names.contains(name) else { return .visitChildren }
                    var expression = Syntax(node)
                    if let member = node.parent?.as(MemberAccessExprSyntax.self), member.declName.id == node.id {
                        // `ctx.config`, `something.config`: the access is the config value;
                        // a bare member name `.config` elsewhere (`x.config` with x not a context) is the same shape.
                        expression = Syntax(member)
                    }
                    if let outer = expression.parent?.as(MemberAccessExprSyntax.self), outer.base?.id == expression.id {
                        let field = outer.declName.baseName.identifierText
                        if fields.contains(field) {
                            use.reads.insert(field)
                        } else if use.untracked == nil {
                            use.untracked = "it reads config.\(field), which is not a stored field"
                        }
                        return .skipChildren
                    }
                    if let argument = expression.parent?.as(LabeledExprSyntax.self),
                       let call = argument.parent?.parent?.as(FunctionCallExprSyntax.self),
                       let callee = call.calledExpression.as(DeclReferenceExprSyntax.self) {
                        // Passed whole to a plain function call: tracked when the callee is a function
                        // of the file taking the config type (checked once the closure is known).
                        use.passedTo.insert(callee.baseName.identifierText)
                        return .skipChildren
                    }
                    if use.untracked == nil { use.untracked = "it uses the config whole" }
                    return .skipChildren
                }
            }
            let visitor = Reads(names: extraNames.union(["config"]), fields: fields, configType: configType)
            visitor.walk(node)
            return visitor.use
        }
    }
}

private extension TokenSyntax {
    /// The identifier without backticks.
    var identifierText: String {
        let text = self.text
        return text.hasPrefix("`") && text.hasSuffix("`") && text.count > 1 ? String(text.dropFirst().dropLast()) : text
    }
}
