import Testing
import StrataFormat
import StrataParse
@testable import StrataReceivers

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
