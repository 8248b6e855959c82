import Foundation
import Testing
import Lab

/// ChildExit reads a child's end from the kernel (waitid with WNOWAIT), beside Foundation.
@Suite struct ChildExitTests {
    private func started(_ script: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func anExitStatusAndASignalAreTold() throws {
        #expect(ChildExit.wait(for: try started("exit 0")) == .exited(0))
        #expect(ChildExit.wait(for: try started("exit 3")) == .exited(3))
        let killed = ChildExit.wait(for: try started("kill -9 $$"))
        #expect(killed == .signaled(SIGKILL) && killed?.status == 128 + SIGKILL)
        #expect(ChildExit.exited(3).description == "exit status 3" && !ChildExit.exited(3).succeeded)
    }

    @Test func aRunningChildIsNotEndedAndATimeoutSaysSo() throws {
        let sleeper = try started("sleep 30")
        #expect(ChildExit.poll(sleeper) == nil)
        let began = Date()
        #expect(ChildExit.wait(for: sleeper, timeout: 0.3) == nil)
        #expect(Date().timeIntervalSince(began) < 5)
        kill(sleeper.processIdentifier, SIGTERM)
        #expect(ChildExit.wait(for: sleeper, timeout: 10) == .signaled(SIGTERM))
        // Asked again after the end (reaped by Foundation or not), the answer is the same.
        #expect(ChildExit.poll(sleeper) == .signaled(SIGTERM))
    }
}
