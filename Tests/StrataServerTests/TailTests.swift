import Foundation
import Testing
import StrataFormat
import StrataQuery
import StrataTestSupport
@testable import StrataServer

@Suite struct TailHubTests {
    func entry(_ m: String, _ level: LogLevel = .error) -> LogEntry { LogEntry(timestampNanos: 1_795_910_400_000_000_000, level: level, message: m) }

    @Test func filtersPerSubscriberAndDropsASlowOne() async throws {
        let hub = TailHub(maxQueuedBatches: 3)
        let (fast, fastEvents) = hub.subscribe(try EntryFilter(query: "level:error"))
        let (_, slowEvents) = hub.subscribe(try EntryFilter(query: ""))
        #expect(hub.activeCount == 2)
        // The fast subscriber takes every batch as it comes; the slow one never reads.
        var fastIterator = fastEvents.makeAsyncIterator()
        for i in 0..<5 {
            hub.publish([entry("e\(i)"), entry("i\(i)", .info)])
            guard case .entries(let got)? = await fastIterator.next() else { Issue.record("no batch"); return }
            #expect(got.map(\.message) == ["e\(i)"])
            hub.delivered(fast)
        }
        var slow = [TailHub.Event]()
        for await e in slowEvents { slow.append(e) }
        #expect(slow.count == 4, "three batches queued, then the overflow notice, then the end")
        if case .overflow = slow.last! {} else { Issue.record("the slow subscriber was not told") }
        #expect(throws: QuerySyntaxError.self) { try EntryFilter(query: "* | stats count()") }
    }
}

/// `GET /api/tail` over a real WebSocket connection, and `strata tail` as a user runs it.
@Suite(.serialized) struct TailEndToEndTests {
    /// Polls `/metrics` until the server reports `n` open tails: the subscription is registered
    /// after the WebSocket handshake, and this is the only outside view of it.
    func waitForTails(_ server: ServerProcess, _ n: Int) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if try server.client.get("/metrics").text.contains("strata_active_tails \(n).0") { return }
            usleep(10_000)
        }
        Issue.record("the tail did not register within 10 s")
    }

    @Test func tailStreamsMatchingEntriesAsTheyAreStored() throws {
        let dir = TemporaryDirectory("strata-tail")
        let server = try ServerProcess(dataDir: dir.path + "/data")
        let ws = try WebSocketClient(host: "127.0.0.1", port: server.port, path: "/api/tail?q=level%3Aerror+service%3Aapi")
        try waitForTails(server, 1)
        let body = """
        {"level":"error","service":"api","message":"first failure"}
        {"level":"info","service":"api","message":"fine"}
        {"level":"error","service":"web","message":"other service"}
        {"level":"error","service":"api","message":"second failure"}
        """
        let r = try server.client.post("/api/logs", Array(body.utf8))
        #expect(r.status == 200)
        var got = [[String: Any]]()
        while got.count < 2, let m = try ws.receive() {
            if case .text(let t) = m { got.append(try #require(try JSONSerialization.jsonObject(with: Data(t.utf8)) as? [String: Any])) }
        }
        #expect(got.map { $0["message"] as? String } == ["first failure", "second failure"])
        // The id is the stored entry's: it can be fetched.
        let id = try #require(got[0]["id"] as? String)
        #expect(try server.client.get("/api/logs/\(id)").status == 200)
        ws.closeConnection()
        try waitForTails(server, 0)

        // A bad query is refused before the upgrade, with the JSON error.
        #expect(throws: WebSocketClient.Failure.self) { _ = try WebSocketClient(host: "127.0.0.1", port: server.port, path: "/api/tail?q=level%3A%28") }
        let plain = try server.client.get("/api/tail?q=level%3A%28")
        #expect(plain.status == 400 && plain.text.contains("bad_query"))

        // strata tail: prints each matching entry as a line, until the server goes away.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ServerProcess.binaryPath)
        p.arguments = ["tail", "--server", "http://127.0.0.1:\(server.port)", "service:cli"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        try waitForTails(server, 1)
        _ = try server.client.post("/api/logs", Array(#"{"service":"cli","message":"to the terminal"}"#.utf8))
        #expect(server.stop() == 0, "an open tail does not hold up a graceful stop")
        p.waitUntilExit()
        let lines = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("\"to the terminal\""), "\(lines)")
    }
}
