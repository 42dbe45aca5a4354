import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import StrataAgent

/// Plain-HTTP behaviour of `AgentHTTPConnection` against the in-process `TestHTTPServer`:
/// keep-alive, stale connections, framing, timeouts, malformed responses.
@Suite struct AgentHTTPConnectionTests {
    func connect(_ server: TestHTTPServer, host: String = "127.0.0.1", io: Int = 5000) throws -> AgentHTTPConnection {
        try AgentHTTPConnection(host: host, port: server.port, tls: nil, connectTimeoutMillis: 2000, ioTimeoutMillis: io)
    }

    /// Echoes `<connection> <request index> <body length>` with keep-alive.
    static let echo: @Sendable (ReceivedRequest) -> Reply = { r in
        .respond(httpResponse(body: Array("\(r.connection) \(r.index) \(r.body.count)".utf8)))
    }

    @Test func keepAliveCarriesManyRequestsOverOneConnection() throws {
        let server = TestHTTPServer(handler: Self.echo)
        defer { server.stop() }
        let c = try connect(server)
        for i in 0..<5 {
            let body = [UInt8](repeating: UInt8(i), count: i * 1000)
            let r = try c.send(method: i == 0 ? "GET" : "POST", path: "/ingest?i=\(i)", headers: [("X-Tenant", "t1")], body: body)
            #expect(r.status == 200)
            #expect(String(decoding: r.body, as: UTF8.self) == "0 \(i) \(i * 1000)")
            #expect(r.header("Content-Length") == "\(r.body.count)")
        }
        #expect(server.accepted == 1)
        #expect(c.connectionsOpened == 1)
        let seen = server.requests
        #expect(seen.count == 5)
        #expect(seen[0].method == "GET" && seen[0].header("content-length") == nil)
        #expect(seen[1].header("Content-Length") == "1000")
        #expect(seen[4].path == "/ingest?i=4" && seen[4].header("x-tenant") == "t1")
        #expect(seen.allSatisfy { $0.header("host") == "127.0.0.1:\(server.port)" })
    }

    @Test func idleConnectionClosedByServerIsReplacedBeforeSending() throws {
        let server = TestHTTPServer(handler: Self.echo)
        defer { server.stop() }
        let c = try connect(server)
        #expect(try c.send(method: "POST", path: "/a", body: [1]).status == 200)
        server.closeOpenConnections()
        #expect(server.waitForConnectionEnd())
        let r = try c.send(method: "POST", path: "/b", body: [1, 2])
        #expect(String(decoding: r.body, as: UTF8.self) == "1 0 2")
        #expect(server.accepted == 2)
        #expect(c.connectionsOpened == 2)
        // The close was seen before writing: nothing was sent into the dead connection.
        #expect(c.requestsRetried == 0)
        #expect(server.requests.map(\.path) == ["/a", "/b"])
    }

    @Test func connectionDyingAfterTheRequestWasSentIsRetriedOnceOnANewOne() throws {
        // The idle-close race: the request reaches a connection the server is closing.
        let server = TestHTTPServer { r in
            r.connection == 0 && r.index == 1 ? .closeWithoutResponse : Self.echo(r)
        }
        defer { server.stop() }
        let c = try connect(server)
        #expect(try c.send(method: "POST", path: "/1", body: [1]).status == 200)
        let r = try c.send(method: "POST", path: "/2", body: [1, 2, 3])
        #expect(String(decoding: r.body, as: UTF8.self) == "1 0 3")
        #expect(server.accepted == 2)
        #expect(c.requestsRetried == 1)
        #expect(server.requests.map(\.path) == ["/1", "/2", "/2"])
    }

    @Test func freshConnectionClosedWithoutResponseIsNotRetried() throws {
        let server = TestHTTPServer { _ in .closeWithoutResponse }
        defer { server.stop() }
        let c = try connect(server)
        do {
            _ = try c.send(method: "POST", path: "/x", body: [1])
            Issue.record("expected an error")
        } catch {
            guard case .io(let why) = error else { Issue.record("unexpected \(error)"); return }
            #expect(why.contains("closed the connection before responding"))
        }
        #expect(server.accepted == 1)
        #expect(c.requestsRetried == 0)
        #expect(!c.isConnected)
    }

    @Test func connectionCloseFromTheServerIsHonoured() throws {
        // The server says close but keeps the socket open: the client must not reuse it.
        let server = TestHTTPServer { r in .respond(httpResponse(headers: [("Connection", "close")], body: Array("\(r.connection)".utf8))) }
        defer { server.stop() }
        let c = try connect(server)
        for i in 0..<3 {
            let r = try c.send(method: "GET", path: "/", body: [])
            #expect(String(decoding: r.body, as: UTF8.self) == "\(i)")
            #expect(!c.isConnected)
        }
        #expect(server.accepted == 3)
    }

    @Test func chunkedBodyIsDecodedAndTheConnectionStaysUsable() throws {
        var expected = [UInt8]()
        var wire = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n".utf8)
        var size = 1
        while expected.count < 200_000 {
            let chunk = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ expected.count) }
            expected += chunk
            wire += Array(String(size, radix: 16, uppercase: size % 2 == 0).utf8)
            if size % 3 == 0 { wire += Array(";ext=\"v\"".utf8) }
            wire += Array("\r\n".utf8) + chunk + Array("\r\n".utf8)
            size = size * 3 % 9001 + 1
        }
        wire += Array("0\r\nX-Trailer: t\r\n\r\n".utf8)
        let response = wire
        let server = TestHTTPServer { r in r.index == 0 ? .respond(response) : Self.echo(r) }
        defer { server.stop() }
        let c = try connect(server)
        let r = try c.send(method: "GET", path: "/chunked", body: [])
        #expect(r.body == expected)
        #expect(r.header("transfer-encoding") == "chunked" && r.header("x-a") == "1")
        #expect(try c.send(method: "GET", path: "/next", body: []).body == Array("0 1 0".utf8))
        #expect(server.accepted == 1)
    }

    @Test func bodyDelimitedByCloseIsReadToTheEnd() throws {
        let server = TestHTTPServer { _ in .respondAndClose(Array("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello until close".utf8)) }
        defer { server.stop() }
        let c = try connect(server)
        let r = try c.send(method: "GET", path: "/", body: [])
        #expect(r.status == 200 && r.reason == "OK")
        #expect(r.body == Array("hello until close".utf8))
        #expect(!c.isConnected)
    }

    @Test func interimResponsesAreSkippedAndHeadHasNoBody() throws {
        let server = TestHTTPServer { r in
            if r.method == "HEAD" { return .respond(Array("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n".utf8)) }
            return .respond(Array("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n".utf8) + httpResponse(status: 201, reason: "Created", body: Array("ok".utf8)))
        }
        defer { server.stop() }
        let c = try connect(server)
        let h = try c.send(method: "HEAD", path: "/", body: [])
        #expect(h.status == 200 && h.body.isEmpty && h.header("content-length") == "1234")
        let r = try c.send(method: "POST", path: "/", body: [1])
        #expect(r.status == 201 && r.body == Array("ok".utf8) && r.header("link") == nil)
        #expect(server.accepted == 1)
    }

    @Test func largeRequestBodyIsSentCompletely() throws {
        let server = TestHTTPServer { r in
            let sum = r.body.reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) }
            return .respond(httpResponse(body: Array("\(r.body.count) \(sum)".utf8)))
        }
        defer { server.stop() }
        let c = try connect(server)
        let body = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 ^ ($0 >> 9)) }
        let sum = body.reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) }
        let r = try c.send(method: "POST", path: "/big", body: body)
        #expect(String(decoding: r.body, as: UTF8.self) == "\(body.count) \(sum)")
    }

    @Test func silentServerMakesSendThrowWithinTheTimeout() throws {
        let server = TestHTTPServer { _ in .hang }
        defer { server.stop() }
        let c = try connect(server, io: 300)
        var failure: AgentTransportError?
        let ms = elapsedMillis {
            do { _ = try c.send(method: "POST", path: "/", body: [1, 2, 3]) } catch let e as AgentTransportError { failure = e } catch { Issue.record("\(error)") }
        }
        guard case .timeout(let why) = failure else { Issue.record("expected a timeout, got \(String(describing: failure))"); return }
        #expect(why.contains("within 300 ms") && why.contains("0 response bytes"))
        #expect(ms >= 290 && ms < 2300, "took \(ms) ms")
        #expect(!c.isConnected)
    }

    @Test func serverStallingInsideTheBodyTimesOut() throws {
        let server = TestHTTPServer { _ in .respond(Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789".utf8)) }
        defer { server.stop() }
        let c = try connect(server, io: 300)
        var failure: AgentTransportError?
        let ms = elapsedMillis {
            do { _ = try c.send(method: "GET", path: "/", body: []) } catch let e as AgentTransportError { failure = e } catch { Issue.record("\(error)") }
        }
        guard case .timeout(let why) = failure else { Issue.record("expected a timeout, got \(String(describing: failure))"); return }
        #expect(why.contains("received"))
        #expect(ms >= 290 && ms < 2300, "took \(ms) ms")
    }

    @Test(arguments: [
        "garbage\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
        "HTTP/1.1 101 Switching Protocols\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "v", count: 70_000) + "\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Many: 0123456789012345678901234567890123456789\r\n", count: 2000) + "Content-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 5000) + "\r\nx\r\n0\r\n\r\n",
    ])
    func malformedResponsesAreRejected(_ response: String) throws {
        let server = TestHTTPServer { _ in .respondAndClose(Array(response.utf8)) }
        defer { server.stop() }
        let c = try connect(server)
        do {
            let r = try c.send(method: "GET", path: "/", body: [])
            Issue.record("accepted: \(r.status) \(r.body)")
        } catch {
            guard case .malformed(let why) = error else { Issue.record("unexpected \(error)"); return }
            #expect(why.hasPrefix("from 127.0.0.1:\(server.port): "))
        }
        #expect(!c.isConnected)
    }

    @Test func responseBodyOverTheLimitIsRejected() throws {
        let big = [UInt8](repeating: 65, count: 5000)
        let server = TestHTTPServer { r in
            r.path == "/chunked"
                ? .respond(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1388\r\n".utf8) + big + Array("\r\n0\r\n\r\n".utf8))
                : .respond(httpResponse(body: big))
        }
        defer { server.stop() }
        let c = try connect(server)
        c.maxResponseBodyBytes = 1000
        for path in ["/length", "/chunked"] {
            #expect(throws: AgentTransportError.self) { _ = try c.send(method: "GET", path: path, body: []) }
        }
        c.maxResponseBodyBytes = 5000
        #expect(try c.send(method: "GET", path: "/chunked", body: []).body == big)
    }

    @Test func refusedConnectionNamesTheAddress() throws {
        // A bound socket that does not listen: connecting to it is refused, and nobody else
        // can take the port meanwhile.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        let port = TestHTTPServer.boundPort(fd)
        let c = try AgentHTTPConnection(host: "127.0.0.1", port: port, tls: nil, connectTimeoutMillis: 1000, ioTimeoutMillis: 1000)
        do {
            _ = try c.send(method: "GET", path: "/", body: [])
            Issue.record("expected a connect error")
        } catch {
            guard case .connect(let host, let p, let reason) = error else { Issue.record("unexpected \(error)"); return }
            #expect(host == "127.0.0.1" && p == port)
            #expect(reason.contains("127.0.0.1:\(port): Connection refused"))
        }
        #expect(c.connectionsOpened == 0)
    }

    @Test func connectTimeoutBoundsAnUnansweredHandshake() throws {
        // A listener with backlog 0 that never accepts: once one connection waits in its
        // accept queue, Linux drops further SYNs, so the next connect gets no answer.
        let l = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(l) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(l, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(listen(l, 0) == 0)
        let port = TestHTTPServer.boundPort(l)
        let filler = try AgentHTTPConnection(host: "127.0.0.1", port: port, tls: nil, connectTimeoutMillis: 2000, ioTimeoutMillis: 100)
        _ = try? filler.send(method: "GET", path: "/", body: []) // connects (queued), then times out reading
        #expect(filler.connectionsOpened == 1)
        let c = try AgentHTTPConnection(host: "127.0.0.1", port: port, tls: nil, connectTimeoutMillis: 300, ioTimeoutMillis: 5000)
        var failure: AgentTransportError?
        let ms = elapsedMillis {
            do { _ = try c.send(method: "GET", path: "/", body: []) } catch let e as AgentTransportError { failure = e } catch { Issue.record("\(error)") }
        }
        guard case .connect(_, _, let reason) = failure else { Issue.record("expected a connect error, got \(String(describing: failure))"); return }
        #expect(reason.contains("timed out after 300 ms"), "\(reason)")
        #expect(ms >= 290 && ms < 2300, "took \(ms) ms")
    }

    @Test func unresolvableHostIsAConnectError() throws {
        let c = try AgentHTTPConnection(host: "no-such-host.invalid", port: 80, tls: nil, connectTimeoutMillis: 1000, ioTimeoutMillis: 1000)
        #expect { _ = try c.send(method: "GET", path: "/", body: []) } throws: { e in
            guard case .connect(_, _, let reason) = e as? AgentTransportError else { return false }
            return reason.contains("cannot resolve 'no-such-host.invalid'")
        }
    }

    @Test func ipv6LiteralHostsConnectAndAreBracketedInHost() throws {
        let server = TestHTTPServer(ipv6: true, handler: Self.echo)
        defer { server.stop() }
        for host in ["::1", "[::1]"] {
            let c = try connect(server, host: host)
            #expect(try c.send(method: "GET", path: "/", body: []).status == 200)
        }
        #expect(server.requests.allSatisfy { $0.header("host") == "[::1]:\(server.port)" })
    }

    @Test func hostNamesAreResolvedAndSentAsHost() throws {
        // Where "localhost" also maps to ::1, this exercises falling back from ::1 (refused)
        // to 127.0.0.1; on hosts whose /etc/hosts maps it to 127.0.0.1 only, just resolution.
        let server = TestHTTPServer(handler: Self.echo)
        defer { server.stop() }
        let c = try connect(server, host: "localhost")
        #expect(try c.send(method: "GET", path: "/", body: []).status == 200)
        #expect(server.requests.first?.header("host") == "localhost:\(server.port)")
    }

    @Test(arguments: [
        [("X-Bad", "a\r\nInjected: 1")], [("Bad Name", "x")], [("Content-Length", "5")], [("transfer-encoding", "chunked")],
    ])
    func requestsThatCouldBeSplitAreRefusedBeforeConnecting(_ headers: [(String, String)]) throws {
        let c = try AgentHTTPConnection(host: "127.0.0.1", port: 9, tls: nil, connectTimeoutMillis: 100, ioTimeoutMillis: 100)
        #expect { _ = try c.send(method: "POST", path: "/", headers: headers, body: [1]) } throws: { e in
            if case .invalidRequest = e as? AgentTransportError { return true }
            return false
        }
        #expect(throws: AgentTransportError.self) { _ = try c.send(method: "GET", path: "/a b", body: []) }
        #expect(throws: AgentTransportError.self) { _ = try c.send(method: "G T", path: "/", body: []) }
        #expect(c.connectionsOpened == 0)
    }

    @Test func callerHostHeaderReplacesTheDefault() throws {
        let server = TestHTTPServer(handler: Self.echo)
        defer { server.stop() }
        let c = try connect(server)
        _ = try c.send(method: "POST", path: "/", headers: [("Host", "logs.example")], body: [])
        #expect(server.requests.first?.headers.filter { $0.0.lowercased() == "host" }.map(\.1) == ["logs.example"])
        #expect(server.requests.first?.header("content-length") == "0")
    }

    @Test func tlsHandshakeWithASilentServerTimesOut() throws {
        let server = TestHTTPServer { _ in .hang } // never sees a complete request: stays silent
        defer { server.stop() }
        let c = try AgentHTTPConnection(host: "127.0.0.1", port: server.port, tls: AgentTLSOptions(insecureSkipVerify: true),
                                        connectTimeoutMillis: 300, ioTimeoutMillis: 300)
        var failure: AgentTransportError?
        let ms = elapsedMillis {
            do { _ = try c.send(method: "GET", path: "/", body: []) } catch let e as AgentTransportError { failure = e } catch { Issue.record("\(error)") }
        }
        guard case .timeout(let why) = failure else { Issue.record("expected a timeout, got \(String(describing: failure))"); return }
        #expect(why.contains("TLS handshake"))
        #expect(ms >= 290 && ms < 2300, "took \(ms) ms")
    }
}
