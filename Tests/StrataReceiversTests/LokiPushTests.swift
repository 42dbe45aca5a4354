import Testing
import StrataFormat
import StrataParse
@testable import StrataReceivers
import StrataTestSupport

@Suite struct LokiPushTests {
    let defaults = ParseDefaults(receivedAtNanos: 1)

    func parse(_ s: String) throws(ReceiverError) -> LokiPush {
        try withBytes(Array(s.utf8)) { (p: UnsafeRawBufferPointer) throws(ReceiverError) in try LokiPush.parse(p, defaults: defaults) }
    }

    @Test func labelsMapToColumnsAndFields() throws {
        // python-logging-loki's shape, plus loki-logger-handler's extra stream keys and metadata.
        let push = try parse("""
        {"streams":[{"stream":{"application":"shop","severity":"error","logger":"root","region":"eu"},
          "values":[["1795910400000000001","payment failed"],["1795910400000000002","retrying",{"trace_id":"abc","host":"web-3"}]],
          "message_in_json_format":true,"loki_metadata":null},
          {"stream":{"job":"varlogs","filename":"/var/log/syslog"},"values":[["1795910400000000003","kernel: oops"],["soon","bad ts"],[1,"x"]]}]}
        """)
        #expect(push.entries.count == 3)
        #expect(push.rejected == 2)
        let a = push.entries[0]
        #expect(a.timestampNanos == 1_795_910_400_000_000_001 && a.message == "payment failed")
        #expect(a.service == "shop" && a.level == .error && a.field("logger") == .string("root") && a.field("region") == .string("eu"))
        #expect(push.entries[1].host == "web-3" && push.entries[1].field("trace_id") == .string("abc"))
        #expect(push.entries[2].service == "varlogs" && push.entries[2].source == "/var/log/syslog")
    }

    @Test func wrongShapesRefuseTheBody() {
        #expect(throws: ReceiverError.self) { try parse("{\"stream\":{}}") }
        #expect(throws: ReceiverError.self) { try parse("{\"streams\":[{\"stream\":{}}]}") }
        #expect(throws: ReceiverError.self) { try parse("{\"streams\":[5]}") }
        #expect(throws: ReceiverError.self) { try parse("{\"streams\":[") }
    }
}

/// Loki's protobuf push (what Promtail and Alloy send), with bodies built from the wire format
/// in the test and compressed with a literal-only Snappy encoder (test support); and Snappy's
/// copy elements checked against hand-made blocks.
@Suite struct LokiProtobufTests {
    func snappy(_ b: [UInt8], limit: Int = 1 << 20) throws(ReceiverError) -> [UInt8] {
        try withBytes(b) { (p: UnsafeRawBufferPointer) throws(ReceiverError) in try Snappy.decompress(p, limit: limit) }
    }

    @Test func snappyCopies() throws {
        // "ab" then a 1-byte-offset copy of 6 at offset 2: "abababab".
        #expect(try snappy([8, 0x04, 0x61, 0x62, 0x01 | (2 << 2), 0x02]) == Array("abababab".utf8))
        // A 2-byte-offset copy: "xyz" then copy 3 at offset 3.
        #expect(try snappy([6, 0x08, 0x78, 0x79, 0x7A, 0x02 | (2 << 2), 0x03, 0x00]) == Array("xyzxyz".utf8))
        #expect(throws: ReceiverError.self) { try snappy([8, 0x04, 0x61, 0x62, 0x01 | (2 << 2), 0x09]) }   // offset past the start
        #expect(throws: ReceiverError.self) { try snappy([9, 0x04, 0x61, 0x62]) }                          // shorter than declared
        #expect(throws: ReceiverError.self) { try snappy([0xFF, 0xFF, 0xFF, 0x7F], limit: 1000) }           // declared over the limit
    }

    @Test func pushRequestDecodes() throws {
        var ts = PB(); ts.int(1, 1_795_910_400); ts.int(2, 5)
        var meta = PB(); meta.str(1, "trace_id"); meta.str(2, "abc123")
        var entry = PB(); entry.msg(1, ts); entry.str(2, "promtail line"); entry.msg(3, meta)
        var entry2 = PB(); entry2.msg(1, ts); entry2.str(2, "second")
        var stream = PB(); stream.str(1, #"{job="varlogs", filename="/var/log/syslog", level="warn", note="a \"quoted\" value"}"#)
        stream.msg(2, entry); stream.msg(2, entry2)
        var req = PB(); req.msg(1, stream)
        let body = snappyLiterals(req.bytes)
        let push = try withBytes(body) { (p: UnsafeRawBufferPointer) throws(ReceiverError) in
            try LokiPush.parseProtobuf(p, defaults: ParseDefaults(receivedAtNanos: 1), limit: 1 << 20)
        }
        #expect(push.entries.count == 2 && push.rejected == 0)
        let e = push.entries[0]
        #expect(e.timestampNanos == 1_795_910_400_000_000_005 && e.message == "promtail line")
        #expect(e.service == "varlogs" && e.source == "/var/log/syslog" && e.level == .warn)
        #expect(e.field("note") == .string(#"a "quoted" value"#) && e.field("trace_id") == .string("abc123"))
        #expect(throws: ReceiverError.self) { try LokiPush.labelText("job=\"x\"") }
        #expect(throws: ReceiverError.self) { try LokiPush.labelText("{job=\"x}") }
    }
}
