import Foundation
import Testing
import StrataTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// rsyslog forwarding to Strata, as a real deployment does it: a private rsyslogd (its own
/// config, work dir and input socket; not the system's) receives lines from `logger` and
/// forwards them with omfwd over TCP, octet-counted, in RFC 5424 — and, in a second action,
/// over UDP in the traditional RFC 3164 format. Every line arrives once per action, with host,
/// service, level and facility.
@Suite(.serialized) struct RsyslogTests {
    @Test func rsyslogForwardsOverTCPAndUDP() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/rsyslogd"), "rsyslog is installed by make test")
        let dir = TemporaryDirectory("strata-rsyslog")
        let data = dir.path + "/data"
        let server = try ServerProcess(dataDir: data, arguments: ["--syslog-tcp", "127.0.0.1:0", "--syslog-udp", "127.0.0.1:0"])
        let tcp = try #require(server.syslogTCPPort), udp = try #require(server.syslogUDPPort)
        let work = dir.path + "/rsyslog"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let socketPath = work + "/in.sock"
        let conf = """
        global(workDirectory="\(work)")
        module(load="imuxsock" SysSock.Use="off")
        input(type="imuxsock" Socket="\(socketPath)" CreatePath="on")
        *.* action(type="omfwd" target="127.0.0.1" port="\(tcp)" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
        *.* action(type="omfwd" target="127.0.0.1" port="\(udp)" protocol="udp" template="RSYSLOG_TraditionalForwardFormat")

        """
        try conf.write(toFile: work + "/rsyslog.conf", atomically: true, encoding: .utf8)
        let rsyslogd = Process()
        rsyslogd.executableURL = URL(fileURLWithPath: "/usr/sbin/rsyslogd")
        rsyslogd.arguments = ["-n", "-f", work + "/rsyslog.conf", "-i", work + "/rsyslogd.pid"]
        let rlog = Pipe()
        rsyslogd.standardError = rlog
        rsyslogd.standardOutput = rlog
        try rsyslogd.run()
        // rsyslogd is ready once its input socket exists.
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: socketPath) && Date() < deadline { usleep(10_000) }
        try #require(FileManager.default.fileExists(atPath: socketPath), "rsyslogd did not start")

        let n = 40
        let logger = Process()
        logger.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        logger.arguments = ["logger", "-u", socketPath, "-t", "rsysapp", "-p", "local3.warning"]
        let input = Pipe()
        logger.standardInput = input
        try logger.run()
        input.fileHandleForWriting.write(Data(((0..<n).map { "forwarded line \($0)" }.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        logger.waitUntilExit()
        #expect(logger.terminationStatus == 0)
        // Syslog has no acknowledgement: the only sign of delivery is the entries themselves, so
        // the test polls the store until they are all there (or 20 s pass).
        func search() throws -> [String: Any] {
            let r = try server.client.get("/api/logs?limit=200&q=" + "service:rsysapp level:warn \"forwarded line\"".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            return try #require(try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
        }
        var j = try search()
        let deadline2 = Date().addingTimeInterval(20)
        while (j["total"] as? Int ?? 0) < 2 * n && Date() < deadline2 {
            usleep(20_000)
            j = try search()
        }
        kill(rsyslogd.processIdentifier, SIGKILL)
        rsyslogd.waitUntilExit()
        let hits = (j["hits"] as? [[String: Any]]) ?? []
        #expect(j["total"] as? Int == 2 * n, "each line once per action: \(j["total"] ?? "?")")
        let messages = Set(hits.compactMap { $0["message"] as? String })
        #expect(messages == Set((0..<n).map { "forwarded line \($0)" }))
        #expect(hits.allSatisfy { ($0["fields"] as? [String: Any])?["syslog.facility"] as? String == "local3" })
        #expect(hits.contains { $0["host"] as? String != "" }, "rsyslog names the host")
        #expect(server.stop() == 0)
    }
}
