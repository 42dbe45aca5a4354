import Foundation
import Testing
import StrataFormat
import StrataParse
import StrataTestSupport
@testable import StrataPipeline

@Suite struct StageTests {
    let now: Int64 = 1_795_946_400_000_000_000

    func run(_ processors: String, _ entries: [LogEntry], at: Int64? = nil) throws -> [LogEntry] {
        // Re-indent the processor list under `processors:` whatever its indentation in the test.
        let lines = processors.split(separator: "\n").filter { !$0.allSatisfy { $0 == " " } }
        let margin = lines.map { $0.prefix(while: { $0 == " " }).count }.min() ?? 0
        let body = lines.map { "      " + $0.dropFirst(margin) }.joined(separator: "\n")
        let set = try pipelines("pipelines:\n  - name: t\n    processors:\n" + body)
        return set.process(entries, now: at ?? now).flatMap(\.entries)
    }

    func entry(_ message: String = "m", fields: [Field] = [], t: Int64? = nil) -> LogEntry {
        LogEntry(timestampNanos: t ?? now, message: message, service: "svc", host: "h1", fields: fields)
    }

    @Test func renameRemoveAddConvertMap() throws {
        let out = try run("""
              - rename: {fields: {code: status, who: user}}
              - remove: {fields: [secret]}
              - convert: {fields: {status: int, ratio: float, ok: bool}}
              - map: {field: status, target: class, values: {'200': ok, '500': broken}, default: other}
              - add: {fields: {team: core, label: '{service}/{class}'}}
            """, [entry(fields: [Field("code", .string("500")), Field("secret", .string("x")), Field("ratio", .string("0.5")), Field("ok", .string("yes"))])])
        let e = try #require(out.first)
        #expect(e.field("status") == .int(500) && e.field("code") == nil && e.field("secret") == nil)
        #expect(e.field("ratio") == .float(0.5) && e.field("ok") == .bool(true))
        #expect(e.field("class") == .string("broken"))
        #expect(e.field("team") == .string("core") && e.field("label") == .string("svc/broken"))
    }

    @Test func maskRedactsEmailsCardsAndCustomPatterns() throws {
        let out = try run("""
              - mask: {fields: [message, note], patterns: [email, credit_card, 'token=\\S+'], replacement: '***'}
            """, [entry("mail bob@example.com paid 4111 1111 1111 1111 order 1234567890123 token=abc", fields: [Field("note", .string("x@y.io"))])])
        #expect(out[0].message == "mail *** paid *** order 1234567890123 ***")
        #expect(out[0].field("note") == .string("***"))
    }

    @Test func timestampAndLevelProcessors() throws {
        let out = try run("""
              - timestamp: {field: when, formats: ['%d.%m.%Y %H:%M'], timezone: Europe/Paris, remove: true}
              - level: {field: sev, mapping: {S1: fatal, S3: warn}}
            """, [entry(fields: [Field("when", .string("01.07.2026 12:30")), Field("sev", .string("S3"))]),
                  entry(fields: [Field("when", .string("not a time")), Field("sev", .string("ERROR"))])])
        #expect(out[0].timestampNanos == Timestamp.parseRFC3339("2026-07-01T10:30:00Z") && out[0].field("when") == nil)
        #expect(out[0].level == .warn)
        #expect(out[1].timestampNanos == now && out[1].field("timestamp_error") == .string("unparsed time 'not a time'"))
        #expect(out[1].level == .error)
    }

    @Test func dropAndKeepByQuery() throws {
        let batch = [entry("a", fields: [Field("status", .int(200))]), entry("b", fields: [Field("status", .int(503))]), entry("debug noise")]
        #expect(try run("      - drop: {query: 'status:[500 TO 599] OR noise'}", batch).map(\.message) == ["a"])
        #expect(try run("      - keep: {query: 'status:>=500'}", batch).map(\.message) == ["b"])
    }

    @Test func samplingOneInNAndPerSecond() throws {
        let set = try pipelines("pipelines:\n  - {name: s, processors: [{sample: {one_in: 4}}]}")
        var kept = 0
        for _ in 0..<10 { kept += set.process((0..<10).map { _ in entry() }, now: now).flatMap(\.entries).count }
        #expect(kept == 25)
        let rate = try pipelines("pipelines:\n  - {name: s, processors: [{sample: {per_second: 3}}]}")
        #expect(rate.process((0..<10).map { _ in entry() }, now: now).flatMap(\.entries).count == 3)
        #expect(rate.process((0..<10).map { _ in entry() }, now: now + 500_000_000).flatMap(\.entries).count == 0)
        #expect(rate.process((0..<10).map { _ in entry() }, now: now + 1_000_000_000).flatMap(\.entries).count == 3)
    }

    @Test func rateLimitIsPerKeyWithBurst() throws {
        let set = try pipelines("pipelines:\n  - {name: r, processors: [{rate_limit: {key: user, per_second: 2, burst: 4}}]}")
        let batch = (0..<10).map { i in entry("\(i)", fields: [Field("user", .string(i % 2 == 0 ? "a" : "b"))]) }
        #expect(set.process(batch, now: now).flatMap(\.entries).count == 8)   // 4 each
        #expect(set.process(batch, now: now + 1_000_000_000).flatMap(\.entries).count == 4)   // refilled 2 each
    }

    @Test func dedupWithinTheWindowOnly() throws {
        let set = try pipelines("pipelines:\n  - {name: d, processors: [{dedup: {fields: [message, host], window: 10s}}]}")
        let batch = [entry("x", t: now), entry("x", t: now + 5_000_000_000), entry("y", t: now + 6_000_000_000), entry("x", t: now + 11_000_000_000)]
        #expect(set.process(batch, now: now).flatMap(\.entries).map(\.timestampNanos) == [now, now + 6_000_000_000, now + 11_000_000_000])
    }

    @Test func aggregatePublishesClosedWindowsAsMetrics() throws {
        let set = try pipelines("""
        pipelines:
          - name: web
            processors:
              - aggregate: {name: http, window: 1m, group_by: [status], sum: [bytes], avg: [ms]}
        """)
        let minute: Int64 = 60_000_000_000
        let t0 = now - now % minute
        let batch = [entry(fields: [Field("status", .int(200)), Field("bytes", .int(100)), Field("ms", .float(10))]),
                     entry(fields: [Field("status", .int(200)), Field("bytes", .int(50)), Field("ms", .float(20))]),
                     entry(fields: [Field("status", .int(500)), Field("bytes", .int(7))])]
        #expect(set.process(batch, now: t0 + 1).flatMap(\.entries).count == 3)   // passes entries through
        let stage = set.aggregates[0].stage
        #expect(stage.samples(now: t0 + 2).isEmpty)   // window still open
        let s = stage.samples(now: t0 + minute + 1)
        func value(_ stat: String, _ status: String) -> Double? { s.first { $0.stat == stat && $0.labels[0].1 == status }?.value }
        #expect(value("count", "200") == 2 && value("count", "500") == 1)
        #expect(value("sum_bytes", "200") == 150 && value("avg_ms", "200") == 15)
        #expect(value("avg_ms", "500") == nil)
        #expect(s.allSatisfy { $0.windowEndNanos == t0 + minute })
        #expect(stage.samples(now: t0 + 3 * minute).isEmpty)   // an idle window publishes nothing
    }

    @Test func routerSendsByConditionWithContinueAndDefault() throws {
        let set = try pipelines("""
        outputs:
          - {name: alerts, type: stream, stream: alerts}
          - {name: fwd, type: http, url: 'http://127.0.0.1:9/api/logs'}
        pipelines:
          - name: r
            routes:
              - {level: fatal, outputs: [alerts], continue: true}
              - {query: 'level:error OR level:fatal', outputs: [store, fwd]}
              - {service: noisy, outputs: []}
              - {default: [store, stdout]}
        """)
        var a = entry("fatal one"); a.level = .fatal
        var b = entry("error one"); b.level = .error
        var c = entry("noise"); c.service = "noisy"
        let d = entry("plain")
        let out = Dictionary(set.process([a, b, c, d], now: now).map { ($0.output, $0.entries.map(\.message)) }, uniquingKeysWith: { $0 + $1 })
        #expect(out["alerts"] == ["fatal one"])
        #expect(out["store"] == ["fatal one", "error one", "plain"])
        #expect(out["fwd"] == ["fatal one", "error one"])
        #expect(out["stdout"] == ["plain"])
        #expect(set.outputs["fwd"]?.kind == .http(host: "127.0.0.1", port: 9, path: "/api/logs"))
    }

    @Test func lookupTableAndHostMetadataEnrich() throws {
        let dir = TemporaryDirectory()
        try "name,team,tier\nsvc,payments,1\nother,search,2\n".write(toFile: dir.path + "/services.csv", atomically: true, encoding: .utf8)
        let set = try pipelines("""
        pipelines:
          - name: e
            processors:
              - lookup: {field: service, table: services.csv, key_column: name, prefix: 'svc.'}
              - host_metadata
        """, base: dir.path)
        var e = entry(); e.host = ""
        let out = set.process([e], now: now)[0].entries[0]
        #expect(out.field("svc.team") == .string("payments") && out.field("svc.tier") == .int(1))
        #expect(!out.host.isEmpty && out.field("host.os") == .string("Linux"))
    }
}

@Suite struct QueryFilterStageTests {
    @Test func messagePhraseAndFieldComparisonsFilterEntries() throws {
        let set = try pipelines("pipelines:\n  - name: d\n    processors:\n      - drop: {query: 'message:\"/healthz\"'}")
        let out = set.process([LogEntry(timestampNanos: 1, message: "GET /healthz HTTP/1.1"), LogEntry(timestampNanos: 1, message: "GET /pay HTTP/1.1")], now: 1)
        #expect(out.flatMap(\.entries).map(\.message) == ["GET /pay HTTP/1.1"])
    }
}

@Suite struct PipelineRunnerTests {
    @Test func storeAndStreamStoreOnceAndStdoutGetsNDJSON() throws {
        let set = try pipelines("""
        outputs:
          - {name: audit, type: stream}
          - {name: print, type: stdout}
        pipelines:
          - name: r
            routes:
              - {level: error, outputs: [store, audit, print]}
        """)
        let printed = ConditionBox()
        let runner = PipelineRunner(set: set, printLine: { printed.append($0) })
        var e = LogEntry(timestampNanos: 1, message: "bad"); e.level = .error
        let stored = runner.run([e, LogEntry(timestampNanos: 2, message: "fine")], now: 0)
        #expect(stored.map(\.message) == ["bad", "fine"])
        #expect(stored[0].field("stream") == .string("audit") && stored[1].field("stream") == nil)
        #expect(String(decoding: printed.bytes, as: UTF8.self).contains(#""message":"bad""#))
        #expect(!String(decoding: printed.bytes, as: UTF8.self).contains("fine"))
    }

    @Test func aggregateTotalsAreExportedAsCounters() throws {
        let set = try pipelines("pipelines:\n  - {name: w, processors: [{aggregate: {name: reqs, window: 1m, group_by: [service], sum: [n]}}]}")
        let runner = PipelineRunner(set: set)
        _ = runner.run([LogEntry(timestampNanos: 1, message: "a", service: "x\"y", fields: [Field("n", .int(3))])], now: 0)
        let text = String(decoding: runner.metricsText(now: 1), as: UTF8.self)
        #expect(text.contains("# TYPE strata_pipeline_reqs_count_total counter\n"))
        #expect(text.contains(#"strata_pipeline_reqs_count_total{pipeline="w",service="x\"y"} 1.0"#), "\(text)")
        #expect(text.contains(#"strata_pipeline_reqs_sum_n_total{pipeline="w",service="x\"y"} 3.0"#))
    }
}

/// Bytes collected from another thread.
final class ConditionBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data: [UInt8] = []
    func append(_ b: [UInt8]) { lock.lock(); data += b; lock.unlock() }
    var bytes: [UInt8] { lock.lock(); defer { lock.unlock() }; return data }
}

/// Hostile inputs found by review: none may trap or poison state.
@Suite struct StageEdgeCaseTests {
    @Test func dedupAcrossCenturiesDoesNotOverflow() throws {
        let set = try pipelines("pipelines:\n  - {name: d, processors: [{dedup: {fields: [message], window: 10s}}]}")
        let early = Timestamp.parseRFC3339("1830-01-01T00:00:00Z")!, late = Timestamp.parseRFC3339("2200-01-01T00:00:00Z")!
        let out = set.process([LogEntry(timestampNanos: early, message: "x"), LogEntry(timestampNanos: late, message: "x")], now: 0)
        #expect(out.flatMap(\.entries).count == 2)
    }

    @Test func cardAfterAQuantityIsStillMasked() throws {
        let set = try pipelines("pipelines:\n  - {name: m, processors: [{mask: {patterns: [credit_card], replacement: '#'}}]}")
        let out = set.process([LogEntry(timestampNanos: 1, message: "qty 2 4111 1111 1111 1111 ok; order 12345678901234")], now: 0)
        #expect(out[0].entries[0].message == "qty 2 # ok; order 12345678901234")
    }

    @Test func nonFiniteNumbersDoNotPoisonAggregates() throws {
        let set = try pipelines("pipelines:\n  - {name: a, processors: [{aggregate: {name: b, sum: [bytes]}}]}")
        _ = set.process([LogEntry(timestampNanos: 1, message: "a", fields: [Field("bytes", .string("nan"))]),
                         LogEntry(timestampNanos: 1, message: "b", fields: [Field("bytes", .int(5))])], now: 0)
        let totals = set.aggregates[0].stage.totals()
        #expect(totals.first { $0.stat == "sum_bytes" }?.value == 5)
        #expect(throws: PipelineConfigError.self) { try pipelines("pipelines:\n  - {name: a, processors: [{aggregate: {window: 100000d}}]}") }
        #expect(throws: PipelineConfigError.self) { try pipelines("pipelines:\n  - {name: a, processors: [{aggregate: {group_by: [pipeline]}}]}") }
        #expect(throws: PipelineConfigError.self) { try pipelines("pipelines:\n  - {name: a, processors: [{aggregate: {name: 9lives}}]}") }
    }

    @Test func renameToItselfKeepsTheField() throws {
        let set = try pipelines("pipelines:\n  - {name: r, processors: [{rename: {fields: {a: a}}}]}")
        let out = set.process([LogEntry(timestampNanos: 1, message: "m", fields: [Field("a", .int(1))])], now: 0)
        #expect(out[0].entries[0].field("a") == .int(1))
    }

    @Test func csvKeepsUnparsableTimeAndLevelAsFields() throws {
        let set = try pipelines("pipelines:\n  - {name: c, parser: {type: csv, columns: [time, level, msg]}}")
        let e = set.process([rawEntry("yesterday,loud,hi")], now: 0)[0].entries[0]
        #expect(e.field("time") == .string("yesterday") && e.field("level") == .string("loud") && e.message == "hi")
    }

    @Test func timesTheStoreCannotHoldAreFlaggedNotStored() throws {
        let set = try pipelines("pipelines:\n  - {name: g, parser: {type: grok, patterns: ['%{TIMESTAMP_ISO8601:timestamp} %{GREEDYDATA:message}']}}")
        let runner = PipelineRunner(set: set)
        let stored = runner.run([rawEntry("1700-01-01T00:00:00Z boom", at: 5)], now: 0)
        #expect(stored.count == 1 && stored[0].timestampNanos == 5 && stored[0].message == "boom")
        #expect(stored[0].field("timestamp_error") != nil)
        // A capture over the field limit makes an entry the store refuses: dropped alone and counted.
        let big = try pipelines("pipelines:\n  - {name: b, parser: {type: regex, patterns: ['(?<payload>.*)']}}")
        let r2 = PipelineRunner(set: big)
        let kept = r2.run([rawEntry(String(repeating: "x", count: Limits.maxFieldValueBytes + 1)), rawEntry("small")], now: 0)
        #expect(kept.map { $0.field("payload") } == [.string("small")])
        #expect(r2.invalidEntries.count == 1 && r2.invalidEntries.lastReason.contains("payload"))
    }

    @Test func prometheusNamesAreSanitised() {
        #expect(PipelineRunner.metricName("résumé-1") == "r_sum__1")
        #expect(PipelineRunner.metricName("1st") == "_1st")
    }
}
