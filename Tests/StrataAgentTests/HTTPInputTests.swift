import Foundation
import Testing
import StrataAgent
import StrataFormat
import StrataParse

/// The HTTP input against `curl` and a raw socket client: the server's answers for
/// `POST /api/logs` (byte for byte, built from `BatchBody`'s own verdicts), compressed and
/// chunked bodies, limits, routes, keep-alive and pipelining, and answers only after the sink
/// took the entries.
@Suite struct HTTPInputTests {
    func start(sink: CollectingSink, configure: (inout HTTPInput.Config) -> Void = { _ in }) throws -> (HTTPInput, Int) {
        var config = HTTPInput.Config(address: "127.0.0.1:0")
        configure(&config)
        let input = HTTPInput(config: config, sink: sink)
        return (input, try input.start())
    }

    /// `curl` posting `body`; returns the status and the answer body.
    func curl(_ port: Int, _ path: String = "/api/logs", body: [UInt8]? = nil, method: String? = nil,
              headers: [String] = []) throws -> (status: Int, body: String) {
        var args = ["-s", "-o", "-", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"]
        if let method { args += ["-X", method] }
        for h in headers { args += ["-H", h] }
        if body != nil { args += ["--data-binary", "@-"] }
        let r = try run("curl", args, input: body ?? [])
        #expect(r.status == 0, "curl failed: \(r.err)")
        let text = String(decoding: r.out, as: UTF8.self)
        let cut = try #require(text.lastIndex(of: "\n"))
        return (Int(text[text.index(after: cut)...]) ?? -1, String(text[..<cut]))
    }

    /// The server's answer body for `body`, from `BatchBody`'s own verdicts.
    func expectedAnswer(_ body: String, maxRecordBytes: Int = 1 << 20) throws -> String {
        let b = try withBytes(Array(body.utf8)) { (p: UnsafeRawBufferPointer) throws(BatchBody.Failure) in
            try BatchBody.parse(p, defaults: ParseDefaults(receivedAtNanos: 0), maxRecordBytes: maxRecordBytes)
        }
        var out = Array("{\"accepted\":\(b.entries.count),\"rejected\":\(b.rejected),\"errors\":[".utf8)
        for (i, e) in b.errors.enumerated() {
            if i > 0 { out.append(0x2C) }
            out += Array("{\"index\":\(e.index),\"reason\":".utf8)
            LogEntryJSON.appendString(e.reason, to: &out)
            out.append(0x7D)
        }
        return String(decoding: out, as: UTF8.self) + "]}"
    }

    func post(_ body: String, path: String = "/api/logs", extra: String = "") -> String {
        "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    @Test func curlNDJSONKeepsGoodLinesAndNamesBadOnes() throws {
        let sink = CollectingSink()
        let (input, port) = try start(sink: sink)
        defer { input.stop() }
        let body = """
            {"timestamp":"2026-11-29T09:09:47Z","message":"first","level":"warn","service":"api","host":"web-1"}
            {"message": broken
            [1]

            {"timestamp":"2026-11-29T09:09:48Z","message":"second","user":{"id":42}}
            """
        let r = try curl(port, body: Array(body.utf8))
        #expect(r.status == 200)
        #expect(r.body == (try expectedAnswer(body)) + "\n")
        #expect(r.body.hasPrefix(#"{"accepted":2,"rejected":2,"errors":[{"index":1,"reason":"#))
        let entries = sink.entries
        try #require(entries.map(\.message) == ["first", "second"], "the answer comes after accept: no waiting needed")
        #expect(entries[0].level == .warn && entries[0].service == "api" && entries[0].host == "web-1")
        #expect(entries[1].field("user.id") == .int(42))
        #expect(input.stats.acceptedEntries == 2 && input.stats.rejectedRecords == 2)
    }

    @Test func jsonArrayBodyLikeTheServer() throws {
        let sink = CollectingSink()
        let (input, port) = try start(sink: sink)
        defer { input.stop() }
        let body = #"[{"message":"a","level":"error"}, {"message":"b","tags":["x","y"]}, 7]"#
        let r = try curl(port, body: Array(body.utf8), headers: ["Content-Type: application/json"])
        #expect(r.status == 200)
        #expect(r.body == (try expectedAnswer(body)) + "\n")
        try #require(sink.entries.map(\.message) == ["a", "b"])
        #expect(sink.entries[0].level == .error && sink.entries[1].tags == ["x", "y"])
    }

    @Test func everyRecordRejectedIs400WithTheSameBodyAndNothingReachesTheSink() throws {
        let sink = CollectingSink()
        let (input, port) = try start(sink: sink)
        defer { input.stop() }
        let body = "nope\n{\"timestamp\":\"1700-01-01T00:00:00Z\",\"message\":\"old\"}\n"
        let r = try curl(port, body: Array(body.utf8))
        #expect(r.status == 400)
        #expect(r.body == (try expectedAnswer(body)) + "\n")
        #expect(r.body.contains("timestamp outside the supported range"))
        #expect(sink.batches.isEmpty)
    }

    @Test func gzipAndZstdBodiesFromCurl() throws {
        let sink = CollectingSink()
        let (input, port) = try start(sink: sink)
        defer { input.stop() }
        let ndjson = Array((0..<300).map { "{\"message\":\"compressed \($0)\",\"n\":\($0)}\n" }.joined().utf8)
        let gz = try run("gzip", ["-c"], input: ndjson)
        #expect(gz.status == 0 && gz.out.count < ndjson.count / 4)
        let r = try curl(port, body: gz.out, headers: ["Content-Encoding: gzip"])
        #expect(r.status == 200 && r.body == #"{"accepted":300,"rejected":0,"errors":[]}"# + "\n")
        let zs = try run("zstd", ["-c", "-q"], input: ndjson)
        let z = try curl(port, body: zs.out, headers: ["Content-Encoding: zstd"])
        #expect(z.status == 200 && z.body.hasPrefix(#"{"accepted":300,"#))
        let entries = sink.entries
        try #require(entries.count == 600)
        #expect(entries[299].message == "compressed 299" && entries[299].field("n") == .int(299))
    }

    @Test func badOrUnknownEncodingsAreRefused() throws {
        let sink = CollectingSink()
        let (input, port) = try start(sink: sink)
        defer { input.stop() }
        let corrupt = try curl(port, body: Array("not gzip at all".utf8), headers: ["Content-Encoding: gzip"])
        #expect(corrupt.status == 400 && corrupt.body.hasPrefix(#"{"error":{"code":"bad_encoding","message":"invalid gzip body"#))
        let brotli = try curl(port, body: Array("{}".utf8), headers: ["Content-Encoding: br"])
        #expect(brotli.status == 415)
        #expect(brotli.body == #"{"error":{"code":"unsupported_media_type","message":"Content-Encoding 'br' is not supported (gzip, deflate, zstd)"}}"# + "\n")
        #expect(sink.batches.isEmpty)
    }

    @Test func bodiesOverTheLimitAre413SentOrDecompressed() throws {
        let sink = CollectingSink()
        let (input, port) = try start(sink: sink) { $0.maxBodyBytes = 1000 }
        defer { input.stop() }
        let big = Array((0..<100).map { "{\"message\":\"line \($0)\"}\n" }.joined().utf8)
        #expect(big.count > 2000)
        let sent = try curl(port, body: big)
        #expect(sent.status == 413)
        #expect(sent.body == #"{"error":{"code":"body_too_large","message":"request body exceeds 1000 bytes"}}"# + "\n")
        let gz = try run("gzip", ["-c"], input: big).out
        #expect(gz.count < 1000)
        let inflated = try curl(port, body: gz, headers: ["Content-Encoding: gzip"])
        #expect(inflated.status == 413 && inflated.body.contains("decompressed body exceeds 1000 bytes"))
        let chunked = try curl(port, body: big, headers: ["Transfer-Encoding: chunked"])
        #expect(chunked.status == 413)
        #expect(sink.batches.isEmpty)
        // The connection was closed after the 413; the listener still serves new ones.
        #expect(try curl(port, body: Array("{\"message\":\"small\"}".utf8)).status == 200)
    }

    @Test func aRecordOverTheLimitRefusesTheWholeBody() throws {
        let sink = CollectingSink()
        let (input, port) = try start(sink: sink) { $0.maxRecordBytes = 40 }
        defer { input.stop() }
        let body = "{\"message\":\"ok\"}\n{\"message\":\"\(String(repeating: "z", count: 60))\"}\n"
        let r = try curl(port, body: Array(body.utf8))
        #expect(r.status == 413)
        #expect(r.body == #"{"error":{"code":"line_too_large","message":"line 2 is 74 bytes; the limit is 40; nothing of this request was stored"}}"# + "\n")
        #expect(sink.batches.isEmpty)
    }

    @Test func routesHealthNotFoundAndWrongMethod() throws {
        let sink = CollectingSink()
        let (input, port) = try start(sink: sink)
        defer { input.stop() }
        let health = try curl(port, "/health")
        #expect(health.status == 200 && health.body == "{\"status\":\"ok\"}\n")
        let missing = try curl(port, "/api/other", body: Array("{}".utf8))
        #expect(missing.status == 404)
        #expect(missing.body == #"{"error":{"code":"not_found","message":"no route for POST /api/other"}}"# + "\n")
        let get = try curl(port, "/api/logs?q=x")
        #expect(get.status == 405 && get.body.contains(#""code":"bad_request""#))
        let client = try RawClient(port: port)
        try client.send("PUT /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        let put = try client.readResponse()
        #expect(put.status == 405 && put.headers["allow"] == "GET")
        #expect(sink.batches.isEmpty)
    }

    @Test func keepAliveServesPipelinedRequestsInOrderOnOneConnection() throws {
        let sink = CollectingSink()
        let (input, port) = try start(sink: sink)
        defer { input.stop() }
        let client = try RawClient(port: port)
        try client.send(post("{\"message\":\"one\"}\n") + post("{\"message\":\"two\"}\n{\"message\":\"three\"}") + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = try client.readResponse(), second = try client.readResponse(), third = try client.readResponse()
        let statuses: [Int] = [first.status, second.status, third.status]
        #expect(statuses == [200, 200, 200])
        #expect(first.text == #"{"accepted":1,"rejected":0,"errors":[]}"# + "\n")
        #expect(second.text == #"{"accepted":2,"rejected":0,"errors":[]}"# + "\n")
        #expect(third.text == "{\"status\":\"ok\"}\n")
        #expect(first.headers["connection"] == nil, "keep-alive is the HTTP/1.1 default")
        try client.send(post("{\"message\":\"four\"}"))
        #expect(try client.readResponse().status == 200, "the connection is still open")
        #expect(sink.entries.map(\.message) == ["one", "two", "three", "four"])
        #expect(input.stats.acceptedConnections == 1 && input.stats.requests == 4)
    }

    @Test func curlReusesItsConnection() throws {
        let sink = CollectingSink()
        let (input, port) = try start(sink: sink)
        defer { input.stop() }
        let url = "http://127.0.0.1:\(port)/api/logs"
        let r = try run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n", "--data-binary", "{\"message\":\"a\"}", url,
                                 "--next", "-s", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n", "--data-binary", "{\"message\":\"b\"}", url])
        #expect(String(decoding: r.out, as: UTF8.self) == "200 1\n200 0\n")
        #expect(input.stats.acceptedConnections == 1)
        #expect(sink.entries.map(\.message) == ["a", "b"])
    }

    @Test func chunkedBodiesFromARawClientAndFromCurl() throws {
        let sink = CollectingSink()
        let (input, port) = try start(sink: sink)
        defer { input.stop() }
        let client = try RawClient(port: port)
        let records = "{\"message\":\"c1\"}\n{\"message\":\"c2\"}\n{\"message\":\"c3\"}"
        let u = Array(records.utf8)
        var request = Array("POST /api/logs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        // Chunks cut records mid-way; one has an extension; trailers follow the last chunk.
        for (k, range) in [0..<5, 5..<30, 30..<u.count].enumerated() {
            request += Array(String(range.count, radix: 16).utf8) + (k == 1 ? Array(";name=v".utf8) : []) + [13, 10] + u[range] + [13, 10]
        }
        request += Array("0\r\nX-Trailer: t\r\n\r\n".utf8)
        try client.send(Array(request[0..<20]))
        try client.send(Array(request[20...]))
        let r = try client.readResponse()
        #expect(r.status == 200 && r.text == #"{"accepted":3,"rejected":0,"errors":[]}"# + "\n")
        let viaCurl = try curl(port, body: Array("{\"message\":\"c4\"}\n".utf8), headers: ["Transfer-Encoding: chunked"])
        #expect(viaCurl.status == 200)
        #expect(sink.entries.map(\.message) == ["c1", "c2", "c3", "c4"])
    }

    @Test func expectContinueIsAnsweredBeforeTheBody() throws {
        let sink = CollectingSink()
        let (input, port) = try start(sink: sink) { $0.maxBodyBytes = 100 }
        defer { input.stop() }
        let client = try RawClient(port: port)
        let body = "{\"message\":\"after continue\"}"
        try client.send("POST /api/logs HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        let interim = try #require(client.receive())
        #expect(String(decoding: interim, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
        try client.send(body)
        #expect(try client.readResponse().status == 200)
        #expect(sink.entries.map(\.message) == ["after continue"])
        // Too large: 413 at once, no 100 Continue, and the connection closes.
        let refused = try RawClient(port: port)
        try refused.send("POST /api/logs HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n")
        let r = try refused.readResponse()
        #expect(r.status == 413 && r.headers["connection"] == "close")
        #expect(refused.isClosedByServer())
    }

    @Test func theAnswerWaitsUntilTheSinkTookTheEntries() throws {
        let sink = CollectingSink(gateClosed: true)
        let (input, port) = try start(sink: sink)
        defer { input.stop() }
        let client = try RawClient(port: port)
        try client.send(post("{\"message\":\"held\"}"))
        #expect(sink.waitUntilHeld())
        #expect(client.receive(millis: 300) == nil, "no answer while the sink applies back-pressure")
        sink.openGate()
        let r = try client.readResponse()
        #expect(r.status == 200 && r.text.hasPrefix(#"{"accepted":1,"#))
        #expect(sink.entries.map(\.message) == ["held"])
    }

    @Test func aRefusingSinkGets503AndTheConnectionCloses() throws {
        let sink = CollectingSink(refusing: true)
        let (input, port) = try start(sink: sink)
        defer { input.stop() }
        let client = try RawClient(port: port)
        try client.send(post("{\"message\":\"late\"}"))
        let r = try client.readResponse()
        #expect(r.status == 503 && r.headers["retry-after"] == "5" && r.text.contains(#""code":"storage_unavailable""#))
        #expect(client.isClosedByServer())
    }

    @Test func http10ClosesUnlessKeepAliveAndMalformedRequestsAre400() throws {
        let sink = CollectingSink()
        let (input, port) = try start(sink: sink)
        defer { input.stop() }
        let old = try RawClient(port: port)
        try old.send("GET /health HTTP/1.0\r\n\r\n")
        let r = try old.readResponse()
        #expect(r.status == 200 && r.headers["connection"] == "close")
        #expect(old.isClosedByServer())
        let bad = try RawClient(port: port)
        try bad.send("POST /api/logs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello")
        let b = try bad.readResponse()
        #expect(b.status == 400 && b.text.contains("conflicting Content-Length"))
        #expect(bad.isClosedByServer())
        let smuggle = try RawClient(port: port)
        try smuggle.send("POST /api/logs HTTP/1.1\r\nHost : x\r\nContent-Length: 2\r\n\r\n{}")
        #expect(try smuggle.readResponse().status == 400)
        #expect(sink.batches.isEmpty)
    }

    @Test func stopClosesIdleKeepAliveConnectionsPromptly() throws {
        let sink = CollectingSink()
        let (input, port) = try start(sink: sink)
        let client = try RawClient(port: port)
        try client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        #expect(input.stats.activeConnections == 1)
        let began = Date()
        input.stop()
        #expect(Date().timeIntervalSince(began) < 2)
        #expect(client.isClosedByServer())
        #expect(input.stats.activeConnections == 0)
        #expect(throws: (any Error).self) { try RawClient(port: port) }
    }
}
