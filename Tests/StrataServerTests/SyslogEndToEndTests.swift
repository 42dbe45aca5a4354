import Foundation
import Testing
import StrataTestSupport

/// util-linux `logger` (the real client) sends RFC 5424 over UDP, RFC 3164 over TCP with LF
/// framing and RFC 5424 over TCP with octet counting to `strata serve`; after a graceful stop
/// (listeners closed, queued entries written, memtable flushed) and a restart, every message is
/// there with its host, service, level and structured data.
@Suite(.serialized) struct SyslogEndToEndTests {
    func logger(_ args: [String], lines: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["logger"] + args
        let input = Pipe(), err = Pipe()
        p.standardInput = input
        p.standardError = err
        try p.run()
        input.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0, "logger failed: \(e)")
    }

    @Test func loggerOverUDPAndTCPBothFramings() throws {
        let dir = TemporaryDirectory("strata-syslog")
        let data = dir.path + "/data"
        let server = try ServerProcess(dataDir: data, arguments: ["--syslog-udp", "127.0.0.1:0", "--syslog-tcp", "127.0.0.1:0"])
        let udp = try #require(server.syslogUDPPort), tcp = try #require(server.syslogTCPPort)
        let n = 50
        try logger(["--server", "127.0.0.1", "--port", String(udp), "--udp", "--rfc5424", "-t", "udpapp", "-p", "local0.notice",
                    "--msgid", "ID47", "--sd-id", "exampleSDID@32473", "--sd-param", #"iut="3""#],
                   lines: (0..<n).map { "udp message \($0)" })
        try logger(["--server", "127.0.0.1", "--port", String(tcp), "--tcp", "--rfc3164", "-t", "lfapp", "-p", "user.err"],
                   lines: (0..<n).map { "tcp lf message \($0) café" })
        try logger(["--server", "127.0.0.1", "--port", String(tcp), "--tcp", "--octet-count", "--rfc5424", "-t", "octapp", "-p", "daemon.warning"],
                   lines: (0..<n).map { "tcp octet message \($0)" })
        #expect(server.stop() == 0)

        let again = try ServerProcess(dataDir: data)
        func total(_ q: String) throws -> (Int, [String: Any]) {
            let r = try again.client.get("/api/logs?limit=1&q=" + q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            let j = try #require(try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
            return (j["total"] as? Int ?? -1, ((j["hits"] as? [[String: Any]]) ?? []).first ?? [:])
        }
        var (count, hit) = try total("service:udpapp level:info \"udp message\"")
        #expect(count == n)
        #expect((hit["fields"] as? [String: Any])?["sd.exampleSDID@32473.iut"] as? String == "3")
        #expect((hit["fields"] as? [String: Any])?["syslog.facility"] as? String == "local0")
        (count, hit) = try total("service:lfapp level:error café")
        #expect(count == n)
        #expect((hit["message"] as? String)?.hasPrefix("tcp lf message") == true)
        (count, _) = try total("service:octapp level:warn \"tcp octet message\"")
        #expect(count == n)
        let m = try again.client.get("/metrics").text
        #expect(m.contains("strata_ingest_entries_accepted_total{protocol=\"syslog\"} 0"), "a restarted server counts from zero")
        #expect(again.stop() == 0)
    }
}
