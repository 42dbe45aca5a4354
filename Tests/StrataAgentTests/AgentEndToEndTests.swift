import Foundation
import Testing
import StrataIO
import StrataTestSupport
@testable import StrataAgent

/// The agent against a real `strata serve`: real files in temp dirs, real rotations, real
/// HTTP. Every check reads back what the server stored.
@Suite(.serialized) struct AgentEndToEndTests {
    func fileInput(_ h: AgentHarness, _ pattern: String = "*.log", extra: String = "") -> String {
        """
          - type: file
            paths: ["\(h.logDir)/\(pattern)"]
            exclude: ["*.gz"]
            poll_interval: 50ms
            scan_interval: 200ms
            service: app
            fields: {env: test}
        \(extra)
        """
    }

    @Test func existingAndNewFilesAreShippedWithTheirMetadata() throws {
        let h = try AgentHarness()
        let a = LogWriter(h.logDir + "/a.log")
        for i in 0..<100 { a.write("existing line \(i)\n") }
        LogWriter(h.logDir + "/skip.log.gz").write("compressed\n")
        let agent = try Agent(config: try h.config(h.configYAML(inputs: fileInput(h))))
        try agent.start()
        defer { agent.stop() }
        try h.awaitTotal(atLeast: 100)
        let b = LogWriter(h.logDir + "/b.log")
        for i in 0..<50 { b.write("new file line \(i)\n") }
        for i in 0..<25 { a.write("appended line \(i)\n") }
        try h.awaitTotal(atLeast: 175)
        let hits = try h.hits()
        #expect(hits.count == 175)
        let one = try #require(hits.first { ($0["message"] as? String) == "new file line 7" })
        #expect(one["source"] as? String == h.logDir + "/b.log")
        #expect(one["host"] as? String == "test-host")
        #expect(one["service"] as? String == "app")
        #expect((one["fields"] as? [String: Any])?["env"] as? String == "test")
        #expect(try h.total("compressed") == 0)
    }

    @Test func renameRotationWhileWritingLosesAndRepeatsNothing() throws {
        let h = try AgentHarness()
        let agent = try Agent(config: try h.config(h.configYAML(inputs: fileInput(h))))
        try agent.start()
        defer { agent.stop() }
        let w = LogWriter(h.logDir + "/app.log")
        var written = 0
        for round in 0..<5 {
            for _ in 0..<400 { w.write("rotated-by-rename line \(written)\n"); written += 1 }
            // The agent has found this file (a file created and rotated away before any look at
            // the directory cannot be known to any tailer).
            try h.awaitTotal(atLeast: written - 300)
            // logrotate's rename: the writer keeps writing to the old file for a moment.
            try FileSystem.rename(h.logDir + "/app.log", h.logDir + "/app.log.\(round + 1)")
            for _ in 0..<50 { w.write("rotated-by-rename line \(written)\n"); written += 1 }
            w.reopen()
        }
        for _ in 0..<100 { w.write("rotated-by-rename line \(written)\n"); written += 1 }
        try h.awaitTotal(atLeast: written)
        let got = try h.messages()
        #expect(got.count == written, "duplicates or losses: \(got.count) of \(written)")
        let missing = Set((0..<written).map { "rotated-by-rename line \($0)" }).subtracting(got)
        #expect(missing.isEmpty, "\(missing.count) lines missing, e.g. \(missing.sorted().prefix(5))")
    }

    @Test func copytruncateRotationReadsTheRestFromTheCopy() throws {
        let h = try AgentHarness()
        let agent = try Agent(config: try h.config(h.configYAML(inputs: fileInput(h))))
        try agent.start()
        defer { agent.stop() }
        let w = LogWriter(h.logDir + "/app.log")
        var written = 0
        for round in 0..<4 {
            for _ in 0..<250 { w.write("copytruncate line \(written) " + String(repeating: "x", count: 40) + "\n"); written += 1 }
            try h.awaitTotal(atLeast: written)
            // More lines, then at once copytruncate (copy, truncate in place; the writer never
            // reopens): the agent learns of these lines only from the copy.
            for _ in 0..<250 { w.write("copytruncate line \(written) " + String(repeating: "x", count: 40) + "\n"); written += 1 }
            _ = try FileSystem.copyFile(h.logDir + "/app.log", to: h.logDir + "/app.log.\(round + 1)")
            #expect(truncate(h.logDir + "/app.log", 0) == 0)
        }
        for _ in 0..<100 { w.write("copytruncate line \(written) tail\n"); written += 1 }
        try h.awaitTotal(atLeast: written)
        let got = try h.messages().map { String($0.split(separator: " ")[2]) }
        #expect(got.count == written, "duplicates or losses: \(got.count) of \(written)")
        #expect(Set(got).count == written)
    }

    @Test func truncationDeletionRecreationAndSymlinks() throws {
        let h = try AgentHarness()
        let real = h.dir.path + "/elsewhere"
        try FileSystem.createDirectory(real)
        LogWriter(real + "/target.log").write("through a symlink\n")
        #expect(symlink(real + "/target.log", h.logDir + "/linked.log") == 0)
        let agent = try Agent(config: try h.config(h.configYAML(inputs: fileInput(h))))
        try agent.start()
        defer { agent.stop() }
        let w = LogWriter(h.logDir + "/t.log")
        for i in 0..<20 { w.write("before truncation \(i)\n") }
        try h.awaitTotal(atLeast: 21)
        #expect(try h.total("\"through a symlink\"") == 1)
        #expect(ftruncate(open(h.logDir + "/t.log", O_WRONLY), 0) == 0)
        for i in 0..<5 { w.write("after truncation \(i)\n") }
        try h.awaitTotal("after", atLeast: 5)
        try FileSystem.removeFile(h.logDir + "/t.log")
        let again = LogWriter(h.logDir + "/t.log")
        for i in 0..<7 { again.write("recreated \(i)\n") }
        try h.awaitTotal("recreated", atLeast: 7)
        #expect(try h.total() == 21 + 5 + 7)
        #expect(try h.total("truncation") == 25)
    }

    @Test func multilineEventsAndEncodingsArriveAsUTF8() throws {
        let h = try AgentHarness()
        let inputs = fileInput(h, "app-*.log", extra: """
                multiline:
                  pattern: '^\\d{4}-\\d{2}-\\d{2}'
                  negate: true
                  match: after
                  timeout: 200ms
            """) + "\n" + """
          - type: file
            name: utf16
            paths: ["\(h.logDir)/win-*.txt"]
            encoding: utf-16
            poll_interval: 50ms
          - type: file
            name: latin
            paths: ["\(h.logDir)/old-*.txt"]
            encoding: latin-1
            poll_interval: 50ms
        """
        let agent = try Agent(config: try h.config(h.configYAML(inputs: inputs)))
        try agent.start()
        defer { agent.stop() }
        let j = LogWriter(h.logDir + "/app-java.log")
        j.write("2026-11-29 10:00:00 ERROR boom\njava.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)\n\tat d.E.f(E.java:2)\n2026-11-29 10:00:01 INFO next\n")
        var utf16: [UInt8] = [0xFF, 0xFE]
        for u in "héllo wörld 😀\r\nzweite Zeile\r\n".utf16 { utf16 += [UInt8(u & 0xFF), UInt8(u >> 8)] }
        LogWriter(h.logDir + "/win-1.txt").write(bytes: utf16)
        LogWriter(h.logDir + "/old-1.txt").write(bytes: [0x63, 0x61, 0x66, 0xE9, 0x0A])
        try h.awaitTotal(atLeast: 5)
        let got = Set(try h.messages())
        #expect(got.contains("2026-11-29 10:00:00 ERROR boom\njava.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)\n\tat d.E.f(E.java:2)"))
        #expect(got.contains("2026-11-29 10:00:01 INFO next"))
        #expect(got.contains("héllo wörld 😀"))
        #expect(got.contains("zweite Zeile"))
        #expect(got.contains("café"))
    }

    @Test func dockerAndKubernetesLogsCarryTheirContainerMetadata() throws {
        let h = try AgentHarness()
        let containers = h.dir.path + "/containers", pods = h.dir.path + "/pods"
        #expect(system("cp -r '\(Fixture.root)/docker' '\(containers)' && cp -r '\(Fixture.root)/pods' '\(pods)'") == 0)
        let inputs = """
          - type: docker
            containers_dir: "\(containers)"
            poll_interval: 50ms
          - type: kubernetes
            pods_dir: "\(pods)"
            namespaces: ["shop"]
            poll_interval: 50ms
        """
        let cfg = try h.config(h.configYAML(inputs: inputs) + "\nprocessors:\n  - add_docker_metadata: {}\n")
        let dockerLines = try expectedLineCount(containers, suffix: "-json.log")
        let agent = try Agent(config: cfg)
        try agent.start()
        defer { agent.stop() }
        try h.awaitTotal("source:docker", atLeast: 1)
        try h.awaitTotal("source:kubernetes", atLeast: 1)
        let docker = try h.hits("source:docker")
        #expect(docker.count >= 1 && docker.count <= dockerLines)
        let d = try #require(docker.first)
        let df = try #require(d["fields"] as? [String: Any])
        #expect((df["container.name"] as? String)?.isEmpty == false)
        #expect(df["container.image"] as? String != nil)
        #expect(["stdout", "stderr"].contains(df["stream"] as? String ?? ""))
        #expect(d["service"] as? String == df["container.name"] as? String)
        let k = try h.hits("source:kubernetes")
        #expect(k.allSatisfy { (($0["fields"] as? [String: Any])?["kubernetes.namespace"] as? String) == "shop" })
        let kf = try #require(k.first?["fields"] as? [String: Any])
        #expect(kf["kubernetes.pod.name"] as? String == "web-7d4b9c8f5-x2x9k")
    }

    /// Lines in the fixture files (an upper bound on entries: partial lines join).
    func expectedLineCount(_ dir: String, suffix: String) throws -> Int {
        var n = 0
        let e = FileManager.default.enumerator(atPath: dir)
        while let p = e?.nextObject() as? String {
            if p.hasSuffix(suffix) { n += try FileSystem.readFile(dir + "/" + p).filter { $0 == 0x0A }.count }
        }
        return n
    }

    @Test func restartResumesFromTheCheckpointWithoutResending() throws {
        let h = try AgentHarness()
        let cfg = try h.config(h.configYAML(inputs: fileInput(h)))
        let w = LogWriter(h.logDir + "/r.log")
        for i in 0..<300 { w.write("first run \(i)\n") }
        var agent = try Agent(config: cfg)
        try agent.start()
        try h.awaitTotal(atLeast: 300)
        agent.stop()
        for i in 0..<200 { w.write("while stopped \(i)\n") }
        agent = try Agent(config: cfg)
        try agent.start()
        defer { agent.stop() }
        try h.awaitTotal(atLeast: 500)
        #expect(try h.total() == 500)
    }

    @Test func rotatedNamesThatStillMatchAreNotReadAgain() throws {
        let h = try AgentHarness()
        let agent = try Agent(config: try h.config(h.configYAML(inputs: fileInput(h, "keep.log*"))))
        try agent.start()
        defer { agent.stop() }
        let w = LogWriter(h.logDir + "/keep.log")
        var written = 0
        for round in 1...3 {
            for _ in 0..<200 { w.write("still matching \(written)\n"); written += 1 }
            try h.awaitTotal(atLeast: written)
            try FileSystem.rename(h.logDir + "/keep.log", h.logDir + "/keep.log.\(round)")
            w.reopen()
        }
        for _ in 0..<50 { w.write("still matching \(written)\n"); written += 1 }
        try h.awaitTotal(atLeast: written)
        // Past the 2 s a renamed file stays open, then one more scan: nothing is read twice.
        h.await("the renamed files looked at again", seconds: 10) { agent.inputs.first?.status.files == 4 }
        usleep(400_000)
        #expect(try h.total() == written)
    }

    @Test func startAtEndOnlyAppliesToTheVeryFirstStart() throws {
        let h = try AgentHarness()
        let cfg = try h.config(h.configYAML(inputs: fileInput(h, extra: "    start_at: end")))
        LogWriter(h.logDir + "/old.log").write("history before the agent\n")
        var agent = try Agent(config: cfg)
        try agent.start()
        h.await("the agent opened the file") { agent.inputs.first?.status.files == 1 }
        LogWriter(h.logDir + "/old.log").write("after the first start\n")
        try h.awaitTotal(atLeast: 1)
        agent.stop()
        // A file created while the agent was stopped is read from its beginning.
        LogWriter(h.logDir + "/new.log").write("written while stopped 1\nwritten while stopped 2\n")
        agent = try Agent(config: cfg)
        try agent.start()
        defer { agent.stop() }
        try h.awaitTotal(atLeast: 3)
        #expect(try h.total("history") == 0)
        #expect(try h.total("stopped") == 2)
    }

    @Test func prettyPrintedJSONJoinedByMultilineStaysOneStructuredEntry() throws {
        let h = try AgentHarness()
        let agent = try Agent(config: try h.config(h.configYAML(inputs: fileInput(h, "json-*.log", extra: """
                multiline:
                  pattern: '^\\{'
                  negate: true
                  match: after
                  timeout: 100ms
            """))))
        try agent.start()
        defer { agent.stop() }
        LogWriter(h.logDir + "/json-1.log").write("{\n  \"msg\": \"pretty\",\n  \"level\": \"error\",\n  \"order\": 42\n}\n{\"msg\": \"compact\"}\n")
        try h.awaitTotal(atLeast: 2)
        let e = try #require(try h.hits("pretty").first)
        #expect(e["level"] as? String == "ERROR")
        #expect((e["fields"] as? [String: Any])?["order"] as? Int == 42)
        #expect(try h.total() == 2)
    }

    @Test func serverDownThenUpLosesNothingAndTheBufferStaysBounded() throws {
        let h = try AgentHarness()
        let cfg = try h.config(h.configYAML(inputs: fileInput(h), memoryBatches: 2))
        let agent = try Agent(config: cfg)
        try agent.start()
        defer { agent.stop() }
        let w = LogWriter(h.logDir + "/down.log")
        for i in 0..<100 { w.write("before outage \(i)\n") }
        try h.awaitTotal(atLeast: 100)
        var written = 100
        try h.restartServer {
            for _ in 0..<6000 { w.write("during outage \(written) " + String(repeating: "y", count: 100) + "\n"); written += 1 }
            // The ring fills, then batches spill to disk; the breaker opens.
            h.await("batches spilled to the disk buffer") { agent.queue.diskRecords > 0 }
            #expect(agent.queue.diskBytes <= cfg.bufferMaxBytes)
            h.await("the endpoint's circuit breaker opened") { agent.shipper.endpointStatus().first?.state != "closed" }
        }
        for _ in 0..<100 { w.write("after outage \(written)\n"); written += 1 }
        try h.awaitTotal(atLeast: written)
        #expect(try h.total() == written)
        h.await("the disk buffer drained") { agent.queue.diskRecords == 0 }
    }

    @Test func heartbeatsReportTheAgentAndItsInputs() throws {
        let h = try AgentHarness()
        LogWriter(h.logDir + "/hb.log").write("one\n")
        let agent = try Agent(config: try h.config(h.configYAML(inputs: fileInput(h))))
        try agent.start()
        defer { agent.stop() }
        try h.awaitTotal(atLeast: 1)
        var agents: [[String: Any]] = []
        try h.await("a heartbeat with the input's line") {
            agents = try h.json("/api/agents")["agents"] as? [[String: Any]] ?? []
            let inputs = (agents.first?["heartbeat"] as? [String: Any])?["inputs"] as? [[String: Any]]
            return (inputs?.first?["lines"] as? Int ?? 0) >= 1
        }
        let a = try #require(agents.first)
        #expect(a["id"] as? String == "test-agent")
        #expect(a["host"] as? String == "test-host")
        #expect(a["status"] as? String == "online")
        let hb = try #require(a["heartbeat"] as? [String: Any])
        #expect(((hb["resources"] as? [String: Any])?["rss_bytes"] as? Int ?? 0) > 0)
        #expect((hb["inputs"] as? [[String: Any]])?.first?["files"] as? Int == 1)
    }

    @Test func syslogAndHTTPInputsForwardThroughTheAgent() throws {
        let h = try AgentHarness()
        let inputs = """
          - type: syslog
            address: "127.0.0.1:0"
            protocol: udp
            service: relay
          - type: http
            address: "127.0.0.1:0"
        """
        let agent = try Agent(config: try h.config(h.configYAML(inputs: inputs) + "\nprocessors:\n  - add_fields: {fields: {dc: eu1}}\n"))
        try agent.start()
        defer { agent.stop() }
        let ports = agent.inputs.compactMap { ($0 as? ListenerInput)?.port }
        #expect(ports.count == 2 && ports.allSatisfy { $0 > 0 })
        let logger = Process()
        logger.executableURL = URL(fileURLWithPath: "/usr/bin/logger")
        logger.arguments = ["--server", "127.0.0.1", "--port", String(ports[0]), "--udp", "--rfc5424", "-t", "billing", "-p", "user.err", "card declined for order 7"]
        try logger.run()
        logger.waitUntilExit()
        #expect(logger.terminationStatus == 0)
        let body = Array(#"{"message":"from the http input","level":"warn","service":"web"}"#.utf8)
        let r = try HTTPTestClient(port: ports[1]).post("/api/logs", body)
        #expect(r.status == 200, "\(r.text)")
        try h.awaitTotal(atLeast: 2)
        let sys = try #require(try h.hits("declined").first)
        #expect(sys["message"] as? String == "card declined for order 7")
        #expect(sys["level"] as? String == "ERROR")
        #expect((sys["fields"] as? [String: Any])?["dc"] as? String == "eu1")
        let web = try #require(try h.hits("\"http input\"").first)
        #expect(web["service"] as? String == "web" && web["level"] as? String == "WARN")
    }

    @Test func failoverToTheSecondEndpointWhenTheFirstIsDown() throws {
        let h = try AgentHarness()
        // A port nobody listens on first: its breaker opens and the live server takes over.
        let dead = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(dead, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(dead, $0, &len) } }
        let deadPort = Int(UInt16(bigEndian: addr.sin_port))
        close(dead)
        let cfg = try h.config(h.configYAML(inputs: fileInput(h), extraOutput: "  load_balance: false",
                                            hosts: ["127.0.0.1:\(deadPort)", "127.0.0.1:\(h.port)"]))
        let w = LogWriter(h.logDir + "/f.log")
        for i in 0..<500 { w.write("failover \(i)\n") }
        let agent = try Agent(config: cfg)
        try agent.start()
        defer { agent.stop() }
        try h.awaitTotal(atLeast: 500)
        #expect(try h.total() == 500)
        let status = agent.shipper.endpointStatus()
        #expect(status[0].failures >= 1)
        #expect(status[1].requests >= 1)
    }
}
