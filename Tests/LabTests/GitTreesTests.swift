import Foundation
import Testing
import Lab

/// `Git.changedPaths` and `Git.commitIfExists`, checked against the `git` command line.
@Suite struct GitTreesTests {
    func head(_ sandbox: Sandbox) throws -> String {
        try sandbox.shell("git", "rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func changedPathsAreGitsNamesOnlyDiff() throws {
        let sandbox = try Sandbox()
        try sandbox.write("a.txt", "a\n")
        try sandbox.write("b.txt", "b\n")
        try sandbox.commitAll()
        let first = try head(sandbox)
        #expect(try Git.changedPaths(from: first, to: first, at: sandbox.root.path) == [])
        try FileManager.default.createDirectory(at: sandbox.root.appendingPathComponent("reports/x"), withIntermediateDirectories: true)
        try sandbox.write("reports/x/README.md", "r\n")
        try sandbox.write("a.txt", "a2\n")
        try sandbox.shell("git", "rm", "-q", "b.txt")
        try sandbox.commitAll()
        let second = try head(sandbox)
        let expected = try sandbox.shell("git", "diff", "--name-only", first, second)
            .split(separator: "\n").map(String.init).sorted()
        #expect(try Git.changedPaths(from: first, to: second, at: sandbox.root.path)?.sorted() == expected)
        #expect(expected == ["a.txt", "b.txt", "reports/x/README.md"])
        // An empty commit has its parent's tree.
        try sandbox.shell("git", "commit", "-q", "--allow-empty", "-m", "empty")
        #expect(try Git.changedPaths(from: second, to: try head(sandbox), at: sandbox.root.path) == [])
        // A commit the repository does not have (rebased away, collected).
        let absent = String(repeating: "ab", count: 20)
        #expect(try Git.changedPaths(from: absent, to: second, at: sandbox.root.path) == nil)
        #expect(try Git.changedPaths(from: "not-a-hash", to: second, at: sandbox.root.path) == nil)
    }

    @Test func unknownRevisionsAreNilAndKnownOnesResolve() throws {
        let sandbox = try Sandbox()
        try sandbox.write("a.txt", "a\n")
        try sandbox.commitAll()
        let commit = try head(sandbox)
        #expect(try Git.commitIfExists("main", at: sandbox.root.path) == commit)
        #expect(try Git.commitIfExists(String(commit.prefix(8)), at: sandbox.root.path) == commit)
        for revision in ["nonexistent", "", "HEAD~100", "deadbeef", String(repeating: "0", count: 40), "main..feature",
                         "refs/heads/../../etc/passwd"] {
            #expect(try Git.commitIfExists(revision, at: sandbox.root.path) == nil, "\(revision)")
        }
    }
}
