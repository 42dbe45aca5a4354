import Foundation
import Testing
import StrataTestSupport

/// `strata ingest --config --pipeline` (multiline joining, grok parsing, processors) and
/// `strata grok test`, run as the real binary.
@Suite struct PipelineCommandTests {
    @Test func ingestRunsANamedPipelineWithMultilineJoining() throws {
        let dir = TemporaryDirectory("strata-ingest-pipeline")
        try """
        pipelines:
          - name: java
            multiline: {pattern: '^\\d{4}-\\d{2}-\\d{2} ', negate: true, match: after}
            parser:
              type: grok
              patterns: ['%{TIMESTAMP_ISO8601:timestamp} %{LOGLEVEL:level} \\[%{DATA:thread}\\] %{GREEDYDATA:message}']
            processors:
              - add: {fields: {team: payments}}
              - drop: {query: 'level:debug'}
        """.write(toFile: dir.path + "/strata.yaml", atomically: true, encoding: .utf8)
        try """
        2026-11-29 10:00:00,001 ERROR [main] payment failed
        java.lang.IllegalStateException: boom
        \tat com.shop.Pay.run(Pay.java:42)
        Caused by: java.io.IOException: reset
        2026-11-29 10:00:01,000 DEBUG [main] retrying
        2026-11-29 10:00:02,500 INFO [worker-1] payment ok
        """.write(toFile: dir.path + "/app.log", atomically: true, encoding: .utf8)
        let r = try runBinary("strata", ["ingest", "--data-dir", dir.path + "/data", "--config", dir.path + "/strata.yaml", "--pipeline", "java", dir.path + "/app.log"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("3 events in, 2 stored"), "\(r.output)")
        let q = try runBinary("strata", ["query", "--data-dir", dir.path + "/data", "--limit", "10", "team:payments"])
        let hits = q.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(hits.count == 2)
        let failed = try #require(hits.first { $0["level"] as? String == "ERROR" })
        #expect(failed["message"] as? String == "payment failed\njava.lang.IllegalStateException: boom\n\tat com.shop.Pay.run(Pay.java:42)\nCaused by: java.io.IOException: reset")
        #expect(failed["timestamp"] as? String == "2026-11-29T10:00:00.001000000Z")
        #expect((failed["fields"] as? [String: Any])?["thread"] as? String == "main")
        let bad = try runBinary("strata", ["ingest", "--data-dir", dir.path + "/d2", "--config", dir.path + "/strata.yaml", "--pipeline", "nope", dir.path + "/app.log"])
        #expect(bad.status != 0 && bad.output.contains("no pipeline 'nope'"), "\(bad.output)")
    }

    @Test func grokTestPrintsCapturesAndFailsOnNoMatch() throws {
        let ok = try runBinary("strata", ["grok", "test", "%{IP:client} %{WORD:method} %{NUMBER:bytes}", "10.0.0.1 GET 512"])
        #expect(ok.status == 0)
        #expect(ok.output.contains(#"{"matched":true,"fields":{"client":"10.0.0.1","method":"GET","bytes":512}}"#), "\(ok.output)")
        let std = try runBinary("strata", ["grok", "test", "--patterns-dir", sharedCorpusPath() + "/grok/patterns/legacy", "%{HTTPD_ERRORLOG}",
                                           "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties"])
        #expect(std.status == 0 && std.output.contains(#""loglevel":"notice""#), "\(std.output)")
        let miss = try runBinary("strata", ["grok", "test", "%{INT:n}", "abc"])
        #expect(miss.status == 1 && miss.output.contains(#"{"matched":false}"#))
        let bad = try runBinary("strata", ["grok", "test", "%{NOPE}", "x"])
        #expect(bad.status != 0 && bad.output.contains("unknown grok pattern %{NOPE}"))
    }
}
