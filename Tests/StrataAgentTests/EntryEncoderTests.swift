import Testing
@testable import StrataAgent

@Suite struct EntryEncoderTests {
    func encode(_ e: EntryEncoder, _ line: String, stream: String? = nil) -> String {
        var out: [UInt8] = []
        Array(line.utf8).withUnsafeBytes { e.append(line: $0, timestampNanos: 1_795_946_400_000_000_000, stream: stream, to: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func plainLineBecomesMessageWithMetadata() {
        let e = EntryEncoder(source: "/var/log/a.log", host: "h1", service: "api", fields: [("env", "prod")], tags: ["t"], format: .auto)
        #expect(encode(e, "GET /x \"quoted\" \\ tab\there") ==
            #"{"timestamp":"2026-11-29T10:00:00.000000000Z","message":"GET /x \"quoted\" \\ tab\there","source":"/var/log/a.log","host":"h1","service":"api","fields":{"env":"prod"},"tags":["t"]}"# + "\n")
    }

    @Test func streamIsAFieldWithOrWithoutOtherFields() {
        let bare = EntryEncoder(source: "docker", host: "h", service: nil, fields: [], tags: [], format: .raw)
        #expect(encode(bare, "x", stream: "stderr").contains(#""fields":{"stream":"stderr"}"#))
        let withFields = EntryEncoder(source: "docker", host: "h", service: nil, fields: [("a", "b")], tags: [], format: .raw)
        #expect(encode(withFields, "x", stream: "stdout").contains(#""fields":{"a":"b","stream":"stdout"}"#))
    }

    @Test func jsonObjectLinesStayStructuredWithMetadataFirst() {
        let e = EntryEncoder(source: "/a", host: "h", service: nil, fields: [("env", "prod")], tags: [], format: .auto)
        #expect(encode(e, #"{"level":"warn","msg":"m"}"#) == #"{"source":"/a","host":"h","env":"prod","level":"warn","msg":"m"}"# + "\n")
        #expect(encode(e, "{ }") == #"{"source":"/a","host":"h","env":"prod" }"# + "\n")
    }

    @Test func brokenOrTrailingJSONIsSentAsText() {
        let e = EntryEncoder(source: "/a", host: "h", service: nil, fields: [], tags: [], format: .auto)
        #expect(encode(e, #"{"a":1"#).contains(#""message":"{\"a\":1""#))
        #expect(encode(e, #"{"a":1} x"#).contains(#""message":"#))
        #expect(encode(e, #"{"a":1}{"b":2}"#).contains(#""message":"#))
        let raw = EntryEncoder(source: "/a", host: "h", service: nil, fields: [], tags: [], format: .raw)
        #expect(encode(raw, #"{"a":1}"#).contains(#""message":"{\"a\":1}""#))
    }

    @Test func controlCharactersAreEscaped() {
        let e = EntryEncoder(source: "/a", host: "h", service: nil, fields: [], tags: [], format: .raw)
        #expect(encode(e, "a\u{1}b\u{1F}").contains(#""message":"a\u0001b\u001f""#))
    }
}
