import Foundation
import Testing

/// Every `lab …` command that a message or the documentation tells the user to run exists:
/// the store's "no run" error once sent users to `lab runs`, which never existed.
@Suite struct CommandNamesTests {
    /// The commands `lab --help` lists (and `help`), each with its own subcommands; asked once.
    static let known = Result { try listCommands() }
    static func commands() throws -> [String: Set<String>] { try known.get() }

    static func listCommands() throws -> [String: Set<String>] {
        let sandbox = try Sandbox(git: false)
        func subcommands(_ arguments: [String]) throws -> Set<String> {
            let help = try sandbox.run(Sandbox.lab, arguments + ["--help"]).output
            guard let section = help.components(separatedBy: "SUBCOMMANDS:").dropFirst().first else { return [] }
            var names: Set<String> = []
            // "  name   abstract" lines (an abstract's continuation is indented further), up to the blank line.
            for line in section.split(separator: "\n", omittingEmptySubsequences: false).dropFirst() {
                if line.trimmingCharacters(in: .whitespaces).isEmpty { break }
                if line.hasPrefix("  "), !line.hasPrefix("   "), let word = line.split(separator: " ").first { names.insert(String(word)) }
            }
            return names
        }
        var commands: [String: Set<String>] = ["help": []]
        for name in try subcommands([]) { commands[name] = try subcommands([name]) }
        return commands
    }

    /// The text of every string literal in a Swift file (interpolations left out), with its line.
    static func stringLiterals(_ source: String) -> [(line: Int, text: String)] {
        let s = Array(source.unicodeScalars)
        var literals: [(line: Int, text: String)] = []
        var i = 0, line = 1
        func at(_ j: Int, _ text: String) -> Bool {
            let t = Array(text.unicodeScalars)
            return j + t.count <= s.count && Array(s[j..<(j + t.count)]) == t
        }
        while i < s.count {
            if s[i] == "\n" { line += 1; i += 1; continue }
            if at(i, "//") { while i < s.count, s[i] != "\n" { i += 1 }; continue }
            if at(i, "/*") {
                i += 2
                while i < s.count, !at(i, "*/") { if s[i] == "\n" { line += 1 }; i += 1 }
                i += 2; continue
            }
            var hashes = 0
            while at(i + hashes, "#") { hashes += 1 }
            guard at(i + hashes, "\"") else { i += max(1, hashes); continue }
            let multiline = at(i + hashes, "\"\"\"")
            let close = (multiline ? "\"\"\"" : "\"") + String(repeating: "#", count: hashes)
            let escape = "\\" + String(repeating: "#", count: hashes)
            i += hashes + (multiline ? 3 : 1)
            let start = line
            var text = String.UnicodeScalarView()
            while i < s.count, !at(i, close) {
                if at(i, escape + "(") {  // an interpolation: code, skipped to its closing parenthesis
                    i += escape.unicodeScalars.count + 1
                    var depth = 1
                    while i < s.count, depth > 0 {
                        if s[i] == "(" { depth += 1 } else if s[i] == ")" { depth -= 1 } else if s[i] == "\n" { line += 1 }
                        i += 1
                    }
                    text.append(" ")
                    continue
                }
                if at(i, escape) { i += escape.unicodeScalars.count; if i < s.count { text.append(s[i]); i += 1 }; continue }
                if s[i] == "\n" { line += 1 }
                text.append(s[i]); i += 1
            }
            i += close.unicodeScalars.count
            literals.append((start, String(text)))
        }
        return literals
    }

    /// `lab WORD [WORD]` in `text`; `lab in` is the experiment builder's closure
    /// (`Experiment("x", config: Config()) { lab in … }`), not a command.
    static func mentions(_ text: String) -> [[String]] {
        let regex = try! NSRegularExpression(pattern: #"(?<![A-Za-z0-9_./-])lab (?!in\b)([a-z][a-z0-9-]*)(?: ([a-z][a-z0-9-]*))?"#)
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { match in
            (1..<match.numberOfRanges).compactMap { match.range(at: $0).location == NSNotFound ? nil : ns.substring(with: match.range(at: $0)) }
        }
    }

    /// What is wrong with a mention, or nil when the command exists.
    static func problem(_ words: [String], commands: [String: Set<String>]) -> String? {
        guard let sub = commands[words[0]] else { return "`lab \(words[0])` is not a command (commands: \(commands.keys.sorted().joined(separator: ", ")))" }
        if !sub.isEmpty, words.count > 1, !sub.contains(words[1]) {
            return "`lab \(words[0]) \(words[1])` is not a command (lab \(words[0]) has: \(sub.sorted().joined(separator: ", ")))"
        }
        return nil
    }

    @Test func theScannerFindsLiteralsAndSkipsCommentsAndInterpolations() {
        let source = """
            // "lab nope" in a comment
            let a = "Run `lab ls` to list \\(f("lab inner")) runs"
            let b = #"raw "lab show" text"#
            let c = \"\"\"
                lab report
                \"\"\"
            """
        let texts = Self.stringLiterals(source).map(\.text)
        #expect(texts.flatMap(Self.mentions) == [["ls"], ["show"], ["report"]], "\(texts)")
        #expect(Self.problem(["runs"], commands: ["ls": []]) == "`lab runs` is not a command (commands: ls)")
        #expect(Self.mentions("Experiment(\"x\", config: Config()) { lab in … } then lab ls") == [["ls"]])
        #expect(Self.problem(["cache", "gc"], commands: ["cache": ["gc", "ls"]]) == nil)
        #expect(Self.problem(["cache", "prune"], commands: ["cache": ["gc", "ls"]]) != nil)
    }

    @Test func everyCommandTheSourcesNameExists() throws {
        let commands = try Self.commands()
        #expect(Set(commands.keys).isSuperset(of: ["run", "build", "ls", "show", "compare", "report", "pr-report", "cache", "help"]), "\(commands)")
        #expect(commands["cache"]?.isSuperset(of: ["ls", "du", "gc", "verify"]) == true, "\(commands)")
        let sources = Sandbox.packageRoot.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        #expect(files.count > 50)
        var checked = 0
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for literal in Self.stringLiterals(text) {
                for words in Self.mentions(literal.text) {
                    checked += 1
                    if let problem = Self.problem(words, commands: commands) {
                        Issue.record("\(file.path.dropFirst(Sandbox.packageRoot.path.count + 1)):\(literal.line): \(problem)")
                    }
                }
            }
        }
        #expect(checked > 10, "the scan found the messages that name commands")
    }

    /// Inline code and shell blocks of README.md and ARCHITECTURE.md.
    @Test func everyCommandTheDocumentationNamesExists() throws {
        let commands = try Self.commands()
        for name in ["README.md", "ARCHITECTURE.md"] {
            let text = try String(contentsOf: Sandbox.packageRoot.appendingPathComponent(name), encoding: .utf8)
            var inShell = false, fence = false
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if line.hasPrefix("```") { fence.toggle(); inShell = fence && ["```sh", "```bash", "```console", "```"].contains(line.trimmingCharacters(in: .whitespaces)); continue }
                var spans: [String] = []
                if inShell { spans.append(line.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "$ ", with: "")) }
                else if !fence { spans += line.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) } }
                for span in spans where span.hasPrefix("lab ") {
                    for words in Self.mentions(span).prefix(1) {
                        if let problem = Self.problem(words, commands: commands) { Issue.record("\(name):\(number + 1): \(problem)") }
                    }
                }
            }
        }
    }
}
