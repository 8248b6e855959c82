import Foundation
import Testing
@testable import Lab

struct CrashReportTests {
    @Test func aCrashFileNamesTheStepTheLocationAndTheSignal() {
        let text = "step\twork\nlocation\terrs.swift:19\nsignal\tSIGILL: a Swift runtime trap (Fatal error, index out of range, overflow, force-unwrapped nil)); the run is recorded as crashed, finished steps are cached\n"
        let crash = CrashReports.parse(runId: "r1", text: text)
        #expect(crash == CrashReports.Crash(runId: "r1", step: "work", location: "errs.swift:19",
                                            signal: "SIGILL: a Swift runtime trap (Fatal error, index out of range, overflow, force-unwrapped nil)"))
        #expect(CrashReports.parse(runId: "r2", text: "garbage") == nil)
    }
}
