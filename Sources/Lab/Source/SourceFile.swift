import Foundation

/// The experiment's own source file, read once: its prose blocks, each step's source
/// text, and the normalized forms the cache key hashes.
package struct SourceFile: Sendable {
    /// The file's path, as the experiment was compiled from it.
    package let path: String
    /// The file's lines, without line breaks.
    package let lines: [String]

    /// A prose block (`//:` lines or a `/*: … */` block) with the line it starts on.
    package struct Prose: Sendable, Equatable {
        /// The line the block starts on (1-based).
        package let line: Int
        /// The block's Markdown, without the `//:` or `/*:` markers.
        package let markdown: String
    }

    /// Reads the file at `path`; throws ``LabError/sourceUnavailable(path:)`` when it cannot.
    package init(path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw LabError.sourceUnavailable(path: path)
        }
        self.init(path: path, text: text)
    }

    /// The experiment file at `path` as its binary was compiled from (embedded by `lab`), or
    /// as it is on disk for a binary built without it.
    static func compiled(path: String) throws -> SourceFile {
        if let text = MainGuard.compiledSource(of: path) { return SourceFile(path: path, text: text) }
        return try SourceFile(path: path)
    }

    /// A source file of `text`, named `path`.
    package init(path: String, text: String) {
        self.path = path
        self.lines = text.components(separatedBy: "\n")
    }

    /// Prose in file order: consecutive `//:` lines form one block; so does each `/*: … */`.
    package var prose: [Prose] {
        var blocks: [Prose] = []
        var current: [String] = []
        var start = 0
        var inBlock = false
        func flush() {
            if !current.isEmpty { blocks.append(Prose(line: start, markdown: current.joined(separator: "\n"))) }
            current = []
        }
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let number = index + 1
            if inBlock {
                if let end = line.range(of: "*/") {
                    let before = String(line[..<end.lowerBound])
                    if !before.isEmpty { current.append(before) }
                    inBlock = false
                    flush()
                } else {
                    current.append(raw.hasPrefix(" ") || raw.hasPrefix("\t") ? Self.dedent(raw) : raw)
                }
            } else if line.hasPrefix("/*:") {
                flush()
                start = number
                let rest = String(line.dropFirst(3))
                if let end = rest.range(of: "*/") {
                    current.append(String(rest[..<end.lowerBound]).trimmingCharacters(in: .whitespaces))
                    flush()
                } else {
                    if !rest.trimmingCharacters(in: .whitespaces).isEmpty { current.append(rest.trimmingCharacters(in: .whitespaces)) }
                    inBlock = true
                }
            } else if line.hasPrefix("//:") {
                if current.isEmpty { start = number }
                var text = String(line.dropFirst(3))
                if text.hasPrefix(" ") { text.removeFirst() }
                current.append(text)
            } else {
                flush()
            }
        }
        flush()
        return blocks
    }

    private static func dedent(_ s: String) -> String {
        String(s.drop(while: { $0 == " " || $0 == "\t" }))
    }

    /// The lines of the statement that starts on `line` (1-based): from that line to the
    /// end of its last closing brace, found by matching brackets outside strings and comments.
    package func statementRange(startingAt line: Int) -> ClosedRange<Int> {
        guard line >= 1, line <= lines.count else { return line...line }
        var depth = 0
        var sawBrace = false
        var scanner = SwiftScanner()
        for index in (line - 1)..<lines.count {
            for token in scanner.structuralCharacters(in: lines[index]) {
                switch token {
                case "(", "[": depth += 1
                case "{": depth += 1; sawBrace = true
                case ")", "]", "}": depth -= 1
                default: break
                }
            }
            if sawBrace && depth <= 0 {
                // A statement continues when the next code line starts with `.` (a chained call).
                let next = lines.dropFirst(index + 1).first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                if let next, next.trimmingCharacters(in: .whitespaces).hasPrefix(".") { continue }
                return line...(index + 1)
            }
        }
        return line...lines.count
    }

    /// The source text of lines `range`, as written.
    package func text(_ range: ClosedRange<Int>) -> String {
        lines[(range.lowerBound - 1)..<min(range.upperBound, lines.count)].joined(separator: "\n")
    }

    /// `text` without comments (prose included) and without whitespace outside string literals:
    /// what the cache key hashes, so that editing prose, comments or layout changes nothing.
    package static func normalize(_ text: String) -> String {
        var scanner = SwiftScanner()
        return text.components(separatedBy: "\n").map { scanner.code(in: $0) }.joined()
    }

    /// The file's code outside the given step ranges and outside the config type's declaration,
    /// normalized: helpers and shared declarations that every step may depend on.
    package func sharedCode(excluding ranges: [ClosedRange<Int>], configType: String?) -> String {
        var excluded = ranges
        if let configType, let start = lines.firstIndex(where: {
            let t = $0.trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("struct \(configType)") || t.hasPrefix("public struct \(configType)")
                || t.hasPrefix("final class \(configType)")
        }) {
            excluded.append(statementRange(startingAt: start + 1))
        }
        let kept = lines.enumerated().filter { index, _ in !excluded.contains { $0.contains(index + 1) } }.map(\.element)
        return Self.normalize(kept.joined(separator: "\n"))
    }

    /// The config fields a step's source reads as `config.NAME`, or nil when its reads cannot
    /// be tracked (the config is used whole, or a member that is not a stored field is read).
    /// `config:` (an argument label or a parameter's declaration) is not a read.
    package static func configReads(in normalizedSource: String, fields: Set<String>) -> Set<String>? {
        var reads = Set<String>()
        var rest = Substring(normalizedSource)
        while let range = rest.range(of: "config") {
            let before = range.lowerBound > rest.startIndex ? rest[rest.index(before: range.lowerBound)] : " "
            let after = rest[range.upperBound...]
            rest = after
            // Part of a longer identifier (`myconfig`, `configuration`)?
            if before.isLetter || before.isNumber || before == "_" { continue }
            if let next = after.first, next.isLetter || next.isNumber || next == "_" { continue }
            if after.hasPrefix(":") { continue }             // `config:` names a parameter; its uses are scanned
            guard after.hasPrefix(".") else { return nil }   // used whole: reads cannot be tracked
            let name = after.dropFirst().prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            guard fields.contains(String(name)) else { return nil }
            reads.insert(String(name))
        }
        return reads
    }
}

/// A line-by-line scanner of Swift text that knows string literals and comments.
struct SwiftScanner {
    private var inBlockComment = 0
    private var inMultilineString = false
    private var lastCode: Character = " "
    private var pendingSpace = false

    /// The brackets of a line that are code (not in strings or comments).
    mutating func structuralCharacters(in line: String) -> [Character] {
        var out: [Character] = []
        scan(line) { ch, isCode in if isCode, "()[]{}".contains(ch) { out.append(ch) } }
        return out
    }

    /// The line without comments, with whitespace outside string literals removed.
    /// Whitespace between two identifier characters (`let x`) becomes one space; all other
    /// whitespace goes, so `a+b` and `a + b` normalize alike but `let x` does not become `letx`.
    mutating func code(in line: String) -> String {
        var out = ""
        var last = lastCode, pending = pendingSpace
        scan(line) { ch, isCode in
            if !isCode { out.append(ch); last = ch; pending = false; return }
            if ch.isWhitespace { pending = true; return }
            if pending && SwiftScanner.isIdentifier(last) && SwiftScanner.isIdentifier(ch) { out.append(" ") }
            pending = false
            out.append(ch)
            last = ch
        }
        lastCode = last
        pendingSpace = pending
        return out
    }

    static func isIdentifier(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "$" || c == "@" || c == "#" }

    /// Calls `emit(character, isCode)` for every character that is code or inside a string
    /// literal (isCode false); comment characters are not emitted.
    private mutating func scan(_ line: String, _ emit: (Character, Bool) -> Void) {
        let chars = Array(line)
        var i = 0
        var inString = false
        while i < chars.count {
            let c = chars[i]
            let next: Character? = i + 1 < chars.count ? chars[i + 1] : nil
            if inBlockComment > 0 {
                if c == "*" && next == "/" { inBlockComment -= 1; i += 2; continue }
                if c == "/" && next == "*" { inBlockComment += 1; i += 2; continue }
                i += 1
                continue
            }
            if inMultilineString {
                if c == "\"" && next == "\"" && i + 2 < chars.count && chars[i + 2] == "\"" {
                    inMultilineString = false
                    emit("\"", false); emit("\"", false); emit("\"", false)
                    i += 3
                    continue
                }
                emit(c, false)
                i += 1
                continue
            }
            if inString {
                emit(c, false)
                if c == "\\", let n = next { emit(n, false); i += 2; continue }
                if c == "\"" { inString = false }
                i += 1
                continue
            }
            if c == "/" && next == "/" { return }                        // line comment (and `//:` prose)
            if c == "/" && next == "*" { inBlockComment += 1; i += 2; continue }
            if c == "\"" {
                if next == "\"" && i + 2 < chars.count && chars[i + 2] == "\"" {
                    inMultilineString = true
                    emit("\"", false); emit("\"", false); emit("\"", false)
                    i += 3
                    continue
                }
                inString = true
                emit(c, false)
                i += 1
                continue
            }
            emit(c, true)
            i += 1
        }
        if inString { inString = false }
        if !inMultilineString { emit(" ", true) }   // a line break separates tokens
    }
}
