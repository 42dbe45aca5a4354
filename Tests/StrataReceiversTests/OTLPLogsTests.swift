import Testing
import StrataFormat
import StrataParse
@testable import StrataReceivers
import StrataTestSupport

@Suite struct OTLPLogsTests {
    let defaults = ParseDefaults(receivedAtNanos: 42)

    @Test func protobufRequestMapsToEntries() throws {
        var record = PB()
        record.fixed64(1, 1_795_910_400_000_000_123)
        record.int(2, 17)                                   // SEVERITY_NUMBER_ERROR
        record.str(3, "ERROR")
        record.msg(5, PB.s("card declined"))
        record.msg(6, PB.kv("order.id", PB.s("A-17")))
        record.msg(6, PB.kv("attempt", PB.i(3)))
        var arr = PB(); arr.msg(1, PB.s("x")); arr.msg(1, PB.i(2))
        var arrValue = PB(); arrValue.msg(5, arr)
        record.msg(6, PB.kv("list", arrValue))
        record.raw(9, Array(repeating: 0xAB, count: 16))
        record.raw(10, [0, 0, 0, 0, 0, 0, 0, 0])
        record.tag(99, 5); record.bytes += [1, 2, 3, 4]     // an unknown 32-bit field is skipped
        var second = PB()
        second.fixed64(11, 1_795_910_400_000_000_999)       // observed time only
        var kvl = PB(); kvl.msg(1, PB.kv("a", PB.s("b")))
        var body = PB(); body.msg(6, kvl)
        second.msg(5, body)
        var scope = PB(); scope.str(1, "checkout.logger")
        var scopeLogs = PB(); scopeLogs.msg(1, scope); scopeLogs.msg(2, record); scopeLogs.msg(2, second)
        var resource = PB(); resource.msg(1, PB.kv("service.name", PB.s("checkout"))); resource.msg(1, PB.kv("host.name", PB.s("web-9")))
        resource.msg(1, PB.kv("service.version", PB.s("1.4.2")))
        var rl = PB(); rl.msg(2, scopeLogs); rl.msg(1, resource)    // resource after its scopes
        var req = PB(); req.msg(1, rl)

        let logs = try withBytes(req.bytes) { (p: UnsafeRawBufferPointer) throws(ReceiverError) in try OTLPLogs.decodeProtobuf(p, defaults: defaults) }
        #expect(logs.entries.count == 2 && logs.rejected == 0)
        let e = logs.entries[0]
        #expect(e.timestampNanos == 1_795_910_400_000_000_123 && e.level == .error && e.message == "card declined")
        #expect(e.service == "checkout" && e.host == "web-9")
        #expect(e.field("service.version") == .string("1.4.2"))
        #expect(e.field("order.id") == .string("A-17") && e.field("attempt") == .int(3))
        #expect(e.field("list") == .json(#"["x",2]"#))
        #expect(e.field("trace_id") == .string(String(repeating: "ab", count: 16)) && e.field("span_id") == nil)
        #expect(e.field("otel.scope.name") == .string("checkout.logger"))
        #expect(logs.entries[1].timestampNanos == 1_795_910_400_000_000_999 && logs.entries[1].message == #"{"a":"b"}"#)
        #expect(logs.protobufResponse.isEmpty && logs.jsonResponse == Array("{}".utf8))
    }

    @Test func truncatedOrInvalidProtobufIsRefused() {
        var record = PB(); record.str(3, "INFO")
        var sl = PB(); sl.msg(2, record)
        var rl = PB(); rl.msg(2, sl)
        var req = PB(); req.msg(1, rl)
        for cut in [1, 3, req.bytes.count - 1] {
            #expect(throws: ReceiverError.self) {
                try withBytes(Array(req.bytes.prefix(cut))) { (p: UnsafeRawBufferPointer) throws(ReceiverError) in try OTLPLogs.decodeProtobuf(p, defaults: defaults) }
            }
        }
        #expect(throws: ReceiverError.self) {
            try withBytes([0x0B, 0x00]) { (p: UnsafeRawBufferPointer) throws(ReceiverError) in try OTLPLogs.decodeProtobuf(p, defaults: defaults) }   // a group
        }
    }

    @Test func jsonMappingAsTheJSONExporterSendsIt() throws {
        let body = """
        {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"inventory"}},
          {"key":"telemetry.sdk.language","value":{"stringValue":"python"}}]},
          "scopeLogs":[{"scope":{"name":"app"},"logRecords":[
            {"timeUnixNano":"1795910400000000500","observedTimeUnixNano":"1795910400000000600","severityNumber":13,"severityText":"WARN",
             "body":{"stringValue":"stock low"},"attributes":[{"key":"sku","value":{"stringValue":"X-1"}},{"key":"qty","value":{"intValue":"4"}},
             {"key":"ok","value":{"boolValue":false}},{"key":"ratio","value":{"doubleValue":0.25}}],
             "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"},
            {"observedTimeUnixNano":"1795910400000000700","body":{"stringValue":"no time"}}]}]}]}
        """
        let logs = try withBytes(Array(body.utf8)) { (p: UnsafeRawBufferPointer) throws(ReceiverError) in try OTLPLogs.decodeJSON(p, defaults: defaults) }
        #expect(logs.entries.count == 2)
        let e = logs.entries[0]
        #expect(e.timestampNanos == 1_795_910_400_000_000_500 && e.level == .warn && e.message == "stock low" && e.service == "inventory")
        #expect(e.field("qty") == .int(4) && e.field("ok") == .bool(false) && e.field("ratio") == .float(0.25) && e.field("sku") == .string("X-1"))
        #expect(e.field("trace_id") == .string("5b8efff798038103d269b633813fc60c") && e.field("span_id") == .string("eee19b7ec3c1b174"))
        #expect(logs.entries[1].timestampNanos == 1_795_910_400_000_000_700 && logs.entries[1].level == .unknown)
        #expect(throws: ReceiverError.self) {
            try withBytes(Array("[1,2]".utf8)) { (p: UnsafeRawBufferPointer) throws(ReceiverError) in try OTLPLogs.decodeJSON(p, defaults: defaults) }
        }
    }
}
