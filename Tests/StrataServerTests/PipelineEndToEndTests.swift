import Foundation
import Testing
import StrataTestSupport

/// `strata serve --config` with the blueprint's `pipelines:`: nginx lines arriving over HTTP
/// and syslog (the real `logger` client) are parsed, masked, routed (errors to a stream and
/// forwarded to a second Strata over HTTP), dropped by query, and aggregated into /metrics.
@Suite(.serialized) struct PipelineEndToEndTests {
    func query(_ server: ServerProcess, _ q: String) throws -> (total: Int, hits: [[String: Any]]) {
        let r = try server.client.get("/api/logs?limit=100&q=" + q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        let j = try #require(try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
        return (j["total"] as? Int ?? -1, (j["hits"] as? [[String: Any]]) ?? [])
    }

    @Test func serverRunsConfiguredPipelinesOnEveryIngestPath() throws {
        let dir = TemporaryDirectory("strata-pipeline")
        let downstream = try ServerProcess(dataDir: dir.path + "/downstream")
        let config = dir.path + "/strata.yaml"
        try """
        outputs:
          - {name: errors, type: stream}
          - {name: central, type: http, url: "http://127.0.0.1:\(downstream.port)/api/logs"}
        pipelines:
          - name: nginx
            filter: "service:web"
            parser: nginx
            processors:
              - mask: {fields: [message], patterns: [email]}
              - drop: {query: "message:\\"/healthz\\""}
              - aggregate: {name: http_requests, window: 1s, group_by: [status]}
            routes:
              - {query: "status:>=500", outputs: [store, errors, central]}
          - name: app
            filter: "service:billing"
            parser: {type: kv, separator: ",", key_value_separator: ":"}
            processors:
              - rename: {fields: {amount: amount_cents}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(dataDir: dir.path + "/data", arguments: ["--config", config, "--syslog-udp", "127.0.0.1:0"])
        let lines = [
            #"203.0.113.1 - - [29/Nov/2026:10:00:00 +0000] "GET /login?u=bob@example.com HTTP/1.1" 200 512 "-" "curl/8""#,
            #"203.0.113.2 - - [29/Nov/2026:10:00:01 +0000] "POST /pay HTTP/1.1" 502 0 "-" "curl/8""#,
            #"203.0.113.3 - - [29/Nov/2026:10:00:02 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.29""#,
        ]
        let body = lines.map { #"{"service":"web","message":"# + jsonString($0) + "}" }.joined(separator: "\n")
        let r = try server.client.post("/api/logs", Array(body.utf8))
        #expect(r.status == 200, "\(r.text)")

        // The syslog path: `logger` sends a key-value line tagged billing.
        let udp = try #require(server.syslogUDPPort)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["logger", "--server", "127.0.0.1", "--port", String(udp), "--udp", "--rfc5424", "-t", "billing", "level: error, msg: card declined, amount: 1250"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)

        // Wait for the syslog batch (the sink writes within its linger time) by polling the store.
        var billing = try query(server, "service:billing")
        for _ in 0..<100 where billing.total < 1 { usleep(50_000); billing = try query(server, "service:billing") }
        #expect(billing.total == 1)
        let b = try #require(billing.hits.first)
        #expect(b["message"] as? String == "card declined" && b["level"] as? String == "ERROR")
        #expect((b["fields"] as? [String: Any])?["amount_cents"] as? Int == 1250)

        let web = try query(server, "service:web")
        #expect(web.total == 2, "the /healthz line is dropped")
        let login = try #require(web.hits.first { ($0["message"] as? String)?.hasPrefix("GET /login") == true })
        #expect(login["message"] as? String == "GET /login?u=[REDACTED] HTTP/1.1")
        #expect((login["fields"] as? [String: Any])?["status"] as? Int == 200)
        #expect(try query(server, "stream:errors").total == 1)
        #expect(try query(server, "stream:errors status:502").total == 1)

        // Forwarded to the second server.
        var forwarded = try query(downstream, "status:502")
        for _ in 0..<100 where forwarded.total < 1 { usleep(50_000); forwarded = try query(downstream, "status:502") }
        #expect(forwarded.total == 1)
        #expect(try query(downstream, "status:200").total == 0)

        // The aggregate's running totals are Prometheus counters (the healthz line was dropped before it).
        let metrics = try server.client.get("/metrics").text
        #expect(metrics.contains("# TYPE strata_pipeline_http_requests_count_total counter"), "\(metrics)")
        #expect(metrics.contains(#"strata_pipeline_http_requests_count_total{pipeline="nginx",status="200"} 1"#))
        #expect(metrics.contains(#"strata_pipeline_http_requests_count_total{pipeline="nginx",status="502"} 1"#))
        #expect(server.stop() == 0)
        #expect(downstream.stop() == 0)
    }

    @Test func aBrokenPipelineConfigStopsStartupWithTheSetting() throws {
        let dir = TemporaryDirectory("strata-pipeline-bad")
        let config = dir.path + "/strata.yaml"
        try "pipelines:\n  - name: x\n    processors:\n      - frobnicate: {}\n".write(toFile: config, atomically: true, encoding: .utf8)
        let r = try runBinary("strata", ["serve", "--config", config, "--data-dir", dir.path + "/d", "--http", "127.0.0.1:0"])
        #expect(r.status != 0)
        #expect(r.output.contains("pipelines[0].processors[0]") && r.output.contains("frobnicate"), "\(r.output)")
    }
}

/// `s` as a JSON string literal.
func jsonString(_ s: String) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes]).dropFirst().dropLast(), as: UTF8.self)
}
