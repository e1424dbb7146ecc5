import Foundation
import SoftPromptLauncher
import Testing

@Suite struct RestartingJobTests {
    /// A job that fails `failures` times (a shell that checks its restart number) then succeeds.
    @Test func aFailingJobIsRestartedWithItsRestartCountUntilItSucceeds() throws {
        var lines: [String] = []
        let job = RestartingJob(maxRestarts: 3, timeout: nil, log: { lines.append($0) })
        var seen: [Int] = []
        let (outcome, restarts) = try job.run(environment: [:]) { restart, variables in
            seen.append(restart)
            #expect(variables.map(\.0) == [RestartingJob.restartVariable, RestartingJob.heartbeatVariable])
            return ["sh", "-c", "test \(restart) -ge 2"]
        }
        #expect(outcome.status == 0 && restarts == 2 && seen == [0, 1, 2])
        #expect(lines == ["restart 1/3 from the newest complete checkpoint: exit status 1",
                          "restart 2/3 from the newest complete checkpoint: exit status 1"])
    }

    @Test func itGivesUpAfterMaxRestarts() throws {
        var lines: [String] = []
        let job = RestartingJob(maxRestarts: 1, timeout: nil, log: { lines.append($0) })
        let (outcome, restarts) = try job.run(environment: [:]) { _, _ in ["sh", "-c", "exit 3"] }
        #expect(outcome.status == 3 && restarts == 1)
        #expect(lines.last == "giving up after 1 restart(s): exit status 3")
    }

    @Test func aJobWithoutHeartbeatsForTheTimeoutIsEndedAsHung() throws {
        var lines: [String] = []
        let job = RestartingJob(maxRestarts: 1, timeout: 2, log: { lines.append($0) })
        let started = Date()
        // Start 0 sleeps without beating (and ignores SIGTERM); start 1 beats once and succeeds.
        let (outcome, restarts) = try job.run(environment: [:]) { restart, variables in
            let folder = variables[1].1
            return restart == 0 ? ["sh", "-c", "trap '' TERM; sleep 60"] : ["sh", "-c", "echo 1 > \(folder)/rank-0"]
        }
        #expect(outcome.status == 0 && restarts == 1)
        #expect(lines == ["restart 1/1 from the newest complete checkpoint: no progress from any rank for 2 s (hung)"])
        #expect(Date().timeIntervalSince(started) < 20, "SIGKILL follows an ignored SIGTERM within seconds")
    }

    @Test func beatsKeepASlowJobAlive() throws {
        let job = RestartingJob(maxRestarts: 0, timeout: 2, log: { Issue.record("unexpected: \($0)") })
        let (outcome, _) = try job.run(environment: [:]) { _, variables in
            ["sh", "-c", "for i in 1 2 3 4; do echo $i > \(variables[1].1)/rank-0; sleep 1; done"]
        }
        #expect(outcome.status == 0 && !outcome.hung)
    }

    @Test func processTreeFindsGrandchildren() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "sleep 30 & sleep 30 & wait"]
        try process.run()
        defer { for pid in ProcessTree.members(of: process.processIdentifier) { kill(pid, SIGKILL) } }
        usleep(300_000)
        #expect(ProcessTree.members(of: process.processIdentifier).count == 3)
    }
}
