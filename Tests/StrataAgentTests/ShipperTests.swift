import Foundation
import Testing
import StrataCodec
import StrataIO
import StrataTestSupport
@testable import StrataAgent

/// The shipper against scripted HTTP servers: how it answers 413, 400, 5xx with Retry-After,
/// and what the breaker and backoff do.
@Suite(.serialized) struct ShipperTests {
    /// An agent with one in-memory pipeline to `port` (no inputs; batches are appended).
    func pipeline(port: Int, batchLines: Int = 100, state: String) throws -> (DeliveryQueue, BatchAssembler, Shipper) {
        let yaml = """
            agent: {buffer: {type: memory, path: "\(state)"}}
            inputs: [{type: file, paths: ["/nonexistent/*.log"]}]
            output:
              hosts: ["127.0.0.1:\(port)"]
              batch_size: \(batchLines)
              min_batch_size: 2
              batch_timeout: 20ms
              backoff: {initial: 5ms, max: 20ms}
              circuit_breaker: {failures: 100, cooldown: 10ms}
            """
        let c = try AgentConfig.load(yaml: yaml, origin: "t")
        let cps = try CheckpointStore(path: state + "/checkpoints")
        let q = DeliveryQueue(ringCapacity: 8, disk: nil, checkpoints: cps)
        let a = BatchAssembler(output: c.output, queue: q, checkpoints: cps)
        return (q, a, Shipper(output: c.output, queue: q, assembler: a, agentID: "t"))
    }

    func lines(_ range: Range<Int>) -> [UInt8] {
        Array(range.map { #"{"message":"m\#($0)"}"# + "\n" }.joined().utf8)
    }

    static func lineCount(_ r: ReceivedRequest) -> Int {
        let body = (try? r.body.withUnsafeBytes { p throws(StreamDecompression.Failure) in try StreamDecompression.decompress(p, encoding: .zstd, limit: 1 << 24) }) ?? []
        return body.filter { $0 == 0x0A }.count
    }

    @Test func a413SplitsTheBatchAndShrinksTheTarget() throws {
        let dir = TemporaryDirectory("shipper")
        // Refuses more than 30 lines a request, like a server with a small body limit.
        let server = TestHTTPServer { r in
            Self.lineCount(r) > 30 ? .respond(httpResponse(status: 413, reason: "Too Large", body: Array("{}".utf8)))
                : .respond(httpResponse(body: Array(#"{"accepted":1,"rejected":0,"errors":[]}"#.utf8)))
        }
        let (q, a, s) = try pipeline(port: server.port, state: dir.path)
        s.start()
        let body = lines(0..<100)
        _ = try body.withUnsafeBytes { p throws(AgentRuntimeError) in try a.append(p, count: 100) }
        let deadline = monotonicNanos() + 20_000_000_000
        while !q.isEmpty && monotonicNanos() < deadline { usleep(5_000) }
        s.stop(drainUntil: monotonicNanos())
        #expect(q.isEmpty)
        #expect(s.counters.splitBatches >= 2)
        #expect(s.counters.lines == 100)
        #expect(a.targetLines < 100)
        // Every line was delivered exactly once, in order.
        let delivered = server.requests.filter { Self.lineCount($0) <= 30 }.reduce(0) { $0 + Self.lineCount($1) }
        #expect(delivered == 100)
    }

    @Test func serverErrorsAreRetriedAndAllRejectedBatchesDropped() throws {
        let dir = TemporaryDirectory("shipper")
        final class Count: @unchecked Sendable { var n = 0; let lock = NSLock() }
        let count = Count()
        let server = TestHTTPServer { r in
            let n = count.lock.withLock { count.n += 1; return count.n }
            if n <= 2 { return .respond(httpResponse(status: 503, reason: "Unavailable", headers: [("Retry-After", "0")], body: [])) }
            // A proxy's 400 is retried; the server's "every record rejected" 400 is final.
            if n == 3 { return .respond(httpResponse(status: 400, reason: "Bad Request", body: Array("<html>bad request</html>".utf8))) }
            if n == 4 { return .respond(httpResponse(status: 400, reason: "Bad Request", body: Array(#"{"accepted":0,"rejected":5,"errors":[{"index":0,"reason":"x"}]}"#.utf8))) }
            return .respond(httpResponse(body: Array(#"{"accepted":5,"rejected":0,"errors":[]}"#.utf8)))
        }
        let (q, a, s) = try pipeline(port: server.port, batchLines: 5, state: dir.path)
        s.start()
        for k in 0..<2 {
            let body = lines((k * 5)..<(k * 5 + 5))
            _ = try body.withUnsafeBytes { p throws(AgentRuntimeError) in try a.append(p, count: 5) }
        }
        let deadline = monotonicNanos() + 20_000_000_000
        while !q.isEmpty && monotonicNanos() < deadline { usleep(5_000) }
        s.stop(drainUntil: monotonicNanos())
        #expect(q.isEmpty)
        #expect(s.counters.failedRequests == 3)
        #expect(s.counters.rejectedRecords == 5)
        #expect(s.counters.lines == 5)
        #expect(server.requests.count == 5)
    }

    @Test func breakerOpensAfterConsecutiveFailuresAndHalfOpensAfterCooldown() {
        var h = EndpointHealth(endpoint: .init(host: "a", port: 1), failureThreshold: 2, cooldownNanos: 1_000)
        #expect(h.state(now: 0) == .closed)
        h.failed("x", now: 10)
        #expect(h.state(now: 10) == .closed)
        h.failed("x", now: 20)
        #expect(h.state(now: 500) == .open && !h.available(now: 500))
        #expect(h.state(now: 1_020) == .halfOpen && h.available(now: 1_020))
        h.failed("trial", now: 1_030)
        #expect(h.state(now: 1_500) == .open)
        h.succeeded()
        #expect(h.state(now: 1_500) == .closed && h.consecutiveFailures == 0)
    }

    @Test func backoffGrowsExponentiallyWithinJitterAndCap() {
        let b = Backoff(initialNanos: 100, maxNanos: 10_000)
        var rng = SeededRandom(seed: 1)
        for attempt in 1...12 {
            let cap = min(10_000, 100 << (attempt - 1))
            for _ in 0..<50 {
                let d = b.delay(attempt: attempt, using: &rng)
                #expect(d >= Int64(cap / 2) && d <= Int64(cap))
            }
        }
        #expect(b.delay(attempt: 1_000, using: &rng) <= 10_000)
    }
}
