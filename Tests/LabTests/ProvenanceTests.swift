import Foundation
import Testing
@testable import Lab

/// `Git.inspect` is checked against the `git` command line on throwaway repositories.
/// The library itself never runs `git`; only these tests do.
@Suite struct GitProvenanceTests {
    @Test func cleanRepositoryMatchesGit() throws {
        let repo = try Scratch.repository()
        try repo.write("a.txt", "one\n")
        try repo.commitAll("first")

        let info = try #require(try Git.inspect(path: repo.path))
        #expect(info.commit == (try repo.git("rev-parse", "HEAD")))
        #expect(info.commit?.count == 40)
        #expect(info.branch == (try repo.git("rev-parse", "--abbrev-ref", "HEAD")))
        #expect(info.branch == "main")
        #expect(!info.isDetached)
        #expect(try repo.git("status", "--porcelain").isEmpty)
        #expect(!info.isDirty)
        #expect(info.patch == "")
        #expect(info.remote == nil)
        #expect(info.root == (try repo.git("rev-parse", "--show-toplevel")))
    }

    @Test func modifiedTrackedFileIsDirtyWithItsDiff() throws {
        let repo = try Scratch.repository()
        try repo.write("a.txt", "keep\nold line\n")
        try repo.commitAll("first")
        try repo.write("a.txt", "keep\nnew line\n")

        let info = try #require(try Git.inspect(path: repo.path))
        #expect(try repo.git("status", "--porcelain") == " M a.txt")
        #expect(info.isDirty)
        #expect(info.patch.contains("diff --git a/a.txt b/a.txt\n"))
        #expect(info.patch.contains("\n-old line\n"))
        #expect(info.patch.contains("\n+new line\n"))
        #expect(info.patch.contains("\n keep\n"))
        // libgit2 prints tracked changes exactly as `git diff HEAD` does.
        #expect(info.patch == (try repo.git("diff", "HEAD", trimming: false)))
    }

    @Test func stagedNewFileIsDirtyAndInThePatch() throws {
        let repo = try Scratch.repository()
        try repo.write("a.txt", "one\n")
        try repo.commitAll("first")
        try repo.write("staged.txt", "staged content\n")
        try repo.git("add", "staged.txt")

        let info = try #require(try Git.inspect(path: repo.path))
        #expect(try repo.git("status", "--porcelain") == "A  staged.txt")
        #expect(info.isDirty)
        #expect(info.patch.contains("diff --git a/staged.txt b/staged.txt\nnew file mode 100644\n"))
        #expect(info.patch.contains("\n+staged content\n"))
        #expect(info.patch == (try repo.git("diff", "HEAD", trimming: false)))
    }

    @Test func untrackedFileIsDirtyAndListedByNameSizeAndHash() throws {
        let repo = try Scratch.repository()
        try repo.write("a.txt", "one\n")
        try repo.commitAll("first")
        try repo.write("notes/deep/untracked.txt", "never added\n")

        let info = try #require(try Git.inspect(path: repo.path))
        #expect(try repo.git("status", "--porcelain") == "?? notes/")
        #expect(info.isDirty)
        // The untracked directory is recursed into; the file is named with its size and
        // SHA-256 (of "never added\n"), its content is not copied (D16).
        #expect(info.patch == """
            # untracked files, not stored (bytes, SHA-256, path):
            #\t12\t\(sha256Hex("never added\n"))\tnotes/deep/untracked.txt

            """)
        #expect(!info.patch.contains("+never added"))
        // git apply skips the listing: the patch still applies.
        try repo.write("a.txt", "two\n")
        let both = try #require(try Git.inspect(path: repo.path))
        let patchFile = try Scratch.directory()
        try Data(both.patch.utf8).write(to: URL(fileURLWithPath: patchFile.path + "/run.patch"))
        try repo.git("checkout", "--", "a.txt")
        try repo.git("apply", "--check", patchFile.path + "/run.patch")
    }

    /// Lab's own output (the project's `reports/`) is not the researcher's edit: rewritten
    /// committed reports and new report files neither make the tree dirty nor enter the patch.
    @Test func excludedFoldersNeitherMakeTheTreeDirtyNorEnterThePatch() throws {
        let repo = try Scratch.repository()
        try repo.write("a.txt", "one\n")
        try repo.write("reports/x/README.md", "old report\n")
        try repo.commitAll("first")
        try repo.write("reports/x/README.md", "new report\n")       // a tracked report, rewritten
        try repo.write("reports/y/results.json", "{}\n")            // a new report
        let reports = [repo.path + "/reports"]
        let clean = try #require(try Git.inspect(path: repo.path, excluding: reports))
        #expect(!clean.isDirty)
        #expect(clean.patch == "")
        // Without the exclusion both count (the plain git view).
        let plain = try #require(try Git.inspect(path: repo.path))
        #expect(plain.isDirty && plain.patch.contains("reports/y/results.json") && plain.patch.contains("+new report"))
        // A change outside the folder still counts, and only it is in the patch.
        try repo.write("a.txt", "two\n")
        try repo.write("notes.txt", "untracked\n")
        let dirty = try #require(try Git.inspect(path: repo.path, excluding: reports))
        #expect(dirty.isDirty)
        #expect(dirty.patch.contains("+two") && dirty.patch.contains("\tnotes.txt\n"))
        #expect(!dirty.patch.contains("reports/"), "\(dirty.patch)")
    }

    @Test func untrackedBinaryAndLargeFilesAreListedNotStored() throws {
        let repo = try Scratch.repository()
        try repo.write("a.txt", "one\n")
        try repo.commitAll("first")
        let bytes: [UInt8] = [0, 1, 2, 0, 255, 0, 7]
        try Data(bytes).write(to: URL(fileURLWithPath: repo.path + "/blob.bin"))
        let big = String(repeating: "0.125,0.25,0.5\n", count: 200_000)   // 3 MB of text
        try repo.write("data.csv", big)

        let info = try #require(try Git.inspect(path: repo.path))
        #expect(info.isDirty)
        #expect(info.patch.contains("#\t7\t\(sha256Hex(Data(bytes)))\tblob.bin\n"))
        #expect(info.patch.contains("#\t\(big.utf8.count)\t\(sha256Hex(big))\tdata.csv\n"))
        #expect(info.patch.utf8.count < 1_000, "the listing, not the 3 MB: \(info.patch.utf8.count) bytes")
    }

    @Test func aPatchLongerThanTheLimitIsCutWithItsSizeAndHash() throws {
        let repo = try Scratch.repository()
        let lines = (0..<100_000).map { "line \($0) of a tracked file\n" }.joined()
        try repo.write("big.txt", lines)
        try repo.commitAll("first")
        try repo.write("big.txt", lines.uppercased())   // every line changes: a patch of about 5 MB

        let info = try #require(try Git.inspect(path: repo.path))
        let full = try repo.git("diff", "HEAD", trimming: false)
        #expect(full.utf8.count > Git.patchLimit)
        #expect(info.patch.utf8.count <= Git.patchLimit + 200)
        #expect(full.hasPrefix(String(info.patch.prefix(1000))))
        #expect(info.patch.hasSuffix("# patch cut at \(info.patch.utf8.count - info.patch.split(separator: "\n").last!.utf8.count - 1) of \(full.utf8.count) bytes; the full patch's SHA-256 is \(sha256Hex(full))\n"),
                "\(info.patch.suffix(200))")
    }

    @Test func deletedTrackedFileIsDirty() throws {
        let repo = try Scratch.repository()
        try repo.write("a.txt", "one\n")
        try repo.write("gone.txt", "bye\n")
        try repo.commitAll("first")
        try FileManager.default.removeItem(atPath: repo.path + "/gone.txt")

        let info = try #require(try Git.inspect(path: repo.path))
        #expect(try repo.git("status", "--porcelain") == " D gone.txt")
        #expect(info.isDirty)
        #expect(info.patch.contains("deleted file mode 100644"))
        #expect(info.patch.contains("\n-bye\n"))
    }

    @Test func fileStagedThenDeletedIsDirtyButCancelsOutOfThePatch() throws {
        let repo = try Scratch.repository()
        try repo.write("a.txt", "one\n")
        try repo.commitAll("first")
        try repo.write("brief.txt", "here and gone\n")
        try repo.git("add", "brief.txt")
        try FileManager.default.removeItem(atPath: repo.path + "/brief.txt")

        let info = try #require(try Git.inspect(path: repo.path))
        #expect(try repo.git("status", "--porcelain") == "AD brief.txt")
        #expect(info.isDirty)
        // HEAD and the working tree agree (no such file), so the diff between them is empty.
        #expect(info.patch == "")
    }

    @Test func ignoredFilesDoNotMakeTheTreeDirty() throws {
        let repo = try Scratch.repository()
        try repo.write(".gitignore", "*.log\n.lab/\n")
        try repo.commitAll("ignore logs")
        try repo.write("run.log", "noise\n")
        try repo.write(".lab/lab.sqlite", "database\n")

        let info = try #require(try Git.inspect(path: repo.path))
        #expect(try repo.git("status", "--porcelain").isEmpty)
        #expect(!info.isDirty)
        #expect(info.patch == "")
    }

    @Test func detachedHeadHasNoBranch() throws {
        let repo = try Scratch.repository()
        try repo.write("a.txt", "one\n")
        try repo.commitAll("first")
        try repo.write("a.txt", "two\n")
        try repo.commitAll("second")
        try repo.git("checkout", "--quiet", "--detach", "HEAD~1")

        let info = try #require(try Git.inspect(path: repo.path))
        #expect(try repo.git("rev-parse", "--abbrev-ref", "HEAD") == "HEAD")
        #expect(info.branch == nil)
        #expect(info.isDetached)
        #expect(info.commit == (try repo.git("rev-parse", "HEAD")))
        #expect(info.commit != (try repo.git("rev-parse", "main")))
        #expect(!info.isDirty)
    }

    @Test func subdirectoryReportsTheTopLevelAsRoot() throws {
        let repo = try Scratch.repository()
        try repo.write("src/deep/file.txt", "x\n")
        try repo.commitAll("first")

        let info = try #require(try Git.inspect(path: repo.path + "/src/deep"))
        let topLevel = try repo.git("rev-parse", "--show-toplevel", in: "src/deep")
        #expect(info.root == topLevel)
        #expect(info.root == repo.path)
        #expect(info.commit == (try repo.git("rev-parse", "HEAD")))
    }

    @Test func repositoryWithoutCommitsHasNoCommit() throws {
        let repo = try Scratch.repository()
        #expect(throws: GitFailed.self) { try repo.git("rev-parse", "HEAD") }

        let empty = try #require(try Git.inspect(path: repo.path))
        #expect(empty.commit == nil)
        #expect(empty.branch == "main")
        #expect(!empty.isDetached)
        #expect(!empty.isDirty)
        #expect(empty.patch == "")

        // Against the empty tree, a staged file is the whole patch; an untracked one is listed.
        try repo.write("first.txt", "hello\n")
        try repo.write("second.txt", "world\n")
        try repo.git("add", "first.txt")
        let withFile = try #require(try Git.inspect(path: repo.path))
        #expect(try repo.git("status", "--porcelain") == "A  first.txt\n?? second.txt")
        #expect(withFile.commit == nil)
        #expect(withFile.isDirty)
        #expect(withFile.patch.contains("+++ b/first.txt\n@@ -0,0 +1 @@\n+hello\n"))
        #expect(withFile.patch.contains("#\t6\t\(sha256Hex("world\n"))\tsecond.txt\n"))
        #expect(GitInfo.note(for: withFile) == "a git repository with no commits yet: no commit recorded (commit the experiment to record where it came from)")
        #expect(GitInfo.note(for: nil) == "not inside a git repository: no commit recorded")
    }

    @Test func directoryOutsideAnyRepositoryGivesNil() throws {
        let directory = try Scratch.directory()
        #expect(!directory.path.hasPrefix("/work"))
        #expect(throws: GitFailed.self) { try directory.git("rev-parse", "--show-toplevel") }
        #expect(try Git.inspect(path: directory.path) == nil)
    }

    @Test func originIsPreferredOverOtherRemotes() throws {
        let repo = try Scratch.repository()
        try repo.write("a.txt", "one\n")
        try repo.commitAll("first")
        try repo.git("remote", "add", "aardvark", "https://example.invalid/a.git")
        try repo.git("remote", "add", "origin", "https://example.invalid/x.git")

        let info = try #require(try Git.inspect(path: repo.path))
        #expect(info.remote == (try repo.git("remote", "get-url", "origin")))
        #expect(info.remote == "https://example.invalid/x.git")
    }

    @Test func withoutOriginTheFirstRemoteByNameIsUsed() throws {
        let repo = try Scratch.repository()
        try repo.git("remote", "add", "zebra", "https://example.invalid/z.git")
        try repo.git("remote", "add", "upstream", "https://example.invalid/u.git")

        let info = try #require(try Git.inspect(path: repo.path))
        #expect(info.remote == "https://example.invalid/u.git")
    }

    @Test func missingHeadCommitThrowsLibgit2sReason() throws {
        let repo = try Scratch.repository()
        try repo.write("a.txt", "one\n")
        try repo.commitAll("first")
        let commit = try repo.git("rev-parse", "HEAD")
        let object = "\(repo.path)/.git/objects/\(commit.prefix(2))/\(commit.dropFirst(2))"
        try FileManager.default.removeItem(atPath: object)

        #expect {
            _ = try Git.inspect(path: repo.path)
        } throws: { error in
            guard case ProvenanceError.git(let operation, let message) = error else { return false }
            return operation == "read commit \(commit), which refs/heads/main points at"
                && message.contains("cannot be peeled")
        }
    }

    @Test(arguments: [
        (ProvenanceError.git(operation: "open the repository at '/src'", message: "corrupt HEAD"),
         "git: could not open the repository at '/src': corrupt HEAD. "
            + "Run `git status` in that directory to see the problem with the repository."),
    ])
    func errorMessagesAreWordedInOnePlace(error: ProvenanceError, text: String) {
        #expect(error.description == text)
    }

    @Test func gitInfoRoundTripsThroughJSON() throws {
        let info = GitInfo(
            commit: String(repeating: "a", count: 40), branch: nil, isDetached: true,
            remote: "https://example.invalid/x.git", isDirty: true, patch: "+x\n", root: "/src")
        let decoded = try JSONDecoder().decode(GitInfo.self, from: JSONEncoder().encode(info))
        #expect(decoded == info)
    }
}

/// The project folder is found as git finds a repository (D17).
@Suite struct ProjectRootTests {
    @Test func aSubfolderOfARepositoryHasTheRepositoryAsItsRoot() throws {
        let repo = try Scratch.repository()
        try repo.write("experiments/sub/x.swift", "")
        let sub = repo.path + "/experiments/sub"
        #expect(ProjectRoot.find(environment: [:], currentDirectory: sub) == repo.path)
        #expect(ProjectRoot.find(environment: [:], currentDirectory: repo.path) == repo.path)
        #expect(ProjectRoot.find(experimentFile: "x.swift", environment: [:], currentDirectory: sub) == repo.path)
        #expect(ProjectRoot.find(environment: ["LAB_ROOT": "/elsewhere"], currentDirectory: sub) == "/elsewhere")
    }

    @Test func anExperimentFileInARepositoryWinsOverTheCurrentDirectory() throws {
        let repo = try Scratch.repository()
        try repo.write("x.swift", "")
        let outside = try Scratch.directory()
        #expect(ProjectRoot.find(experimentFile: repo.path + "/x.swift", environment: [:], currentDirectory: outside.path) == repo.path)
        // Outside any repository: the current directory.
        #expect(ProjectRoot.find(environment: [:], currentDirectory: outside.path) == outside.path)
        #expect(ProjectRoot.find(experimentFile: "y.swift", environment: [:], currentDirectory: outside.path) == outside.path)
    }

    @Test func aWorktreesGitFileCountsLikeAGitFolder() throws {
        let folder = try Scratch.directory()
        try folder.write("wt/.git", "gitdir: /somewhere/.git/worktrees/wt\n")
        try folder.write("wt/deep/a.txt", "")
        #expect(ProjectRoot.repositoryTop(from: folder.path + "/wt/deep") == folder.path + "/wt")
    }
}

@Suite struct MachineInfoTests {
    @Test func theRunnerAndTheStoreReadTheHostNameFromOneSource() throws {
        #expect(RunStore.currentHostname == MachineInfo.hostName)
        #expect(MachineInfo.current().hostname == MachineInfo.hostName)
    }

    @Test func describesThisMachine() throws {
        let machine = MachineInfo.current()
        #expect(!machine.os.isEmpty)
        #expect(machine.os != "unknown")
        #expect(!machine.cpuModel.isEmpty)
        #expect(machine.logicalCores >= 1)
        #expect(machine.memoryBytes > 0)
        #expect(!machine.hostname.isEmpty)
        #expect(machine.swiftVersion.split(separator: ".").count == 2)
        #if os(Linux)
        var kernel = utsname()
        #expect(uname(&kernel) == 0)
        let release = withUnsafeBytes(of: kernel.release) {
            String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
        }
        #expect(machine.os.hasSuffix(", Linux \(release)"))
        #endif
    }
}

// MARK: - Scratch repositories

/// A `git` command that exited with a non-zero status.
struct GitFailed: Error, CustomStringConvertible {
    var arguments: [String]
    var status: Int32
    var stderr: String
    var description: String { "git \(arguments.joined(separator: " ")) exited \(status): \(stderr)" }
}

/// A temporary directory (outside the project) removed when the value is released.
final class Scratch {
    let path: String

    private init(path: String) { self.path = path }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A fresh empty directory under the system's temporary directory, symlinks resolved.
    static func directory() throws -> Scratch {
        var template = Array((NSTemporaryDirectory() + "/lab-provenance-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw CocoaError(.fileWriteUnknown)
        }
        let path = URL(fileURLWithPath: String(cString: made)).resolvingSymlinksInPath().path
        return Scratch(path: path)
    }

    /// A fresh repository on branch `main` with a local identity and no commits.
    static func repository() throws -> Scratch {
        let scratch = try directory()
        try scratch.git("init", "--quiet", "--initial-branch=main")
        try scratch.git("config", "user.name", "Lab Tests")
        try scratch.git("config", "user.email", "lab-tests@example.invalid")
        try scratch.git("config", "commit.gpgsign", "false")
        return scratch
    }

    /// Writes `text` to `relativePath`, creating parent directories.
    func write(_ relativePath: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path + "/" + relativePath)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// Stages everything and commits it.
    func commitAll(_ message: String) throws {
        try git("add", "--all")
        try git("commit", "--quiet", "-m", message)
    }

    /// Runs `git` in the directory (or `subdirectory` of it) and returns its standard
    /// output, without the trailing newline unless `trimming` is false.
    @discardableResult
    func git(_ arguments: String..., in subdirectory: String? = nil, trimming: Bool = true) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: subdirectory.map { path + "/" + $0 } ?? path)
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        environment["LC_ALL"] = "C"
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        let status = Sandbox.wait(process)
        guard status == 0 else {
            throw GitFailed(
                arguments: arguments, status: status,
                stderr: String(decoding: err, as: UTF8.self))
        }
        let text = String(decoding: out, as: UTF8.self)
        return trimming ? text.trimmingCharacters(in: .newlines) : text
    }
}
