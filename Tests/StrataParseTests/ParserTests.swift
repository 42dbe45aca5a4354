import Testing
import StrataFormat
@testable import StrataParse

@Suite struct ParserTests {
    let defaults = ParseDefaults(receivedAtNanos: 42, service: "dflt")

    func parse(_ line: String, _ format: InputFormat = .auto) throws -> LogEntry? {
        var s = line
        return try s.withUTF8 { try LineParser(format: format).parse(UnsafeRawBufferPointer($0), defaults: defaults) }
    }

    @Test func ndjsonMapsWellKnownKeysAndFlattensObjects() throws {
        let e = try #require(try parse(#"{"@timestamp":"2026-11-29T00:00:01.5Z","lvl":"warning","msg":"disk \"full\"\u00e9","service":"api","http":{"status":503,"path":"/x"},"tags":["a","b"],"arr":[1, 2],"n":null,"ok":true,"ratio":0.25}"#))
        #expect(e.timestampNanos == Timestamp.parseRFC3339("2026-11-29T00:00:01.5Z"))
        #expect(e.level == .warn)
        #expect(e.message == "disk \"full\"é")
        #expect(e.service == "api")
        #expect(e.tags == ["a", "b"])
        #expect(e.field("http.status") == .int(503))
        #expect(e.field("http.path") == .string("/x"))
        #expect(e.field("arr") == .json("[1,2]"))
        #expect(e.field("n") == nil)
        #expect(e.field("ok") == .bool(true))
        #expect(e.field("ratio") == .float(0.25))
    }

    /// Fuzz regression (FuzzLineParser crash-374e75f6): a 17-digit epoch read as microseconds
    /// overflowed when scaled to nanoseconds and trapped.
    @Test func hugeEpochNumbersAreNotTimestampsAndDoNotTrap() throws {
        let e = try #require(try parse(#"{"ts":33333333333333333,"message":"m"}"#))
        #expect(e.timestampNanos == 42, "an epoch that does not fit falls back to receive time")
        #expect(e.field("ts") == .int(33333333333333333), "and the value is kept as a field")
        #expect(Timestamp.fromEpoch(Int64(99_999_999_999)) == nil)
        #expect(Timestamp.fromEpoch(Double(3.3e15)) == 3_300_000_000_000_000_000)
    }

    @Test func epochTimestampsInAnyUnit() throws {
        #expect(try parse(#"{"ts":1764374400,"message":"a"}"#)?.timestampNanos == 1_764_374_400_000_000_000)
        #expect(try parse(#"{"time":1764374400123,"message":"a"}"#)?.timestampNanos == 1_764_374_400_123_000_000)
        #expect(try parse(#"{"message":"no time"}"#)?.timestampNanos == 42)
    }

    @Test(arguments: [#"{"a":1"#, #"{"a":}"#, #"{"a":tru}"#, #"{"a":"\q"}"#, #"{"a":1} x"#, "{\"a\":\"\u{1}\"}", #"{"a":[1,2}"#])
    func malformedJSONIsRejectedWithAReason(line: String) {
        #expect(throws: ParseError.self) { _ = try parse(line, .ndjson) }
    }

    @Test func logfmtInfersTypesAndKeys() throws {
        let e = try #require(try parse(#"ts=2026-11-29T00:00:00Z level=error msg="connection refused" status=502 dur=1.5 retry=true host=web-1 user=bob"#))
        #expect(e.level == .error)
        #expect(e.message == "connection refused")
        #expect(e.host == "web-1")
        #expect(e.field("status") == .int(502))
        #expect(e.field("dur") == .float(1.5))
        #expect(e.field("retry") == .bool(true))
        #expect(e.field("user") == .string("bob"))
    }

    @Test func rawLinesKeepTheTextAndDetectTheLevel() throws {
        let e = try #require(try parse("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating\r"))
        #expect(e.level == .info)
        #expect(e.message == "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating")
        #expect(e.service == "dflt")
        #expect(try parse("[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6")?.level == .error)
        #expect(try parse("   ") == nil)
    }
}
