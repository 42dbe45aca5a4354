import CZlib
import Foundation
import Testing
@testable import StrataAgent

/// TLS against Python's `ssl` server with a CA and certificates made by the `openssl` CLI:
/// verification by CA file, hostname and IP checks, SNI, insecure mode, client certificates.
@Suite struct AgentHTTPConnectionTLSTests {
    let pki = TestPKI.shared

    func connection(_ server: PythonHTTPSServer, host: String = "localhost", _ tls: AgentTLSOptions) throws -> AgentHTTPConnection {
        try AgentHTTPConnection(host: host, port: server.port, tls: tls, connectTimeoutMillis: 5000, ioTimeoutMillis: 10000)
    }

    /// The error of one request, which must fail.
    func failure(_ c: AgentHTTPConnection) -> AgentTransportError? {
        do {
            _ = try c.send(method: "GET", path: "/", body: [])
            return nil
        } catch {
            return error
        }
    }

    @Test func verifiedSessionCarriesManyRequestsOverOneConnection() throws {
        let server = try PythonHTTPSServer()
        defer { server.stop() }
        let c = try connection(server, AgentTLSOptions(caFile: pki.caFile))
        var big = [UInt8](repeating: 0, count: 3 << 20)
        for i in big.indices { big[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 13) }
        for body in [[], Array("hello".utf8), big] {
            let r = try c.send(method: "POST", path: "/ingest", body: body)
            #expect(r.status == 200)
            #expect(String(decoding: r.body, as: UTF8.self) == "1 \(body.count) \(crc32Of(body))")
            #expect(r.header("x-sni") == "localhost")
        }
        #expect(c.connectionsOpened == 1)
    }

    @Test func unknownCAIsRejected() throws {
        let server = try PythonHTTPSServer()
        defer { server.stop() }
        let c = try connection(server, AgentTLSOptions()) // system store: does not know the test CA
        guard case .tls(let why) = failure(c) else { Issue.record("expected a TLS error"); return }
        #expect(why.contains("certificate verify failed: unable to get local issuer certificate"), "\(why)")
        #expect(why.contains("localhost:\(server.port)"))
        #expect(!c.isConnected)
    }

    @Test func certificateForAnotherNameIsRejected() throws {
        let server = try PythonHTTPSServer()
        defer { server.stop() }
        let byName = try connection(server, AgentTLSOptions(caFile: pki.caFile, serverName: "logs.example.com"))
        guard case .tls(let why) = failure(byName) else { Issue.record("expected a TLS error"); return }
        #expect(why.contains("hostname mismatch") && why.contains("'logs.example.com'"), "\(why)")
        // The certificate names DNS:localhost only, so connecting by IP fails the IP check.
        let byIP = try connection(server, host: "127.0.0.1", AgentTLSOptions(caFile: pki.caFile))
        guard case .tls(let whyIP) = failure(byIP) else { Issue.record("expected a TLS error"); return }
        #expect(whyIP.contains("IP address mismatch") && whyIP.contains("'127.0.0.1'"), "\(whyIP)")
        // serverName fixes it: verified (and sent as SNI) as localhost while connecting by IP.
        let named = try connection(server, host: "127.0.0.1", AgentTLSOptions(caFile: pki.caFile, serverName: "localhost"))
        #expect(try named.send(method: "GET", path: "/", body: []).header("x-sni") == "localhost")
    }

    @Test func insecureSkipVerifyAcceptsAnyCertificate() throws {
        let server = try PythonHTTPSServer()
        defer { server.stop() }
        let c = try connection(server, host: "127.0.0.1", AgentTLSOptions(insecureSkipVerify: true))
        let r = try c.send(method: "GET", path: "/", body: [])
        #expect(r.status == 200)
        #expect(r.header("x-sni") == "-") // no SNI for an IP literal (RFC 6066 §3)
        let named = try connection(server, host: "127.0.0.1", AgentTLSOptions(insecureSkipVerify: true, serverName: "logs.internal"))
        #expect(try named.send(method: "GET", path: "/", body: []).header("x-sni") == "logs.internal")
    }

    @Test func clientCertificateIsPresentedWhenConfigured() throws {
        let server = try PythonHTTPSServer(requireClientCertificate: true)
        defer { server.stop() }
        let with = try connection(server, AgentTLSOptions(caFile: pki.caFile, certFile: pki.clientCert, keyFile: pki.clientKey))
        #expect(try with.send(method: "POST", path: "/", body: [1, 2]).status == 200)
        let without = try connection(server, AgentTLSOptions(caFile: pki.caFile))
        // TLS 1.3 checks the client certificate after the client's handshake is done, so the
        // refusal arrives while the request is out: as the alert, or, when the server's close
        // with our request unread turns into a reset that discards the alert, as a reset.
        switch failure(without) {
        case .tls(let why): #expect(why.contains("certificate required"), "\(why)")
        case .io(let why): #expect(why.contains("reset") || why.contains("end of stream"), "\(why)")
        case let other: Issue.record("expected the server to refuse, got \(String(describing: other))")
        }
    }

    @Test func serverClosingAKeptAliveTLSConnectionIsReconnectedTransparently() throws {
        let server = try PythonHTTPSServer()
        defer { server.stop() }
        let c = try connection(server, AgentTLSOptions(caFile: pki.caFile))
        // /close-after: answered as keep-alive, then the server drops the connection.
        #expect(try c.send(method: "POST", path: "/close-after", body: [1]).header("x-conn") == "1")
        let r = try c.send(method: "POST", path: "/", body: [1, 2])
        #expect(r.header("x-conn") == "2")
        #expect(String(decoding: r.body, as: UTF8.self) == "2 2 \(crc32Of([1, 2]))")
        #expect(c.connectionsOpened == 2)
    }

    @Test func unreadableTLSFilesFailAtConstruction() {
        let cases: [(AgentTLSOptions, String)] = [
            (AgentTLSOptions(caFile: "/nonexistent/ca.pem"), "cannot load CA file '/nonexistent/ca.pem'"),
            (AgentTLSOptions(certFile: "/nonexistent/c.pem"), "cannot load client certificate '/nonexistent/c.pem'"),
            (AgentTLSOptions(certFile: pki.clientCert, keyFile: pki.serverKey), "key values mismatch"),
            (AgentTLSOptions(keyFile: pki.clientKey), "without certFile"),
        ]
        for (options, expected) in cases {
            do {
                _ = try AgentHTTPConnection(host: "localhost", port: 443, tls: options, connectTimeoutMillis: 100, ioTimeoutMillis: 100)
                Issue.record("accepted \(options)")
            } catch {
                guard case .tls(let why) = error else { Issue.record("unexpected \(error)"); continue }
                #expect(why.contains(expected), "\(why)")
            }
        }
    }

    @Test func disabledTLSOptionsMeanPlainHTTP() throws {
        let server = TestHTTPServer { _ in .respond(httpResponse(body: Array("plain".utf8))) }
        defer { server.stop() }
        let c = try AgentHTTPConnection(host: "127.0.0.1", port: server.port, tls: AgentTLSOptions(enabled: false, caFile: "/nonexistent"),
                                        connectTimeoutMillis: 1000, ioTimeoutMillis: 1000)
        #expect(try c.send(method: "GET", path: "/", body: []).body == Array("plain".utf8))
    }
}

/// zlib's CRC-32, as Python's `zlib.crc32` computes it.
func crc32Of(_ bytes: [UInt8]) -> UInt {
    bytes.withUnsafeBytes { UInt(crc32(0, $0.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt($0.count))) }
}
