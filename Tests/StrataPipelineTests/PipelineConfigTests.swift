import Foundation
import Testing
import StrataFormat
import StrataParse
import StrataTestSupport
@testable import StrataPipeline

/// Builds a pipeline set from YAML text.
func pipelines(_ yaml: String, base: String = "") throws -> PipelineSet {
    try PipelineSet.load(yaml: yaml, path: "test.yaml", baseDirectory: base)
}

/// An entry as a line reader makes it: the raw line as message.
func rawEntry(_ line: String, at nanos: Int64 = 1_795_946_400_000_000_000, service: String = "", source: String = "") -> LogEntry {
    LogEntry(timestampNanos: nanos, message: line, service: service, source: source)
}

@Suite struct PipelineConfigTests {
    let now: Int64 = 1_795_946_400_000_000_000

    @Test func blueprintStyleConfigParsesRenamesAndRoutes() throws {
        let set = try pipelines("""
        outputs:
          - {name: errors, type: stream}
        pipelines:
          - name: nginx
            filter: "source:nginx"
            parser: nginx_combined
            processors:
              - rename: {fields: {client_ip: ip}}
              - add: {fields: {env: prod, where: "{service}@{ip}"}}
            routes:
              - {level: error, outputs: [store, errors]}
          - name: application
            filter: "service:myapp"
            parser: json
            processors:
              - rename:
                  fields:
                    note: message
        """)
        #expect(set.pipelines.map(\.name) == ["nginx", "application"])
        let batch = [
            rawEntry(#"10.0.0.1 - - [29/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 500 10 "-" "curl/8""#, service: "web", source: "nginx"),
            rawEntry(#"{"note":"hello","ts":"2026-11-29T10:00:01Z","n":3}"#, service: "myapp"),
            rawEntry("untouched line", service: "other"),
        ]
        let out = set.process(batch, now: now)
        let byOutput = Dictionary(out.map { ($0.output, $0.entries) }, uniquingKeysWith: { $0 + $1 })
        let stored = try #require(byOutput["store"])
        #expect(stored.count == 3)
        let web = try #require(stored.first { $0.service == "web" })
        #expect(web.message == "GET /a HTTP/1.1" && web.level == .error)
        #expect(web.field("ip") == .string("10.0.0.1") && web.field("client_ip") == nil)
        #expect(web.field("env") == .string("prod") && web.field("where") == .string("web@10.0.0.1"))
        let app = try #require(stored.first { $0.service == "myapp" })
        #expect(app.message == "hello" && app.field("n") == .int(3) && app.timestampNanos == now + 1_000_000_000)
        #expect(stored.contains { $0.message == "untouched line" })
        #expect(byOutput["errors"]?.map(\.message) == ["GET /a HTTP/1.1"])
    }

    @Test func unparsableLinesAreKeptWithTheReasonOrDropped() throws {
        let keep = try pipelines("pipelines:\n  - {name: p, parser: nginx_combined}")
        let kept = keep.process([rawEntry("garbage")], now: now)[0].entries
        #expect(kept.count == 1 && kept[0].message == "garbage" && kept[0].tags == ["_parse_failure"])
        #expect(kept[0].field("parse_error") == .string("nginx_combined: not a nginx_combined line at byte 0"))
        let drop = try pipelines("pipelines:\n  - {name: p, parser: nginx_combined, on_error: drop}")
        #expect(drop.process([rawEntry("garbage")], now: now).isEmpty)
        #expect(drop.pipelines[0].parser?.failureCount == 1)
    }

    @Test func badConfigurationsNameTheSetting() {
        #expect(throws: PipelineConfigError.unknown(path: "pipelines[0].processors[0]", name: "frobnicate", known: PipelineBuilder.processorNames)) {
            try pipelines("pipelines:\n  - name: a\n    processors:\n      - frobnicate: {}")
        }
        #expect(throws: PipelineConfigError.missing(path: "pipelines[0].name")) { try pipelines("pipelines:\n  - parser: json") }
        #expect(throws: PipelineConfigError.self) { try pipelines("pipelines:\n  - {name: a, parser: {type: grok, patterns: ['%{NOPE:x}']}}") }
        #expect(throws: PipelineConfigError.self) { try pipelines("pipelines:\n  - {name: a, filter: 'level:('}") }
        #expect(throws: PipelineConfigError.unknown(path: "pipelines[0].routes", name: "nowhere", known: ["stdout", "store"])) {
            try pipelines("pipelines:\n  - {name: a, routes: [{level: error, outputs: [nowhere]}]}")
        }
        #expect(throws: PipelineConfigError.self) { try pipelines("pipelines:\n  - {name: a}\n  - {name: a}") }
        #expect(throws: PipelineConfigError.self) { try pipelines("pipelines:\n  - name: a\n    processors:\n      - timestamp: {field: t, timezone: Mars/Base}") }
        #expect(throws: PipelineConfigError.self) { try pipelines("pipelines:\n  - name: a\n    processors:\n      - lookup: {field: a, table: /nonexistent.csv}") }
    }

    @Test func grokParserWithCustomDefinitionsTimeLayoutAndZone() throws {
        let set = try pipelines("""
        pipelines:
          - name: legacy
            parser:
              type: grok
              pattern_definitions: {APPTIME: '%{YEAR}%{MONTHNUM}%{MONTHDAY} %{TIME}'}
              patterns: ['%{APPTIME:timestamp} %{LOGLEVEL:level} %{GREEDYDATA:message}']
              timestamp_format: '%Y%m%d %H:%M:%S'
              timezone: '+01:00'
        """)
        let e = set.process([rawEntry("20261129 11:00:00 ERROR disk failed")], now: now)[0].entries[0]
        #expect(e.timestampNanos == Timestamp.parseRFC3339("2026-11-29T10:00:00Z"))
        #expect(e.level == .error && e.message == "disk failed")
    }

    @Test func csvParserUsesTheHeaderRowAndInfersTypes() throws {
        let set = try pipelines("pipelines:\n  - {name: c, parser: {type: csv, header: present, skip: [junk], fields: {code: status_code}}}")
        let out = set.process([rawEntry("time,level,msg,code,junk"), rawEntry("2026-11-29T10:00:00Z,warn,\"slow, very\",42,x")], now: now)[0].entries
        #expect(out.count == 1)
        #expect(out[0].level == .warn && out[0].message == "slow, very" && out[0].field("status_code") == .int(42))
        #expect(out[0].field("code") == nil && out[0].field("junk") == nil)
        #expect(out[0].timestampNanos == Timestamp.parseRFC3339("2026-11-29T10:00:00Z"))
    }

    @Test func kvAndCustomNginxFormatParsers() throws {
        let set = try pipelines("""
        pipelines:
          - {name: kv, filter: 'service:kv', parser: {type: kv, separator: ',', key_value_separator: ':'}}
          - {name: ngx, filter: 'service:ngx', parser: {type: nginx, format: '$remote_addr [$time_local] "$request" $status $request_time'}}
        """)
        let out = set.process([rawEntry("level: error, msg: boom, n: 2", service: "kv"),
                               rawEntry(#"1.2.3.4 [29/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 0.5"#, service: "ngx")], now: now)[0].entries
        #expect(out[0].level == .error && out[0].message == "boom" && out[0].field("n") == .int(2))
        #expect(out[1].field("request_time") == .float(0.5) && out[1].field("status") == .int(200))
    }

    @Test func multilineSettingsBuildAJoiner() throws {
        let set = try pipelines("""
        pipelines:
          - name: java
            multiline: {pattern: '^\\s', negate: false, match: after, max_lines: 50, timeout: 2s}
        """)
        let spec = try #require(set.pipelines[0].multiline)
        #expect(spec.options.maxLines == 50 && spec.options.timeoutNanos == 2_000_000_000)
        var j = spec.makeJoiner()
        var events: [String] = []
        for l in ["Exception in thread main", "  at a.b(C.java:1)", "  at d.e(F.java:2)", "next event"] {
            Array(l.utf8).withUnsafeBytes { j.push($0, nowNanos: 0) { events.append(String(decoding: $0, as: UTF8.self)) } }
        }
        j.finish { events.append(String(decoding: $0, as: UTF8.self)) }
        #expect(events == ["Exception in thread main\n  at a.b(C.java:1)\n  at d.e(F.java:2)", "next event"])
    }
}

@Suite struct EnrichmentPipelineTests {
    /// The blueprint's nginx pipeline: parse, GeoIP from a real `.mmdb` file written by the
    /// test, user agent from the built-in rules.
    @Test func nginxPipelineWithGeoIPAndUserAgent() throws {
        let dir = TemporaryDirectory()
        try Data(GeoIPFixtures.bytes()).write(to: URL(fileURLWithPath: dir.path + "/city.mmdb"))
        let set = try pipelines("""
        pipelines:
          - name: nginx
            parser: nginx_combined
            processors:
              - geoip: {field: client_ip, database: city.mmdb}
              - user_agent: {field: user_agent}
        """, base: dir.path)
        let line = #"81.2.69.160 - - [29/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0""#
        let miss = #"10.9.9.9 - - [29/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.5.0""#
        let out = set.process([rawEntry(line), rawEntry(miss)], now: 0)[0].entries
        #expect(out[0].field("geo.country_code") == .string("GB"))
        #expect(out[0].field("geo.city") == .string("London"))
        #expect(out[0].field("ua.browser") == .string("Firefox") && out[0].field("ua.browser_version") == .string("121.0"))
        #expect(out[0].field("ua.os") == .string("Linux") && out[0].field("ua.device") == .string("desktop"))
        #expect(out[1].field("geo.country_code") == nil)
        #expect(out[1].field("ua.browser") != nil || out[1].field("ua.device") == .string("bot"))
        #expect(throws: PipelineConfigError.self) {
            try pipelines("pipelines:\n  - {name: g, processors: [{geoip: {database: missing.mmdb}}]}", base: dir.path)
        }
    }
}
