import Testing
import StrataAgent

/// A decoded CRI line and its content as text.
private func decode(_ line: [UInt8]) throws(ContainerLogError) -> (line: CRILogLine, content: String) {
    try line.withUnsafeBytes { raw in
        Result { () throws(ContainerLogError) in
            let decoded = try CRILogLine.decode(from: raw)
            return (decoded, text(decoded.content(in: raw)))
        }
    }.get()
}

private func decode(_ line: String) throws(ContainerLogError) -> (line: CRILogLine, content: String) {
    try decode(Array(line.utf8))
}

@Suite struct CRILogLineTests {
    static let nginxLog = "pods/shop_web-7d4b9c8f5-x2x9k_5f1c2a4e-8b7d-4c6e-9f0a-1b2c3d4e5f60/nginx/0.log"
    static let etcdLog = "pods/kube-system_etcd-node-1.example.com_0f1e2d3c4b5a69788796a5b4c3d2e1f0/etcd/3.log"

    @Test func containerdFixtureDecodesEveryLine() throws {
        let lines = try Fixture.lines(Self.nginxLog)
        var decoded: [(line: CRILogLine, content: String)] = []
        for (_, bytes) in lines { decoded.append(try decode(bytes)) }
        #expect(decoded.count == 9)
        #expect(decoded.map(\.line.stream) == [.stdout, .stderr, .stdout, .stdout, .stderr, .stdout, .stdout, .stdout, .stdout])
        #expect(decoded.map(\.line.isPartial) == [false, false, false, true, false, true, false, false, false])
        #expect(decoded[0].content == "/docker-entrypoint.sh: Configuration complete; ready for start up")
        #expect(decoded[0].line.timestampNanos == Fixture.tenOClockNanos + 101_934_115)
        #expect(decoded[1].line.timestampNanos == Fixture.tenOClockNanos + 102_000_000)
        #expect(decoded[2].content.hasPrefix(#"10.244.0.1 - - [29/Nov/2026:10:00:01 +0000] "GET /healthz"#))
        #expect(decoded[3].content == #"{"level":"info","msg":"inventory reserved","items":[{"sku":"SKU-00001"},"#)
        // "… stdout F " with nothing after the tag's space: an empty line.
        #expect(decoded[7].content.isEmpty)
        #expect(decoded[7].line.timestampNanos == Fixture.tenOClockNanos + 4_000_000_000)
        // Content is verbatim: tabs and runs of spaces survive.
        #expect(decoded[8].content == "tabs\tand  double  spaces are content")
    }

    @Test func crioFixtureTimestampsWithOffsetsAreUTC() throws {
        let lines = try Fixture.lines(Self.etcdLog)
        let first = try decode(lines[0].bytes)
        let second = try decode(lines[1].bytes)
        // 11:00:00.123456789+01:00 is 10:00:00.123456789Z.
        #expect(first.line.timestampNanos == Fixture.tenOClockNanos + 123_456_789)
        #expect(second.line.timestampNanos == Fixture.tenOClockNanos + 1_000_000_001)
        #expect(first.line.stream == .stderr && !first.line.isPartial)
        #expect(first.content.hasPrefix(#"{"level":"info","ts":"2026-11-29T10:00:00.123456Z""#))
    }

    @Test func partialFixtureChunksJoinPerStream() throws {
        let lines = try Fixture.lines(Self.nginxLog)
        var joiner = PartialLineJoiner()
        var out: [(LogStream, String, Int64)] = []
        for (offset, bytes) in lines {
            let (line, _) = try decode(bytes)
            bytes.withUnsafeBytes { raw in
                joiner.push(line.content(in: raw), stream: line.stream, isPartial: line.isPartial,
                            timestampNanos: line.timestampNanos, offset: offset) { out.append(($1.stream, text($0), $1.offset)) }
            }
        }
        #expect(out.count == 7)
        // The stderr line written between the chunks comes out first, untouched.
        #expect(out[3].0 == .stderr && out[3].1.hasSuffix("an upstream response is buffered"))
        #expect(out[4].0 == .stdout)
        #expect(out[4].1 == #"{"level":"info","msg":"inventory reserved","items":[{"sku":"SKU-00001"},{"sku":"SKU-00002"},{"sku":"SKU-00003"}]}"#)
        // The joined line is checkpointed at its first chunk's record.
        #expect(out[4].2 == lines[3].offset)
    }

    @Test func contentMayBeEmptyWithOrWithoutTheSpace() throws {
        #expect(try decode("2026-11-29T10:00:00Z stdout F ").content == "")
        #expect(try decode("2026-11-29T10:00:00Z stdout F").content == "")
        #expect(try decode("2026-11-29T10:00:00Z stderr P").line.isPartial)
        // A trailing newline handed in with the line is not content.
        #expect(try decode("2026-11-29T10:00:00Z stdout F x\n").content == "x")
    }

    @Test func laterTagsAreIgnored() throws {
        let (line, content) = try decode("2026-11-29T10:00:00.5Z stdout P:future:tags  two spaces")
        #expect(line.isPartial)
        #expect(content == " two spaces")
        #expect(line.timestampNanos == Fixture.tenOClockNanos + 500_000_000)
    }

    static let badLines: [(String, ContainerLogError)] = [
        ("", .badTimestamp(offset: 0)),
        ("hello world", .badTimestamp(offset: 0)),
        ("2026-11-29T10:00:00Z", .missingField("stream", offset: 20)),
        ("2026-11-29T10:00:00Z stdout", .missingField("tag", offset: 27)),
        ("2026-11-29T10:00:00Z stdin F text", .unknownStream(offset: 21)),
        ("2026-11-29T10:00:00Z  stdout F text", .unknownStream(offset: 21)),
        ("2026-11-29T10:00:00Z stdout X text", .unknownTag(offset: 28)),
        ("2026-11-29T10:00:00Z stdout FP text", .unknownTag(offset: 28)),
        ("2026-11-29T10:00:00Z stdout  text", .unknownTag(offset: 28)),
        ("2026-13-29T10:00:00Z stdout F text", .badTimestamp(offset: 0)),
        ("2026-11-29 stdout F text", .badTimestamp(offset: 0)),
        ("2026-11-29T10:00:00.Z stdout F text", .badTimestamp(offset: 0)),
        ("Nov 29 10:00:00 host app: text", .badTimestamp(offset: 0)),
    ]

    @Test(arguments: badLines)
    func badLinesAreRejectedWithAReason(line: String, expected: ContainerLogError) {
        #expect(throws: expected) { try decode(line) }
    }
}
