import Foundation
import Testing
import StrataFormat
import StrataIO
import StrataTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The real `strata serve` binary over real sockets: ingest, search, entries by id, stats,
/// errors, limits from the environment and from strata.yaml, graceful shutdown and restart,
/// and durability of acknowledged entries across SIGKILL.
@Suite(.serialized) struct ServerEndToEndTests {
    func json(_ r: HTTPTestClient.Response) throws -> [String: Any] {
        let obj = try JSONSerialization.jsonObject(with: Data(r.body))
        return try #require(obj as? [String: Any], "not a JSON object: \(r.text)")
    }

    /// Compresses with a real command-line tool (`gzip`, `zstd`).
    func compress(_ bytes: [UInt8], with tool: String) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool, "-c"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(Data(bytes))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return [UInt8](out)
    }

    @Test func ingestSearchStatsErrorsAndRestart() throws {
        let dir = TemporaryDirectory("strata-serve")
        let data = dir.path + "/data"
        let server = try ServerProcess(dataDir: data)
        let c = server.client

        // NDJSON with one bad line: partial success names the bad record.
        let ndjson = """
        {"timestamp":"2026-11-29T10:00:00Z","level":"error","service":"checkout","message":"payment timeout after 30s","order_id":"A-1"}
        {"timestamp":"2026-11-29T10:00:01Z","level":"info","service":"checkout","message":"payment ok","order_id":"A-2"}
        this is not json
        {"timestamp":"2026-11-29T10:00:02Z","level":"warn","service":"search","message":"slow query 812ms","took":812}
        """
        var r = try c.post("/api/logs", Array(ndjson.utf8))
        #expect(r.status == 200, "\(r.text)")
        var j = try json(r)
        #expect(j["accepted"] as? Int == 3)
        #expect(j["rejected"] as? Int == 1)
        let errs = try #require(j["errors"] as? [[String: Any]])
        #expect(errs.count == 1 && errs[0]["index"] as? Int == 2)

        // A JSON array, gzip-compressed; NDJSON, zstd-compressed.
        let array = #"[{"timestamp":"2026-11-29T10:00:03Z","service":"api","message":"gzip array one"},{"timestamp":"2026-11-29T10:00:04Z","service":"api","message":"gzip array two"}]"#
        r = try c.post("/api/logs", try compress(Array(array.utf8), with: "gzip"), headers: ["Content-Encoding": "gzip"])
        #expect(r.status == 200, "\(r.text)")
        #expect(try json(r)["accepted"] as? Int == 2)
        let z = #"{"timestamp":"2026-11-29T10:00:05Z","service":"api","message":"zstd line"}"# + "\n"
        r = try c.post("/api/logs", try compress(Array(z.utf8), with: "zstd"), headers: ["Content-Encoding": "zstd"])
        #expect(r.status == 200, "\(r.text)")
        #expect(try json(r)["accepted"] as? Int == 1)

        // Search: newest first, exact total, the query language with URL encoding (+ is a space).
        r = try c.get("/api/logs?q=service%3Acheckout+payment&limit=1")
        #expect(r.status == 200)
        j = try json(r)
        #expect(j["total"] as? Int == 2)
        let hits = try #require(j["hits"] as? [[String: Any]])
        #expect(hits.count == 1)
        #expect(hits[0]["message"] as? String == "payment ok")
        let cursor = try #require(j["next_cursor"] as? String)
        r = try c.get("/api/logs?q=service%3Acheckout+payment&limit=1&cursor=\(cursor)")
        let page2 = try #require(try json(r)["hits"] as? [[String: Any]])
        #expect(page2.first?["message"] as? String == "payment timeout after 30s")
        #expect((page2.first?["fields"] as? [String: Any])?["order_id"] as? String == "A-1")

        // Time range.
        r = try c.get("/api/logs?q=*&from=2026-11-29T10:00:03Z&to=2026-11-29T10:00:04Z")
        #expect(try json(r)["total"] as? Int == 2)

        // Aggregation.
        r = try c.get("/api/logs?q=" + "* | stats count() by service".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        j = try json(r)
        #expect(j["columns"] as? [String] == ["service", "count()"])
        let rows = try #require(j["rows"] as? [[String: Any]])
        let counts = Dictionary(uniqueKeysWithValues: rows.map { ($0["service"] as! String, $0["count()"] as! Int) })
        #expect(counts == ["checkout": 2, "search": 1, "api": 3])

        // One entry by id; unknown id; malformed id.
        let id = try #require(hits[0]["id"] as? String)
        r = try c.get("/api/logs/\(id)")
        #expect(r.status == 200)
        #expect(try json(r)["message"] as? String == "payment ok")
        r = try c.get("/api/logs/00000000000000000000000000000001")
        #expect(r.status == 404)
        #expect((try json(r)["error"] as? [String: Any])?["code"] as? String == "not_found")
        r = try c.get("/api/logs/xyz")
        #expect(r.status == 400)

        // A bad query: 400 with the position and a stable code.
        r = try c.get("/api/logs?q=level%3A%28")
        #expect(r.status == 400)
        let err = try #require(try json(r)["error"] as? [String: Any])
        #expect(err["code"] as? String == "bad_query")
        #expect(err["position"] as? Int == 6)

        // Bad bodies: broken gzip, unknown encoding, all records bad, broken array.
        r = try c.post("/api/logs", Array("not gzip".utf8), headers: ["Content-Encoding": "gzip"])
        #expect(r.status == 400 && r.text.contains("bad_encoding"))
        r = try c.post("/api/logs", Array("x".utf8), headers: ["Content-Encoding": "br"])
        #expect(r.status == 415)
        r = try c.post("/api/logs", Array("nope\nstill nope\n".utf8))
        #expect(r.status == 400)
        j = try json(r)
        #expect(j["accepted"] as? Int == 0 && j["rejected"] as? Int == 2 && (j["errors"] as? [[String: Any]])?.count == 2)
        // No such route: the JSON error format too.
        r = try c.get("/api/nothing")
        #expect(r.status == 404 && r.text.contains("not_found"))
        r = try c.post("/api/logs", Array(#"[{"message":"a"},{"message":"#.utf8))
        #expect(r.status == 400 && r.text.contains("bad_request"))

        // Stats count what is stored and what was accepted.
        r = try c.get("/api/stats")
        j = try json(r)
        #expect(j["entries"] as? Int == 6)
        // Still all in the memtable: its time range and partition count too.
        #expect(j["oldest"] as? String == "2026-11-29T10:00:00.000000000Z" && j["newest"] as? String == "2026-11-29T10:00:05.000000000Z")
        #expect(j["partitions"] as? Int == 1 && j["segments"] as? Int == 0)
        let ingest = try #require(j["ingest"] as? [String: Any])
        #expect(ingest["accepted_total"] as? Int == 6)
        #expect(ingest["rejected_total"] as? Int == 3)

        // Self-monitoring: the counters match what happened; the exposition passes promtool.
        r = try c.get("/metrics")
        #expect(r.status == 200 && r.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let metrics = r.text
        #expect(metrics.contains("strata_ingest_entries_accepted_total{protocol=\"api\"} 6\n"), "\(metrics)")
        #expect(metrics.contains("strata_ingest_entries_rejected_total{protocol=\"api\"} 3\n"))
        #expect(metrics.contains("strata_unflushed_entries 6"))
        let fsyncs = metrics.split(separator: "\n").first { $0.hasPrefix("strata_wal_fsync_duration_seconds_count ") }
        #expect(fsyncs.flatMap { Int($0.split(separator: " ")[1]) }.map { $0 >= 3 } == true, "one fsync per acknowledged batch at least")
        let promtool = Process()
        promtool.executableURL = URL(fileURLWithPath: packageRootPath() + "/.tools/promtool")
        promtool.arguments = ["check", "metrics"]
        let pin = Pipe(), pout = Pipe()
        promtool.standardInput = pin
        promtool.standardOutput = pout
        promtool.standardError = pout
        try promtool.run()
        pin.fileHandleForWriting.write(Data(r.body))
        try pin.fileHandleForWriting.close()
        let lint = String(decoding: pout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        promtool.waitUntilExit()
        #expect(promtool.terminationStatus == 0, "promtool check metrics: \(lint)")

        // Graceful stop: exit 0, the memtable is flushed to segments, the WAL is emptied.
        #expect(server.stop() == 0)
        let walFiles = try FileManager.default.contentsOfDirectory(atPath: data + "/wal")
        #expect(walFiles.isEmpty, "WAL left behind: \(walFiles)")
        let segs = FileManager.default.enumerator(atPath: data + "/partitions")!.compactMap { $0 as? String }.filter { $0.hasSuffix(".seg") }
        #expect(!segs.isEmpty)

        // Restart: everything is still there.
        let again = try ServerProcess(dataDir: data)
        r = try again.client.get("/api/logs?q=*&limit=0")
        #expect(try json(r)["total"] as? Int == 6)
        #expect(again.stop() == 0)
    }

    @Test func limitsFromEnvironmentAndYAML() throws {
        let dir = TemporaryDirectory("strata-serve")
        try "max_line_bytes: 200\nfsync: interval\n".write(toFile: dir.path + "/strata.yaml", atomically: true, encoding: .utf8)
        let server = try ServerProcess(dataDir: dir.path + "/data", arguments: ["--config", dir.path + "/strata.yaml"],
                                       environment: ["STRATA_MAX_BODY_BYTES": "4096"])
        let c = server.client
        // Body over the environment's limit: 413, nothing stored.
        var r = try c.post("/api/logs", [UInt8](repeating: UInt8(ascii: "x"), count: 5000))
        #expect(r.status == 413, "\(r.text)")
        #expect(r.text.contains("body_too_large"))
        // A line over the YAML's limit: 413 naming the line, nothing of the body stored.
        let long = #"{"message":""# + String(repeating: "y", count: 300) + "\"}"
        r = try c.post("/api/logs", Array((#"{"message":"short"}"# + "\n" + long + "\n").utf8))
        #expect(r.status == 413 && r.text.contains("line 2"), "\(r.text)")
        // A compression bomb stops at the limit.
        let bomb = try compress([UInt8](repeating: 0x20, count: 1 << 20), with: "gzip")
        r = try c.post("/api/logs", bomb, headers: ["Content-Encoding": "gzip"])
        #expect(r.status == 413)
        r = try c.get("/api/logs?q=*")
        #expect(try json(r)["total"] as? Int == 0)
        #expect(server.stop() == 0)
    }

    @Test func aDiskBelowTheReserveAnswers503AndWritesNothing() throws {
        let dir = TemporaryDirectory("strata-full")
        // A reserve larger than any disk here: the server must refuse every write, unharmed.
        let server = try ServerProcess(dataDir: dir.path + "/data", arguments: ["--min-free-disk", "1000000GiB"])
        let c = server.client
        func walBytes() throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: dir.path + "/data/wal")
                .map { try FileManager.default.attributesOfItem(atPath: dir.path + "/data/wal/" + $0)[.size] as! Int }.reduce(0, +)
        }
        let walBefore = try walBytes()
        var r = try c.post("/api/logs", Array(#"{"message":"refused while full"}"#.utf8))
        #expect(r.status == 503 && r.text.contains("storage_full") && r.headers["retry-after"] == "10", "\(r.status) \(r.text)")
        r = try c.post("/logs/_bulk", Array("{\"index\":{}}\n{\"message\":\"es while full\"}\n".utf8), headers: ["Content-Type": "application/x-ndjson"])
        #expect(r.status == 503 && r.headers["retry-after"] == "10", "every ingest route answers the same")
        #expect(try walBytes() == walBefore, "nothing reached the WAL")
        #expect(try json(try c.get("/api/logs?q=*"))["total"] as? Int == 0)
        #expect(try c.get("/health").status == 200, "searches and health still work")
        #expect(server.stop() == 0)
    }

    /// Polls `/api/stats` until `done` holds for it (the maintenance it waits for runs on the
    /// server's timers); records an issue with the last stats after `seconds`.
    func awaitStats(_ c: HTTPTestClient, seconds: Double = 30, _ what: String, _ done: ([String: Any]) -> Bool) throws -> [String: Any] {
        let deadline = monotonicNanos() + UInt64(seconds * 1e9)
        var last = [String: Any]()
        while monotonicNanos() < deadline {
            last = try json(try c.get("/api/stats"))
            if done(last) { return last }
            usleep(100_000)
        }
        Issue.record("timed out waiting for \(what); last stats: \(last)")
        return last
    }

    @Test func retentionAndCompactionRunInTheBackgroundAndShowInStatsAndMetrics() throws {
        let dir = TemporaryDirectory("strata-maintenance")
        let server = try ServerProcess(dataDir: dir.path + "/data", arguments: ["--retention", "2d"],
                                       environment: ["STRATA_FLUSH_INTERVAL_SECONDS": "1", "STRATA_MAINTENANCE_INTERVAL_SECONDS": "1"])
        let c = server.client
        func post(_ n: Int, ageSeconds: Int64, tag: String) throws {
            let ts = Timestamp.format(wallClockNanos() - ageSeconds * 1_000_000_000)
            let body = (0..<n).map { #"{"timestamp":"\#(ts)","message":"\#(tag) \#($0)"}"# }.joined(separator: "\n")
            let r = try c.post("/api/logs", Array(body.utf8))
            #expect(r.status == 200, "\(r.status) \(r.text)")
            _ = try awaitStats(c, "a flush") { ($0["unflushed_entries"] as? Int) == 0 }
        }
        // Five days old: past the two-day retention; its partition is dropped once flushed.
        try post(10, ageSeconds: 5 * 86_400, tag: "ancient")
        var stats = try awaitStats(c, "retention") { (($0["maintenance"] as? [String: Any])?["retention_dropped_partitions"] as? Int) == 1 }
        #expect((stats["maintenance"] as? [String: Any])?["retention_dropped_entries"] as? Int == 10)
        // Four flushes into the current partition make one size tier: merged in the background.
        for k in 0..<4 { try post(50, ageSeconds: 0, tag: "fresh\(k)") }
        stats = try awaitStats(c, "a compaction") { (($0["maintenance"] as? [String: Any])?["compactions"] as? Int ?? 0) >= 1 }
        let m = stats["maintenance"] as? [String: Any] ?? [:]
        #expect((m["compacted_segments"] as? Int ?? 0) >= 4)
        #expect((m["compaction_bytes_written"] as? Int ?? 0) > 0)
        #expect(stats["entries"] as? Int == 200)
        #expect(try json(try c.get("/api/logs?q=ancient"))["total"] as? Int == 0)
        #expect(try json(try c.get("/api/logs?q=fresh2&limit=100"))["total"] as? Int == 50)
        let metrics = try c.get("/metrics").text
        #expect(metrics.contains("strata_retention_dropped_partitions_total 1"), "\(metrics)")
        #expect(metrics.contains("strata_compactions_total"))
        #expect(server.stop() == 0)
    }

    @Test func oldPartitionsMoveToTheArchiveAndStaySearchable() throws {
        let dir = TemporaryDirectory("strata-archive")
        let server = try ServerProcess(dataDir: dir.path + "/data",
                                       environment: ["STRATA_FLUSH_INTERVAL_SECONDS": "1", "STRATA_MAINTENANCE_INTERVAL_SECONDS": "1",
                                                     "STRATA_ARCHIVE_DIR": dir.path + "/archive", "STRATA_ARCHIVE_AFTER": "1d"])
        let c = server.client
        let old = Timestamp.format(wallClockNanos() - 3 * 86_400 * 1_000_000_000)
        let body = (0..<25).map { #"{"timestamp":"\#(old)","message":"cold entry \#($0)","service":"billing"}"# }.joined(separator: "\n")
            + "\n" + #"{"message":"hot entry"}"#
        #expect(try c.post("/api/logs", Array(body.utf8)).status == 200)
        let stats = try awaitStats(c, "archiving") { (($0["maintenance"] as? [String: Any])?["archive"] as? [String: Any])?["partitions"] as? Int == 1 }
        let archive = (stats["maintenance"] as? [String: Any])?["archive"] as? [String: Any] ?? [:]
        #expect(archive["entries"] as? Int == 25 && (archive["bytes"] as? Int ?? 0) > 0)
        #expect(stats["entries"] as? Int == 26)
        #expect(try json(try c.get("/api/logs?q=cold%20service:billing&limit=100"))["total"] as? Int == 25)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/archive/MANIFEST"))
        #expect(server.stop() == 0)
        // After a restart the archive is found again.
        let again = try ServerProcess(dataDir: dir.path + "/data", environment: ["STRATA_ARCHIVE_DIR": dir.path + "/archive"])
        #expect(try json(try again.client.get("/api/logs?q=cold&limit=100"))["total"] as? Int == 25)
        #expect(again.stop() == 0)
    }

    @Test func badConfigurationIsRefusedWithTheKeyNamed() throws {
        let dir = TemporaryDirectory("strata-serve")
        try "max_lines: 5\n".write(toFile: dir.path + "/strata.yaml", atomically: true, encoding: .utf8)
        #expect(throws: ServerProcess.Failure.self) {
            _ = try ServerProcess(dataDir: dir.path + "/data", arguments: ["--config", dir.path + "/strata.yaml"])
        }
        do {
            _ = try ServerProcess(dataDir: dir.path + "/data", environment: ["STRATA_FSYNC": "sometimes"])
            Issue.record("a bad STRATA_FSYNC was accepted")
        } catch let ServerProcess.Failure.exitedEarly(status, log) {
            #expect(status != 0)
            #expect(log.contains("STRATA_FSYNC") && log.contains("sometimes"), "\(log)")
        }
    }

    @Test func acknowledgedEntriesSurviveSIGKILL() throws {
        let dir = TemporaryDirectory("strata-serve")
        let data = dir.path + "/data"
        let server = try ServerProcess(dataDir: data)
        var acknowledged = 0
        for batch in 0..<5 {
            let body = (0..<200).map { #"{"service":"kill","message":"batch \#(batch) line \#($0)"}"# }.joined(separator: "\n")
            let r = try server.client.post("/api/logs", Array(body.utf8))
            #expect(r.status == 200)
            acknowledged += (try json(r)["accepted"] as? Int) ?? 0
        }
        #expect(server.stop(signal: SIGKILL) == SIGKILL)
        let again = try ServerProcess(dataDir: data)
        #expect(again.startupLog.contains("\(acknowledged) entries replayed from the WAL"), "\(again.startupLog)")
        let r = try again.client.get("/api/logs?q=service%3Akill&limit=0")
        #expect(try json(r)["total"] as? Int == acknowledged)
        #expect(again.stop() == 0)
    }

    @Test func agentsAndAlerts() throws {
        let dir = TemporaryDirectory("strata-serve")
        let data = dir.path + "/data"
        let server = try ServerProcess(dataDir: data)
        let c = server.client
        var r = try c.post("/api/agents/heartbeat", Array(#"{"id":"agent-7","host":"web-7","version":"0.3.1","inputs":[{"path":"/var/log/app.log","offset":1234}]}"#.utf8))
        #expect(r.status == 200)
        r = try c.post("/api/agents/heartbeat", Array(#"{"host":"no id"}"#.utf8))
        #expect(r.status == 400)
        r = try c.get("/api/agents")
        let agents = try #require(try json(r)["agents"] as? [[String: Any]])
        #expect(agents.count == 1)
        #expect(agents[0]["id"] as? String == "agent-7" && agents[0]["status"] as? String == "online" && agents[0]["host"] as? String == "web-7")

        r = try c.post("/api/alerts", Array(#"{"name":"checkout errors","query":"level:error AND service:checkout","threshold":5,"window":"5m"}"#.utf8))
        #expect(r.status == 201, "\(r.text)")
        r = try c.post("/api/alerts", Array(#"{"name":"broken","query":"level:("}"#.utf8))
        #expect(r.status == 400 && r.text.contains("bad_query"))
        #expect(server.stop() == 0)
        // Alert rules persist across restarts.
        let again = try ServerProcess(dataDir: data)
        r = try again.client.get("/api/alerts")
        let alerts = try #require(try json(r)["alerts"] as? [[String: Any]])
        #expect(alerts.count == 1 && alerts[0]["threshold"] as? Int == 5 && alerts[0]["name"] as? String == "checkout errors")
        #expect(again.stop() == 0)
    }
}

/// With `auth_tokens` set, every endpoint but /health wants a token, in any form shippers send.
@Suite(.serialized) struct AuthenticationTests {
    @Test func tokensInEveryFormShippersUse() throws {
        let dir = TemporaryDirectory("strata-auth")
        let token = "s3cret-token-0123456789"
        let server = try ServerProcess(dataDir: dir.path + "/data", environment: ["STRATA_AUTH_TOKENS": "other-token-abcdefghij," + token])
        let c = server.client
        #expect(try c.get("/health").status == 200)
        var r = try c.get("/api/logs?q=*")
        #expect(r.status == 401 && r.text.contains("unauthorized") && r.headers["www-authenticate"] == "Bearer")
        #expect(try c.request("GET", "/api/logs?q=*", headers: ["Authorization": "Bearer wrong-token-0123456789"]).status == 401)
        r = try c.request("POST", "/api/logs", headers: ["Authorization": "Bearer " + token], body: Array(#"{"message":"with a token"}"#.utf8))
        #expect(r.status == 200)
        let basic = Data(("loki:" + token).utf8).base64EncodedString()
        #expect(try c.request("GET", "/api/stats", headers: ["Authorization": "Basic " + basic]).status == 200)
        #expect(try c.request("GET", "/", headers: ["Authorization": "ApiKey " + token]).status == 200)
        #expect(try c.request("GET", "/metrics", headers: ["X-API-Key": token]).status == 200)
        #expect(try c.get("/metrics").status == 401)
        // The tail too, and the CLI's --token.
        #expect(throws: WebSocketClient.Failure.self) { _ = try WebSocketClient(host: "127.0.0.1", port: server.port, path: "/api/tail?q=") }
        _ = try WebSocketClient(host: "127.0.0.1", port: server.port, path: "/api/tail?q=", headers: ["Authorization": "Bearer " + token])
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ServerProcess.binaryPath)
        p.arguments = ["query", "--server", "http://127.0.0.1:\(server.port)", "--token", token, "with a token"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0 && text.contains("\"with a token\""), "\(text)")
        #expect(server.stop() == 0)
    }

    @Test func rateLimitPerToken() throws {
        let dir = TemporaryDirectory("strata-auth")
        let token = "rate-limited-token-0123"
        // 2 requests a second, bursts of 4: a quick run of 30 requests must hit the limit.
        let server = try ServerProcess(dataDir: dir.path + "/data", arguments: ["--auth-tokens", token, "--rate-limit-per-token", "2"])
        var statuses = [Int]()
        for _ in 0..<30 { statuses.append(try server.client.request("GET", "/api/stats", headers: ["Authorization": "Bearer " + token]).status) }
        #expect(statuses.prefix(4).allSatisfy { $0 == 200 }, "the burst is allowed: \(statuses)")
        #expect(statuses.filter { $0 == 429 }.count >= 15, "\(statuses)")
        let r = try server.client.request("GET", "/api/stats", headers: ["Authorization": "Bearer " + token])
        if r.status == 429 { #expect(r.text.contains("rate_limited") && r.headers["retry-after"] == "1") }
        #expect(try server.client.get("/health").status == 200, "health is neither authenticated nor limited")
        #expect(server.stop() == 0)
    }
}

/// A client that sends `Expect: 100-continue` (curl does for bodies over 1 MiB) gets the interim
/// `100 Continue` before it sends the body, then the final answer.
@Suite(.serialized) struct ExpectContinueTests {
    @Test func interimContinueThenTheAnswer() throws {
        let dir = TemporaryDirectory("strata-expect")
        let server = try ServerProcess(dataDir: dir.path + "/data")
        let body = Array(#"{"message":"after continue"}"#.utf8)
        let fd = try connectTCP(host: "127.0.0.1", port: server.port)
        defer { close(fd) }
        try sendAll(fd, Array("POST /api/logs HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n".utf8))
        var got = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        func readUntil(_ marker: String) {
            while !String(decoding: got, as: UTF8.self).contains(marker) {
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return }
                got += buf[0..<n]
            }
        }
        readUntil("\r\n\r\n")
        #expect(String(decoding: got, as: UTF8.self).hasPrefix("HTTP/1.1 100 Continue\r\n"))
        try sendAll(fd, body)
        readUntil("\"accepted\":1")
        #expect(String(decoding: got, as: UTF8.self).contains("HTTP/1.1 200 OK"))
        #expect(server.stop() == 0)
    }
}

/// Loki's protobuf push as Promtail sends it: snappy-compressed `PushRequest`, answered 204.
@Suite(.serialized) struct LokiProtobufEndToEndTests {
    @Test func protobufPushIsStored() throws {
        let dir = TemporaryDirectory("strata-lokipb")
        let server = try ServerProcess(dataDir: dir.path + "/data")
        var ts = PB(); ts.int(1, 1_795_910_400); ts.int(2, 7)
        var entry = PB(); entry.msg(1, ts); entry.str(2, "from promtail")
        var stream = PB(); stream.str(1, #"{job="promtail-job", host="node-1"}"#); stream.msg(2, entry); stream.msg(2, entry)
        var req = PB(); req.msg(1, stream)
        var r = try server.client.post("/loki/api/v1/push", snappyLiterals(req.bytes), headers: ["Content-Type": "application/x-protobuf"])
        #expect(r.status == 204, "\(r.text)")
        r = try server.client.get("/api/logs?q=service%3Apromtail-job+host%3Anode-1+%22from+promtail%22&limit=0")
        #expect((try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])?["total"] as? Int == 2)
        r = try server.client.post("/loki/api/v1/push", [0x05, 0x00, 0x61], headers: ["Content-Type": "application/x-protobuf"])
        #expect(r.status == 400, "broken snappy")
        #expect(server.stop() == 0)
    }
}
