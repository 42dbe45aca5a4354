import Foundation
import Testing
import StrataTestSupport

/// The real clients users point at Strata — the Elasticsearch Python client (helpers.bulk),
/// python-logging-loki, loki-logger-handler (gzip), the OpenTelemetry SDK's OTLP/HTTP protobuf
/// (gzip) and JSON exporters, fluent-logger (Fluentd forward) — each send records to a real `strata serve`; each must report
/// success, and every record must be searchable with its columns mapped.
/// The clients come from PyPI (`tools/install-test-clients.sh`, run by `make test`).
@Suite(.serialized) struct RealClientsTests {
    @Test func everyClientIsAcceptedAndItsRecordsAreSearchable() throws {
        let root = packageRootPath()
        let python = root + "/.venv-clients/bin/python"
        try #require(FileManager.default.isExecutableFile(atPath: python), "run tools/install-test-clients.sh (make test does)")
        let dir = TemporaryDirectory("strata-clients")
        let server = try ServerProcess(dataDir: dir.path + "/data", arguments: ["--forward", "127.0.0.1:0"])
        let n = 20
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [root + "/Tests/StrataServerTests/Clients/drive_clients.py", String(server.port), String(n), String(try #require(server.forwardPort))]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "a client failed:\n\(stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: stdout) as? [String: Any])
        #expect(summary["es_ok"] as? Int == n)
        #expect((summary["es_errors"] as? [Any])?.isEmpty == true)
        #expect(summary["otlp_proto_ok"] as? Int == n && summary["otlp_json_ok"] as? Int == n)

        func search(_ q: String) throws -> [String: Any] {
            let r = try server.client.get("/api/logs?limit=1&q=" + q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(r.status == 200)
            return try #require(try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
        }
        func first(_ j: [String: Any]) -> [String: Any] { ((j["hits"] as? [[String: Any]]) ?? []).first ?? [:] }

        var j = try search("source:logs-es \"es bulk doc\"")
        #expect(j["total"] as? Int == n)
        #expect(first(j)["host"] as? String == "es-host" && first(j)["level"] as? String == "WARN")
        j = try search("service:loki-py level:error")
        #expect(j["total"] as? Int == n)
        j = try search("service:loki-handler \"loki handler line\"")
        #expect(j["total"] as? Int == n)
        #expect(first(j)["level"] as? String == "WARN", "the JSON line's level is used")
        for name in ["otel-proto", "otel-json"] {
            j = try search("service:\(name) host:otel-host level:info")
            #expect(j["total"] as? Int == n, "\(name)")
            #expect((first(j)["fields"] as? [String: Any])?["order.id"] as? String != nil)
        }
        // Fluentd forward has no per-request answer to wait on: a graceful stop writes what the
        // listener queued; the restarted server must hold every record.
        #expect(summary["fluent_sent"] as? Int == 2 * n)
        #expect(server.stop() == 0)
        let again = try ServerProcess(dataDir: dir.path + "/data")
        let r = try again.client.get("/api/logs?limit=1&q=" + "service:app.fluent.demo level:warn \"fluent record\"".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        let fj = try #require(try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
        #expect(fj["total"] as? Int == 2 * n)
        let fields = (((fj["hits"] as? [[String: Any]]) ?? []).first?["fields"] as? [String: Any]) ?? [:]
        #expect((fields["nested.k"] as? [Any])?.count == 4 && fields["fluent.tag"] as? String == "app.fluent.demo", "\(fields)")
        #expect(again.stop() == 0)
    }
}
