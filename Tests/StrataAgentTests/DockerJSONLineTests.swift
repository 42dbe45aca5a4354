import Testing
@testable import StrataAgent
import StrataParse

/// Decodes `line` into a fresh buffer; returns the header and the log text.
private func decode(_ line: String) throws(ContainerLogError) -> (line: DockerJSONLine, log: [UInt8]) {
    try decode(Array(line.utf8))
}

private func decode(_ bytes: [UInt8]) throws(ContainerLogError) -> (line: DockerJSONLine, log: [UInt8]) {
    var log: [UInt8] = []
    let result = try decodeLine(bytes, into: &log)
    return (result, Array(log[result.logRange]))
}

/// `DockerJSONLine.decode` over an array, appending to `log`.
private func decodeLine(_ bytes: [UInt8], into log: inout [UInt8]) throws(ContainerLogError) -> DockerJSONLine {
    try bytes.withUnsafeBytes { raw in Result { () throws(ContainerLogError) in try DockerJSONLine.decode(from: raw, appendingLogTo: &log) } }.get()
}

/// The error `line` is rejected with, or nil if it decodes.
private func rejection(_ line: String) -> ContainerLogError? {
    do { _ = try decode(line); return nil } catch { return error }
}

@Suite struct DockerJSONLineTests {
    @Test func fixtureLogDecodesWithStreamsTimesAndPartialChunks() throws {
        let path = "docker/\(Fixture.dockerID)/\(Fixture.dockerID)-json.log"
        let lines = try Fixture.lines(path)
        #expect(lines.count == 9)
        var decoded: [(DockerJSONLine, [UInt8])] = []
        for (_, bytes) in lines { decoded.append(try decode(bytes)) }

        #expect(decoded.map(\.0.stream) == [.stdout, .stderr, .stdout, .stdout, .stderr, .stdout, .stdout, .stdout, .stdout])
        #expect(decoded.map(\.0.isPartial) == [false, false, false, true, false, true, false, false, false])
        #expect(text(decoded[0].1) == "/docker-entrypoint.sh: Configuration complete; ready for start up")
        #expect(decoded[0].0.timestampNanos == Fixture.tenOClockNanos + 101_934_115)
        // Go's RFC3339Nano drops trailing zeros: ".102" is 102 ms.
        #expect(decoded[1].0.timestampNanos == Fixture.tenOClockNanos + 102_000_000)
        // Docker escapes '&' as \u0026 and quotes as \".
        #expect(text(decoded[2].1) == #"172.18.0.1 - - [29/Nov/2026:10:00:01 +0000] "GET /search?q=shoes&page=2 HTTP/1.1" 200 615 "-" "curl/8.5.0" "-""#)
        #expect(decoded[2].0.timestampNanos == Fixture.tenOClockNanos + 1_500_000_000)
        // Partial chunks are exactly 16 KiB of raw text (before escaping).
        #expect(decoded[3].1.count == AgentLimits.runtimeChunkBytes)
        #expect(decoded[5].1.count == AgentLimits.runtimeChunkBytes)
        // Raw UTF-8, a tab escaped as \u0009, and an "attrs" object that is skipped.
        #expect(decoded[7].1 == [UInt8](utf8: "commande validée ✓ pour zoë\tid=42"))
        #expect(decoded[7].0.timestampNanos == Fixture.tenOClockNanos + 4_000_000_000)
        // An empty line, stamped with a +01:00 offset: 11:00:05.25+01:00 is 10:00:05.25Z.
        #expect(decoded[8].1.isEmpty)
        #expect(decoded[8].0.timestampNanos == Fixture.tenOClockNanos + 5_250_000_000)
    }

    @Test func escapesIncludingSurrogatePairsDecodeToUTF8() throws {
        let (line, log) = try decode(#"{"log":"caf\u00e9 \"quoted\" back\\slash a\nb \ud83d\ude00 \/ \t\r\b\f\n","stream":"stderr","time":"2026-11-29T10:00:00Z"}"#)
        #expect(log == [UInt8](utf8: "café \"quoted\" back\\slash a\nb 😀 / \t\r\u{8}\u{C}"))
        #expect(log.suffix(4) == [0x09, 0x0D, 0x08, 0x0C])
        #expect(line.stream == .stderr)
        #expect(line.isPartial == false)
    }

    @Test func unpairedSurrogateEscapesBecomeReplacementCharacters() throws {
        let (_, log) = try decode(#"{"log":"a\ud83dz \ude00\n","stream":"stdout","time":"2026-11-29T10:00:00Z"}"#)
        #expect(log == [0x61, 0xEF, 0xBF, 0xBD, 0x7A, 0x20, 0xEF, 0xBF, 0xBD])
    }

    @Test func keysComeInAnyOrderAndUnknownKeysAreSkipped() throws {
        let (line, log) = try decode(#"  {"time":"2026-11-29T10:00:00.000000001Z", "attrs":{"tag":"web","n":[1,2.5e3,{"x":null}]}, "extra":true, "stream":"stdout","log":"hello\n"}  "#)
        #expect(log == [UInt8](utf8: "hello"))
        #expect(line.timestampNanos == Fixture.tenOClockNanos + 1)
        #expect(line.stream == .stdout)
    }

    @Test func chunkWithoutTrailingNewlineIsPartial() throws {
        let (line, log) = try decode(#"{"log":"first half of a long line, ","stream":"stdout","time":"2026-11-29T10:00:00Z"}"#)
        #expect(line.isPartial)
        #expect(log == [UInt8](utf8: "first half of a long line, "))
        // Docker omits "log" only for an empty chunk: an empty partial.
        let (empty, emptyLog) = try decode(#"{"stream":"stdout","time":"2026-11-29T10:00:00Z"}"#)
        #expect(empty.isPartial && emptyLog.isEmpty)
    }

    @Test func onlyOneTrailingNewlineIsRemoved() throws {
        let (line, log) = try decode(#"{"log":"two\n\n","stream":"stdout","time":"2026-11-29T10:00:00Z"}"#)
        #expect(!line.isPartial)
        #expect(log == [UInt8](utf8: "two\n"))
    }

    @Test func linesAppendToOneReusedBuffer() throws {
        var log: [UInt8] = [0xAA]
        let a = Array(#"{"log":"one\n","stream":"stdout","time":"2026-11-29T10:00:00Z"}"#.utf8)
        let b = Array(#"{"log":"two","stream":"stderr","time":"2026-11-29T10:00:00Z"}"#.utf8)
        let first = try decodeLine(a, into: &log)
        let second = try decodeLine(b, into: &log)
        #expect(first.logRange == 1..<4)
        #expect(second.logRange == 4..<7)
        #expect(log == [0xAA] + [UInt8](utf8: "onetwo"))
    }

    @Test func rejectedLineLeavesTheBufferUntouched() {
        var log: [UInt8] = [1, 2, 3]
        let bad = Array(#"{"log":"partial text that is appended first\n","stream":"stdin","time":"2026-11-29T10:00:00Z"}"#.utf8)
        #expect(throws: ContainerLogError.unknownStream(offset: 56)) {
            _ = try decodeLine(bad, into: &log)
        }
        #expect(log == [1, 2, 3])
    }

    @Test func rawInvalidUTF8IsRepaired() throws {
        var bytes = Array(#"{"log":"ab"#.utf8)
        bytes += [0xC3, 0x28, 0xFF]
        bytes += Array(#"\n","stream":"stdout","time":"2026-11-29T10:00:00Z"}"#.utf8)
        let (_, log) = try decode(bytes)
        #expect(log == [0x61, 0x62, 0xEF, 0xBF, 0xBD, 0x28, 0xEF, 0xBF, 0xBD])
    }

    static let badLines: [(String, ContainerLogError)] = [
        ("", .notAnObject(offset: 0)),
        ("plain text", .notAnObject(offset: 0)),
        (#"["log"]"#, .notAnObject(offset: 0)),
        (#"{"log":"x\n","stream":"stdin","time":"2026-11-29T10:00:00Z"}"#, .unknownStream(offset: 22)),
        (#"{"log":"x\n","stream":"stdout"}"#, .missingField("time", offset: 31)),
        (#"{"log":"x\n","time":"2026-11-29T10:00:00Z"}"#, .missingField("stream", offset: 43)),
        (#"{"log":"x\n","stream":"stdout","time":"yesterday"}"#, .badTimestamp(offset: 38)),
        (#"{"log":"x\n","stream":"stdout","time":"2026-11-29T25:00:00Z"}"#, .badTimestamp(offset: 38)),
        (#"{"log":5,"stream":"stdout","time":"2026-11-29T10:00:00Z"}"#, .invalidField("log", expected: "a string", offset: 7)),
        (#"{"log":"a\n","stream":"stdout","stream":"stderr","time":"2026-11-29T10:00:00Z"}"#, .duplicateField("stream", offset: 31)),
        (#"{"log":"abc"#, .malformedJSON(reason: "unterminated string", offset: 7)),
        (#"{"log":"a\x\n","stream":"stdout","time":"2026-11-29T10:00:00Z"}"#, .malformedJSON(reason: #"unknown escape '\x'"#, offset: 9)),
        (#"{"log":"a\u12G4","stream":"stdout","time":"2026-11-29T10:00:00Z"}"#, .malformedJSON(reason: #"bad hex digit in \u escape"#, offset: 13)),
        (#"{"log":"a\n","stream":"stdout","time":"2026-11-29T10:00:00Z"} trailing"#, .trailingBytes(offset: 62)),
        (#"{"log":"a\n" "stream":"stdout"}"#, .malformedJSON(reason: "expected ',' or '}' in object", offset: 13)),
        (#"{"log":"a\n","stream":"stdout","time":"2026-11-29T10:00:00Z""#, .malformedJSON(reason: "unterminated object", offset: 60)),
    ]

    @Test(arguments: badLines)
    func badLinesAreRejectedWithAReason(line: String, expected: ContainerLogError) {
        #expect(rejection(line) == expected)
    }

    @Test func errorMessagesLocateTheFault() {
        #expect(ContainerLogError.unknownStream(offset: 22).description == #"@22: stream is neither "stdout" nor "stderr""#)
        #expect(ContainerLogError.missingField("time", offset: 31).description == #"@31: missing field "time""#)
    }

    /// The `log` value's escapes (unescaped into the caller's buffer) must decode exactly like
    /// StrataParse's `JSONScanner.decodeString`, and a bad escape must reject the line.
    @Test func logUnescapingMatchesJSONScannerOnRandomStrings() throws {
        var rng = SplitMix(seed: 0x5EED_D0C4)
        let pieces: [String] = [
            "a", "é", "😀", " ", "\\n", "\\\"", "\\\\", "\\/", "\\t", "\\r", "\\b", "\\f",
            "\\u00e9", "\\u0026", "\\u003c", "\\ud83d\\ude00", "\\ud83d", "\\ude00", "\\uD800\\u0041",
            "\\u0000", "\\uffff", "\\u2028", "\\x", "\\u12", "\\ud83d\\u00zz",
        ]
        for _ in 0..<5_000 {
            var s = ""
            for _ in 0..<Int.random(in: 0...8, using: &rng) { s += pieces.randomElement(using: &rng)! }
            let span = Array(s.utf8)
            let expected: String? = span.withUnsafeBytes { raw in
                try? JSONScanner(raw).decodeString(raw, at: 0)
            }
            let line = Array(#"{"log":""#.utf8) + span + Array(#"","stream":"stdout","time":"2026-11-29T10:00:00Z"}"#.utf8)
            var log: [UInt8] = []
            let ok: Bool = line.withUnsafeBytes { raw in
                do { _ = try DockerJSONLine.decode(from: raw, appendingLogTo: &log); return true } catch { return false }
            }
            #expect(ok == (expected != nil), "\(s)")
            // Docker ends a complete line's log with "\n", which the decoder takes off.
            var want = expected.map { Array($0.utf8) }
            if want?.last == 0x0A { want?.removeLast() }
            if let want, ok { #expect(log == want, "\(s)") }
        }
    }
}
