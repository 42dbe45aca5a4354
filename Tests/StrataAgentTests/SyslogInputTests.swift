import Foundation
import Testing
import StrataAgent
import StrataFormat
import StrataParse

/// The syslog input against real clients (util-linux `logger`) and byte-exact raw sockets:
/// every entry must be what `SyslogParser.parse` makes of the message, batched, framed per
/// RFC 6587, cut at the size limit, and the listener must stop cleanly.
@Suite struct SyslogInputTests {
    /// What the server's parser makes of `message` (for messages carrying their own timestamp,
    /// so the receive time does not matter).
    func parsed(_ message: String, defaults: EntryDefaults = EntryDefaults()) -> LogEntry {
        let d = ParseDefaults(receivedAtNanos: 0, service: defaults.service, host: defaults.host, source: defaults.source)
        var e = Array(message.utf8).withUnsafeBytes { SyslogParser.parse($0, defaults: d) }
        for f in defaults.fields where e.field(f.key) == nil { e.fields.append(f) }
        return e
    }

    func logger(_ args: [String], lines: [String]) throws {
        let r = try run("logger", args, input: Array((lines.joined(separator: "\n") + "\n").utf8))
        #expect(r.status == 0, "logger failed: \(r.err)")
    }

    func start(_ transport: SyslogInput.Transport, address: String = "127.0.0.1:0", sink: CollectingSink,
               configure: (inout SyslogInput.Config) -> Void = { _ in }) throws -> (SyslogInput, Int) {
        var config = SyslogInput.Config(address: address, transport: transport)
        configure(&config)
        let input = SyslogInput(config: config, sink: sink)
        return (input, try input.start())
    }

    @Test func loggerRFC5424OverUDPKeepsHostAppLevelAndStructuredData() throws {
        let sink = CollectingSink()
        let (input, port) = try start(.udp, sink: sink)
        defer { input.stop() }
        let lines = (0..<20).map { "udp message \($0)" }
        try logger(["--server", "127.0.0.1", "--port", String(port), "--udp", "--rfc5424", "-t", "udpapp", "-p", "local0.notice",
                    "--msgid", "ID47", "--sd-id", "exampleSDID@32473", "--sd-param", #"iut="3""#], lines: lines)
        let entries = try #require(sink.waitForEntries(20))
        #expect(Set(entries.map(\.message)) == Set(lines))
        for e in entries {
            #expect(e.service == "udpapp")
            #expect(e.host == localHostName())
            #expect(e.level == .info)
            #expect(e.field("syslog.facility") == .string("local0"))
            #expect(e.field("syslog.severity") == .string("notice"))
            #expect(e.field("syslog.msgid") == .string("ID47"))
            #expect(e.field("sd.exampleSDID@32473.iut") == .string("3"))
        }
        #expect(input.stats.messages == 20)
    }

    @Test func loggerRFC3164OverTCPWithLineFraming() throws {
        let sink = CollectingSink()
        let (input, port) = try start(.tcp, sink: sink)
        defer { input.stop() }
        let lines = (0..<30).map { "tcp lf message \($0) café" }
        try logger(["--server", "127.0.0.1", "--port", String(port), "--tcp", "--rfc3164", "-t", "lfapp", "-p", "user.err"], lines: lines)
        let entries = try #require(sink.waitForEntries(30))
        #expect(entries.map(\.message) == lines, "one connection keeps the order")
        for e in entries {
            #expect(e.service == "lfapp")
            #expect(e.host == localHostName())
            #expect(e.level == .error)
            #expect(e.field("syslog.facility") == .string("user"))
            #expect(e.field("syslog.severity") == .string("err"))
        }
    }

    @Test func loggerRFC5424OverTCPWithOctetCounting() throws {
        let sink = CollectingSink()
        let (input, port) = try start(.tcp, sink: sink)
        defer { input.stop() }
        let lines = (0..<30).map { "tcp octet message \($0)" }
        try logger(["--server", "127.0.0.1", "--port", String(port), "--tcp", "--octet-count", "--rfc5424", "-t", "octapp",
                    "-p", "daemon.warning", "--id=4242"], lines: lines)
        let entries = try #require(sink.waitForEntries(30))
        #expect(entries.map(\.message) == lines)
        #expect(entries.allSatisfy { $0.service == "octapp" && $0.level == .warn && $0.field("syslog.procid") == .string("4242") })
        #expect(entries.allSatisfy { $0.field("syslog.facility") == .string("daemon") })
    }

    @Test func loggerOverIPv6Loopback() throws {
        let sink = CollectingSink()
        let (input, port) = try start(.udp, address: "[::1]:0", sink: sink)
        defer { input.stop() }
        try logger(["--server", "::1", "--port", String(port), "--udp", "--rfc5424", "-t", "v6app", "-p", "local7.debug"], lines: ["over ipv6"])
        let entries = try #require(sink.waitForEntries(1))
        try #require(entries.map(\.message) == ["over ipv6"])
        #expect(entries[0].service == "v6app" && entries[0].level == .debug)
    }

    @Test func rawDatagramsBecomeExactlyWhatSyslogParserMakes() throws {
        let sink = CollectingSink()
        let (input, port) = try start(.udp, sink: sink)
        defer { input.stop() }
        let messages = [
            #"<165>1 2026-11-29T09:09:47.123Z web-1 nginx 812 ACCESS [req@1 id="a\"b" path="/x"] GET /x 200"#,
            "<34>2026-11-29T10:00:00Z db-2 postgres[77]: connection refused\r\n",
            "<13>1 2026-11-29T09:00:00+02:00 - - - - - \u{FEFF}bom message",
        ]
        let client = try RawClient(port: port, udp: true)
        for m in messages { try client.send(m) }
        let entries = try #require(sink.waitForEntries(messages.count))
        try #require(entries == messages.map { parsed($0) })
        #expect(entries[1].host == "db-2" && entries[1].level == .fatal && entries[1].message == "connection refused")
    }

    @Test func octetCountedFramesSplitAcrossWritesKeepEmbeddedNewlines() throws {
        let sink = CollectingSink()
        let (input, port) = try start(.tcp, sink: sink)
        defer { input.stop() }
        let messages = [
            "<14>1 2026-11-29T09:09:47Z h1 app - - - first line\nsecond line",
            "<11>1 2026-11-29T09:09:48Z h1 app - - - with trailing spaces  ",
            "<14>1 2026-11-29T09:09:49Z h1 app - - - café ☕",
        ]
        var stream = [UInt8]()
        for m in messages { stream += Array("\(m.utf8.count) \(m)".utf8) }
        stream += Array("<15>1 2026-11-29T09:09:50Z h1 app - - - then a line-framed one\n".utf8)   // framing is chosen per frame
        let client = try RawClient(port: port)
        // Split everywhere: inside a length, right after it, mid-UTF-8.
        var i = 0
        for step in [1, 2, 3, 7, 50, 1, 1, 90, 4096] where i < stream.count {
            try client.send(Array(stream[i..<min(i + step, stream.count)]))
            i += step
        }
        let entries = try #require(sink.waitForEntries(4))
        try #require(entries == (messages + ["<15>1 2026-11-29T09:09:50Z h1 app - - - then a line-framed one"]).map { parsed($0) })
        #expect(entries[0].message == "first line\nsecond line")
    }

    @Test func oversizeTCPMessageIsCutAtTheLimitAndTheNextIsWhole() throws {
        let sink = CollectingSink()
        let (input, port) = try start(.tcp, sink: sink) { $0.maxMessageBytes = 64 }
        defer { input.stop() }
        let long = "<14>1 2026-11-29T09:09:47Z h1 app - - - " + String(repeating: "x", count: 200)
        let next = "<14>1 2026-11-29T09:09:48Z h1 app - - - next"
        let client = try RawClient(port: port)
        try client.send(long + "\n" + next + "\n")
        let entries = try #require(sink.waitForEntries(2))
        #expect(entries == [parsed(String(long.prefix(64))), parsed(next)])
        #expect(input.stats.truncatedMessages == 1)
    }

    @Test func oversizeDatagramIsCutAtTheLimit() throws {
        let sink = CollectingSink()
        let (input, port) = try start(.udp, sink: sink) { $0.maxMessageBytes = 100 }
        defer { input.stop() }
        let long = "<14>1 2026-11-29T09:09:47Z h1 app - - - " + String(repeating: "y", count: 1000)
        try RawClient(port: port, udp: true).send(long)
        let entries = try #require(sink.waitForEntries(1))
        try #require(entries == [parsed(String(long.prefix(100)))])
        #expect(entries[0].message.utf8.count == 100 - 40)
        #expect(input.stats.truncatedMessages == 1)
    }

    @Test func defaultsFillWhatMessagesLack() throws {
        let sink = CollectingSink()
        let defaults = EntryDefaults(service: "fallback", host: "agent-host", source: "syslog", fields: [Field("env", .string("prod"))])
        let (input, port) = try start(.udp, sink: sink) { $0.defaults = defaults }
        defer { input.stop() }
        let messages = ["<14>1 2026-11-29T10:00:00Z - - - - - no app no host", "<14>1 2026-11-29T10:00:00Z h9 tagged - - - has app"]
        let client = try RawClient(port: port, udp: true)
        for m in messages { try client.send(m) }
        let entries = try #require(sink.waitForEntries(2)).sorted { $0.message < $1.message }
        try #require(entries == messages.map { parsed($0, defaults: defaults) }.sorted { $0.message < $1.message })
        #expect(entries[0].service == "tagged" && entries[0].host == "h9")
        #expect(entries[1].service == "fallback" && entries[1].host == "agent-host" && entries[1].source == "syslog")
        #expect(entries.allSatisfy { $0.field("env") == .string("prod") })
    }

    @Test func batchesHoldAtMostBatchEntriesAndAPartialOneIsSentAfterTheLinger() throws {
        let sink = CollectingSink()
        let (input, port) = try start(.tcp, sink: sink) { $0.batchEntries = 10 }
        defer { input.stop() }
        let client = try RawClient(port: port)
        try client.send((0..<25).map { "<14>1 2026-11-29T09:09:47Z h a - - - m\($0)\n" }.joined())
        let entries = try #require(sink.waitForEntries(25), "the last 5 arrive by the linger, not by a full batch")
        #expect(entries.map(\.message) == (0..<25).map { "m\($0)" })
        let sizes = sink.batches.map(\.count)
        #expect(sizes.allSatisfy { $0 <= 10 } && sizes.count >= 3, "batch sizes \(sizes)")
    }

    @Test func aRefusingSinkMakesTheConnectionClose() throws {
        let sink = CollectingSink(refusing: true)
        let (input, port) = try start(.tcp, sink: sink) { $0.batchEntries = 1 }
        defer { input.stop() }
        let client = try RawClient(port: port)
        try client.send("<14>1 - h a - - - refused\n")
        #expect(client.isClosedByServer(), "the input stops reading once the agent stops")
        #expect(sink.entries.isEmpty)
    }

    @Test func connectionsBeyondTheLimitWaitForAFreeSlot() throws {
        let sink = CollectingSink()
        let (input, port) = try start(.tcp, sink: sink) { $0.maxConnections = 1 }
        defer { input.stop() }
        let first = try RawClient(port: port)
        try first.send("<14>1 2026-11-29T09:09:47Z h a - - - from first\n")
        #expect(sink.waitForEntries(1) != nil)
        let second = try RawClient(port: port)   // the kernel completes the handshake; the input does not serve it yet
        try second.send("<14>1 2026-11-29T09:09:47Z h a - - - from second\n")
        #expect(sink.waitForEntries(2, seconds: 0.5) == nil, "a second connection is served beyond the limit of 1")
        #expect(input.stats.activeConnections == 1)
        first.finishWriting()
        let entries = try #require(sink.waitForEntries(2))
        #expect(entries.map(\.message) == ["from first", "from second"])
        #expect(input.stats.acceptedConnections == 2)
    }

    @Test func stopReturnsWithOpenConnectionsAndDeliversTheUnterminatedTail() throws {
        let sink = CollectingSink()
        let (input, port) = try start(.tcp, sink: sink)
        let client = try RawClient(port: port)
        try client.send("<14>1 2026-11-29T09:09:47Z h a - - - complete\n")
        #expect(sink.waitForEntries(1) != nil)
        try client.send("<14>1 2026-11-29T09:09:48Z h a - - - unterminated tail")
        let began = Date()
        input.stop()
        #expect(Date().timeIntervalSince(began) < 2, "stop must not wait for the client")
        #expect(sink.entries.map(\.message) == ["complete", "unterminated tail"])
        #expect(client.isClosedByServer())
        #expect(input.stats.activeConnections == 0)
        input.stop()   // idempotent
    }

    @Test func stopEndsTheUDPThreadAndFreesThePort() throws {
        let sink = CollectingSink()
        let (input, port) = try start(.udp, sink: sink)
        input.stop()
        let again = SyslogInput(config: .init(address: "127.0.0.1:\(port)", transport: .udp), sink: sink)
        #expect(try again.start() == port, "the port is free once stop returned")
        again.stop()
    }

    @Test func aPortInUseFailsTheStartWithTheAddressAndCall() throws {
        let sink = CollectingSink()
        let (input, port) = try start(.tcp, sink: sink)
        defer { input.stop() }
        let second = SyslogInput(config: .init(address: "127.0.0.1:\(port)", transport: .tcp), sink: sink)
        #expect(throws: AgentInputError.socket(input: "syslog tcp 127.0.0.1:\(port)", call: "bind", errno: EADDRINUSE)) { try second.start() }
        #expect(throws: AgentInputError.alreadyStarted(input: "syslog tcp 127.0.0.1:0")) { try input.start() }
    }

    @Test func badSettingsFailTheStart() {
        let sink = CollectingSink()
        let tiny = SyslogInput(config: .init(address: "127.0.0.1:0", transport: .tcp, maxMessageBytes: 8), sink: sink)
        #expect(throws: AgentInputError.self) { try tiny.start() }
        let noPort = SyslogInput(config: .init(address: "127.0.0.1", transport: .udp), sink: sink)
        #expect(throws: AgentInputError.badAddress("127.0.0.1", reason: "expected host:port (e.g. 0.0.0.0:514)")) { try noPort.start() }
    }

    @Test(arguments: [
        ("0.0.0.0:514", "0.0.0.0", 514),
        ("[::1]:5514", "::1", 5514),
        ("[::]:0", "::", 0),
        ("localhost:65535", "localhost", 65535),
        (":514", "0.0.0.0", 514),
    ])
    func listenAddressesParse(text: String, host: String, port: Int) throws {
        let a = try ListenAddress.parse(text)
        #expect(a.host == host && a.port == port)
        #expect(try ListenAddress.parse(a.description) == a, "description round-trips")
    }

    @Test(arguments: ["::1:514", "127.0.0.1", "1.2.3.4:65536", "1.2.3.4:", "[::1]514", "[::1", "[]:514", "host:-1", "host:0x10"])
    func badListenAddressesAreRefused(text: String) {
        #expect(throws: AgentInputError.self) { try ListenAddress.parse(text) }
    }
}
