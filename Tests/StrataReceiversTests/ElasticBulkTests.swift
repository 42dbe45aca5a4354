import Testing
import StrataFormat
import StrataParse
@testable import StrataReceivers

@Suite struct ElasticBulkTests {
    let defaults = ParseDefaults(receivedAtNanos: 1_795_910_400_000_000_000)

    func parse(_ s: String, index: String? = nil) throws(ReceiverError) -> [ElasticBulk.Item] {
        try withBytes(Array(s.utf8)) { (p: UnsafeRawBufferPointer) throws(ReceiverError) in try ElasticBulk.parse(p, defaultIndex: index, defaults: defaults) }
    }

    @Test func oneItemPerActionInOrder() throws {
        // As the Python client's helpers.bulk sends it (action line, source line, trailing \n).
        let body = """
        {"index":{"_index":"logs-app","_id":"a1"}}
        {"@timestamp":"2026-11-29T10:00:00.123Z","message":"GET /api 200","log":{"level":"warn"},"host":{"name":"web-1"},"service":{"name":"api"},"http":{"status":200}}
        {"create":{"_index":"logs-app"}}
        {"message":"second","level":"error"}
        {"delete":{"_index":"logs-app","_id":"x"}}
        {"update":{"_index":"logs-app","_id":"y"}}
        {"doc":{"message":"changed"}}
        {"index":{}}
        {"message":"no index in the action"}
        {"index":{"_index":"logs-app"}}
        {"message": broken json}

        """
        let items = try parse(body)
        #expect(items.map(\.action) == ["index", "create", "delete", "update", "index", "index"])
        let first = try #require(items[0].entry)
        #expect(items[0].id == "a1" && items[0].index == "logs-app")
        #expect(first.timestampNanos == 1_795_946_400_123_000_000)
        #expect(first.host == "web-1" && first.service == "api" && first.level == .warn && first.source == "logs-app")
        #expect(first.field("http.status") == .int(200))
        #expect(first.field("host.name") == nil)
        #expect(items[1].entry?.level == .error && items[1].id == nil)
        #expect(items[2].failure?.status == 400 && items[2].entry == nil)
        #expect(items[3].failure?.status == 400)
        #expect(items[4].failure?.type == "action_request_validation_exception")
        #expect(items[5].failure?.type == "document_parsing_exception")
        // The URL's index fills in.
        let withURLIndex = try parse("{\"index\":{}}\n{\"message\":\"m\"}\n", index: "from-url")
        #expect(withURLIndex[0].entry?.source == "from-url" && withURLIndex[0].index == "from-url")
    }

    @Test func aBadActionLineRefusesTheBody() {
        #expect(throws: ReceiverError.self) { try parse("{\"message\":\"source without action\"}\n") }
        #expect(throws: ReceiverError.self) { try parse("{\"index\":{}}\n") }
        #expect(throws: ReceiverError.self) { try parse("{\"index\":5}\n{}\n") }
        #expect(throws: ReceiverError.self) { try parse("{\"index\":{},\"create\":{}}\n{}\n") }
        #expect(throws: ReceiverError.self) { try parse("not json\n") }
    }
}
