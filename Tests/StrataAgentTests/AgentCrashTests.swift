import Foundation
import Testing
import StrataIO
import StrataTestSupport
@testable import StrataAgent

/// The `strata-agent` executable killed with SIGKILL at random points while a writer keeps
/// writing (and rotating): every line must reach the real server, and lines may repeat only
/// within the documented at-least-once window (what was delivered after the last checkpoint
/// save, plus batches in flight).
@Suite(.serialized) struct AgentCrashTests {
    /// Kills; `STRATA_AGENT_KILLS` raises it for long runs (CI keeps it small).
    let kills = Int(ProcessInfo.processInfo.environment["STRATA_AGENT_KILLS"] ?? "") ?? 4

    final class Writer: @unchecked Sendable {
        let dir: String
        private let lock = NSLock()
        private var stopFlag = false
        private(set) var written = 0
        let done = DispatchSemaphore(value: 0)

        init(dir: String) { self.dir = dir }

        func start() {
            Thread.detachNewThread { [self] in
                var w = LogWriter(dir + "/crash.log")
                var n = 0
                while !lock.withLock({ stopFlag }) {
                    for _ in 0..<20 {
                        w.write("crash-test line \(n) " + String(repeating: "z", count: 150) + "\n")
                        n += 1
                    }
                    lock.withLock { written = n }
                    // One rename rotation half-way through the run.
                    if n == 6000 {
                        try? FileSystem.rename(dir + "/crash.log", dir + "/crash.log.1")
                        w = LogWriter(dir + "/crash.log")
                    }
                    usleep(10_000)
                }
                done.signal()
            }
        }

        func stop() -> Int {
            lock.withLock { stopFlag = true }
            done.wait()
            return lock.withLock { written }
        }
    }

    func startAgent(_ config: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ServerProcess.binaryPath(named: "strata-agent"))
        p.arguments = ["--config", config]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    @Test func sigkillAtRandomPointsLosesNoLine() throws {
        let h = try AgentHarness()
        let configPath = h.dir.path + "/agent.yaml"
        let yaml = h.configYAML(inputs: """
          - type: file
            paths: ["\(h.logDir)/*.log"]
            poll_interval: 50ms
            scan_interval: 200ms
        """)
        try FileSystem.writeAtomically(Array(yaml.utf8), to: configPath)
        let writer = Writer(dir: h.logDir)
        writer.start()
        var rng = SeededRandom(seed: 29)
        for _ in 0..<kills {
            let agent = try startAgent(configPath)
            // The kill point: somewhere in the next 0.2–1.2 s of shipping.
            usleep(UInt32(200_000 + Int.random(in: 0..<1_000_000, using: &rng)))
            kill(agent.processIdentifier, SIGKILL)
            agent.waitUntilExit()
            #expect(agent.terminationReason == .uncaughtSignal)
        }
        let last = try startAgent(configPath)
        defer { kill(last.processIdentifier, SIGTERM); last.waitUntilExit() }
        usleep(300_000)
        let written = writer.stop()
        var messages: [String] = []
        var distinct = Set<String>()
        try h.await("all \(written) lines", seconds: 120) {
            guard try h.total() >= written else { return false }
            messages = try h.messages()
            distinct = Set(messages)
            return distinct.count >= written
        }
        let missing = (0..<written).filter { !distinct.contains("crash-test line \($0) " + String(repeating: "z", count: 150)) }
        #expect(missing.isEmpty, "\(missing.count) of \(written) lines lost, first \(missing.prefix(5))")
        // The window per kill: one checkpoint interval (100 ms ≈ 200 lines here) plus the ring
        // and the batch in flight (≤ 16 + 1 batches of ≤ 200 lines) — bounded well below this.
        let duplicates = messages.count - distinct.count
        #expect(duplicates <= kills * 3600, "\(duplicates) duplicates after \(kills) kills")
        print("agent crash test: \(written) lines, \(kills) SIGKILLs, \(duplicates) duplicates, \(missing.count) lost")
    }
}
