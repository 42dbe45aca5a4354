import Foundation
import Testing
import StrataTestSupport

/// HTTPS and syslog over TLS (RFC 5425) with client-certificate verification, driven by a real
/// TLS client (Python's `ssl`, i.e. OpenSSL) against certificates made by the `openssl` CLI: a
/// client with a certificate from the configured CA gets in; one without a certificate, or with
/// one from another CA, is refused in the handshake and stores nothing.
@Suite(.serialized) struct ServerTLSTests {
    /// Runs a command; returns its exit status and standard output.
    @discardableResult
    func run(_ args: [String], in dir: String) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text + errText)
    }

    /// A CA, a server certificate for 127.0.0.1 and a client certificate signed by it, plus a
    /// client certificate from an unrelated CA.
    func makeCertificates(in dir: String) throws {
        let steps: [[String]] = [
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Strata Test CA"],
            ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"],
            ["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"],
            ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=agent-1"],
            ["openssl", "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.pem", "-days", "2"],
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rogue.key", "-out", "rogue.pem", "-days", "2", "-subj", "/CN=rogue"],
        ]
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: dir + "/server.ext", atomically: true, encoding: .utf8)
        for s in steps {
            let (status, out) = try run(s, in: dir)
            try #require(status == 0, "\(s.joined(separator: " ")) failed: \(out)")
        }
    }

    @Test func httpsAndSyslogOverTLSRequireAClientCertificateFromTheCA() throws {
        let dir = TemporaryDirectory("strata-tls")
        let certs = dir.path
        try makeCertificates(in: certs)
        let data = dir.path + "/data"
        let server = try ServerProcess(dataDir: data, arguments: [
            "--tls-cert", certs + "/server.pem", "--tls-key", certs + "/server.key", "--tls-client-ca", certs + "/ca.pem",
            "--syslog-tls", "127.0.0.1:0"])
        #expect(server.startupLog.contains("listening on https://127.0.0.1:"))
        let tlsPort = try #require(server.syslogTLSPort)
        let script = packageRootPath() + "/Tests/StrataServerTests/Clients/tls_client.py"
        let ca = certs + "/ca.pem"
        let good = ["--cert", certs + "/client.pem", "--key", certs + "/client.key"]
        let rogue = ["--cert", certs + "/rogue.pem", "--key", certs + "/rogue.key"]
        let base = "https://127.0.0.1:\(server.port)"

        let n = 30
        let body = (0..<n).map { #"{"message":"https entry \#($0)","service":"tlsapi","level":"info"}"# }.joined(separator: "\n") + "\n"
        try body.write(toFile: dir.path + "/body.ndjson", atomically: true, encoding: .utf8)
        var (status, out) = try run(["python3", script, ca] + good + ["post", base + "/api/logs", dir.path + "/body.ndjson"], in: dir.path)
        #expect(status == 0 && out.contains("STATUS 200") && out.contains("\"accepted\":\(n)"), "\(out)")
        (status, out) = try run(["python3", script, ca] + good + ["get", base + "/api/logs?q=service:tlsapi&limit=1"], in: dir.path)
        #expect(status == 0 && out.contains("STATUS 200") && out.contains("\"total\":\(n)"), "\(out)")
        for who in [[], rogue] {
            (status, out) = try run(["python3", script, ca] + who + ["post", base + "/api/logs", dir.path + "/body.ndjson"], in: dir.path)
            #expect(status == 2 && out.contains("REFUSED"), "a client without a certificate from the CA is refused: \(out)")
        }

        (status, out) = try run(["python3", script, ca] + good + ["syslog", "127.0.0.1", String(tlsPort), "tlssys", String(n)], in: dir.path)
        #expect(status == 0 && out.contains("SENT \(n)"), "\(out)")
        // Under TLS 1.3 the server judges the client certificate after the client's side of the
        // handshake is done, and a syslog sender never reads, so it may not notice the refusal;
        // what matters is that none of its messages is stored (checked below).
        try run(["python3", script, ca] + rogue + ["syslog", "127.0.0.1", String(tlsPort), "roguesys", "5"], in: dir.path)
        #expect(server.stop() == 0)

        // Graceful stop wrote everything the listeners queued; read it back over plain HTTP.
        let again = try ServerProcess(dataDir: data)
        func total(_ q: String) throws -> Int {
            let r = try again.client.get("/api/logs?limit=1&q=" + q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            let j = try #require(try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
            return j["total"] as? Int ?? -1
        }
        #expect(try total("service:tlsapi \"https entry\"") == n, "only the accepted client's batch was stored")
        #expect(try total("service:tlssys host:tlshost \"tls message\"") == n)
        #expect(try total("service:roguesys") == 0)
        #expect(again.stop() == 0)
    }

    @Test func aKeyThatDoesNotMatchTheCertificateStopsTheServerWithThePath() throws {
        let dir = TemporaryDirectory("strata-tls-bad")
        try makeCertificates(in: dir.path)
        #expect(throws: ServerProcess.Failure.self) {
            _ = try ServerProcess(dataDir: dir.path + "/data", arguments: ["--tls-cert", dir.path + "/server.pem", "--tls-key", dir.path + "/client.key"])
        }
        do {
            _ = try ServerProcess(dataDir: dir.path + "/data", arguments: ["--tls-cert", dir.path + "/missing.pem", "--tls-key", dir.path + "/server.key"])
            Issue.record("the server started with a missing certificate")
        } catch ServerProcess.Failure.exitedEarly(let status, let log) {
            #expect(status != 0)
            #expect(log.contains("missing.pem"), "\(log)")
        }
    }
}
