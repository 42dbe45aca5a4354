import Testing
import StrataAgent

/// One record to push: stream, partial flag, text.
private typealias Record = (stream: LogStream, isPartial: Bool, text: String)

/// An emitted line, copied out of the borrowed buffer.
private struct Emitted: Equatable, CustomStringConvertible {
    var bytes: [UInt8]
    var meta: PartialLineJoiner.JoinedLine
    var text: String { String(decoding: bytes, as: UTF8.self) }
    var description: String { "\(meta.stream) \"\(text)\" truncated=\(meta.isTruncated) complete=\(meta.isComplete)" }
}

/// Pushes `records` (offset = index × 100, timestamp = index) and optionally finishes.
private func join(_ records: [Record], maxLineBytes: Int = 1 << 20, finish: Bool = false) -> (lines: [Emitted], joiner: PartialLineJoiner) {
    var joiner = PartialLineJoiner(maxLineBytes: maxLineBytes)
    var lines: [Emitted] = []
    let collect: (UnsafeRawBufferPointer, PartialLineJoiner.JoinedLine) -> Void = { lines.append(Emitted(bytes: Array($0), meta: $1)) }
    for (i, r) in records.enumerated() {
        Array(r.text.utf8).withUnsafeBytes {
            joiner.push($0, stream: r.stream, isPartial: r.isPartial, timestampNanos: Int64(i), offset: Int64(i * 100), emit: collect)
        }
    }
    if finish { joiner.finish(emit: collect) }
    return (lines, joiner)
}

@Suite struct PartialLineJoinerTests {
    @Test func threeChunksJoinIntoOneLineStampedWithTheFirst() {
        let (lines, joiner) = join([(.stdout, true, "alpha "), (.stdout, true, "beta "), (.stdout, false, "gamma")])
        #expect(lines.map(\.text) == ["alpha beta gamma"])
        #expect(lines[0].meta == PartialLineJoiner.JoinedLine(stream: .stdout, timestampNanos: 0, offset: 0, isTruncated: false, isComplete: true))
        #expect(joiner.truncatedLines == 0)
        #expect(joiner.oldestPendingOffset == nil)
    }

    @Test func stdoutAndStderrAreJoinedIndependently() {
        let (lines, _) = join([
            (.stdout, true, "out-1 "),
            (.stderr, true, "err-1 "),
            (.stderr, false, "err-2"),
            (.stdout, true, "out-2 "),
            (.stderr, false, "err line"),
            (.stdout, false, "out-3"),
        ])
        #expect(lines.map(\.description) == [
            #"stderr "err-1 err-2" truncated=false complete=true"#,
            #"stderr "err line" truncated=false complete=true"#,
            #"stdout "out-1 out-2 out-3" truncated=false complete=true"#,
        ])
        #expect(lines.map(\.meta.offset) == [100, 400, 0])
        #expect(lines.map(\.meta.timestampNanos) == [1, 4, 0])
    }

    @Test func pendingLinesBoundTheCheckpoint() {
        var joiner = PartialLineJoiner()
        let ignore: (UnsafeRawBufferPointer, PartialLineJoiner.JoinedLine) -> Void = { _, _ in }
        [UInt8](utf8: "x").withUnsafeBytes { chunk in
            joiner.push(chunk, stream: .stderr, isPartial: true, timestampNanos: 0, offset: 500, emit: ignore)
            joiner.push(chunk, stream: .stdout, isPartial: true, timestampNanos: 0, offset: 700, emit: ignore)
            #expect(joiner.oldestPendingOffset == 500)
            #expect(joiner.hasPendingLine(on: .stdout) && joiner.hasPendingLine(on: .stderr))
            joiner.push(chunk, stream: .stderr, isPartial: false, timestampNanos: 0, offset: 900, emit: ignore)
            #expect(joiner.oldestPendingOffset == 700)
            #expect(!joiner.hasPendingLine(on: .stderr))
        }
    }

    @Test func overlongLineIsTruncatedFlaggedAndItsRestDropped() {
        let (lines, joiner) = join([
            (.stdout, true, "abcdef"),
            (.stdout, true, "ghijkl"),   // exceeds 10: "abcdefghij" is emitted now
            (.stdout, true, "mnop"),     // dropped
            (.stdout, false, "qr"),      // dropped, ends the long line
            (.stdout, false, "next"),
        ], maxLineBytes: 10)
        #expect(lines.map(\.text) == ["abcdefghij", "next"])
        #expect(lines.map(\.meta.isTruncated) == [true, false])
        #expect(joiner.truncatedLines == 1)
        #expect(joiner.oldestPendingOffset == nil)
    }

    @Test func droppingKeepsTheCheckpointAtTheLongLine() {
        let (_, joiner) = join([(.stdout, true, "abcdef"), (.stdout, true, "ghijkl")], maxLineBytes: 10)
        #expect(joiner.hasPendingLine(on: .stdout))
        #expect(joiner.oldestPendingOffset == 0)
    }

    @Test func lineOfExactlyTheLimitIsNotTruncated() {
        let (lines, joiner) = join([(.stdout, true, "12345"), (.stdout, true, "67890"), (.stdout, false, "")], maxLineBytes: 10)
        #expect(lines.map(\.text) == ["1234567890"])
        #expect(lines[0].meta.isTruncated == false)
        #expect(joiner.truncatedLines == 0)
    }

    @Test func singleOverlongRecordIsTruncatedWithoutSplittingACharacter() {
        // "abcdé" is 6 bytes; a 5-byte cut would leave half of "é".
        let (lines, joiner) = join([(.stderr, false, "abcdé"), (.stderr, false, "ok")], maxLineBytes: 5)
        #expect(lines.map(\.bytes) == [[UInt8](utf8: "abcd"), [UInt8](utf8: "ok")])
        #expect(lines[0].meta.isTruncated)
        #expect(joiner.truncatedLines == 1)
    }

    @Test func truncationAcrossChunksDoesNotSplitACharacter() {
        // The limit falls inside "😀" (4 bytes) of the second chunk.
        let (lines, _) = join([(.stdout, true, "ab"), (.stdout, false, "c😀d")], maxLineBytes: 5)
        #expect(lines.map(\.text) == ["abc"])
        #expect(lines[0].meta.isTruncated)
    }

    @Test func finishEmitsPendingLinesAsIncomplete() {
        let (lines, joiner) = join([(.stderr, true, "half an error"), (.stdout, true, "half a line")], finish: true)
        #expect(lines.map(\.text) == ["half a line", "half an error"])
        #expect(lines.allSatisfy { !$0.meta.isComplete && !$0.meta.isTruncated })
        #expect(joiner.oldestPendingOffset == nil)
    }

    @Test func emptyPartialChunksAreHarmless() {
        let (lines, _) = join([(.stdout, true, ""), (.stdout, true, "a"), (.stdout, true, ""), (.stdout, false, "b")])
        #expect(lines.map(\.text) == ["ab"])
    }

    @Test func dockerFixtureLongLineIsReassembledExactly() throws {
        let path = "docker/\(Fixture.dockerID)/\(Fixture.dockerID)-json.log"
        let expected = try Fixture.bytes("expected/docker-long-line.txt")
        var joiner = PartialLineJoiner(maxLineBytes: 64 << 10)
        var emitted: [Emitted] = []
        var log: [UInt8] = []
        for (offset, bytes) in try Fixture.lines(path) {
            log.removeAll(keepingCapacity: true)
            let line = try bytes.withUnsafeBytes { raw in
                Result { () throws(ContainerLogError) in try DockerJSONLine.decode(from: raw, appendingLogTo: &log) }
            }.get()
            log.withUnsafeBytes { raw in
                joiner.push(UnsafeRawBufferPointer(rebasing: raw[line.logRange]), stream: line.stream, isPartial: line.isPartial,
                            timestampNanos: line.timestampNanos, offset: offset) { emitted.append(Emitted(bytes: Array($0), meta: $1)) }
            }
        }
        #expect(emitted.count == 7)
        let long = emitted.filter { $0.bytes.count > AgentLimits.runtimeChunkBytes }
        #expect(long.count == 1)
        #expect(long.first?.bytes == expected)
        #expect(long.first?.meta.timestampNanos == Fixture.tenOClockNanos + 3_000_000_001)
        // The stderr warning written between the chunks was emitted before the long line.
        #expect(emitted[3].meta.stream == .stderr && emitted[4].bytes == expected)
    }

    @Test func memoryStaysBoundedUnderAnEndlessPartialLine() {
        var joiner = PartialLineJoiner(maxLineBytes: 1000)
        var emitted = 0
        let chunk = [UInt8](repeating: 0x41, count: 16 << 10)
        chunk.withUnsafeBytes { raw in
            for i in 0..<200 {
                joiner.push(raw, stream: .stdout, isPartial: true, timestampNanos: 0, offset: Int64(i)) { line, meta in
                    #expect(line.count == 1000 && meta.isTruncated)
                    emitted += 1
                }
            }
        }
        #expect(emitted == 1)
        #expect(joiner.truncatedLines == 1)
    }

    /// From FuzzContainerLogs: while stdout drops the rest of a truncated line, stderr lines
    /// still pass through at once.
    @Test func truncatedLineOnOneStreamDoesNotHoldBackTheOther() {
        let (lines, joiner) = join([
            (.stdout, true, "0123456789abc"),   // over 10: emitted truncated now
            (.stderr, false, "err-1"),
            (.stdout, true, "dropped"),
            (.stderr, true, "err-"),
            (.stderr, false, "2"),
            (.stdout, false, "dropped too"),
            (.stdout, false, "out"),
        ], maxLineBytes: 10)
        #expect(lines.map(\.description) == [
            #"stdout "0123456789" truncated=true complete=true"#,
            #"stderr "err-1" truncated=false complete=true"#,
            #"stderr "err-2" truncated=false complete=true"#,
            #"stdout "out" truncated=false complete=true"#,
        ])
        #expect(joiner.truncatedLines == 1)
    }

    /// Runtimes cut at 16 KiB regardless of characters: the join must see the raw bytes, so a
    /// character split across two chunks comes out whole (repairing each chunk first would turn
    /// it into two U+FFFD).
    @Test func characterSplitAcrossChunksIsRestoredByJoining() {
        let smile: [UInt8] = [0xF0, 0x9F, 0x98, 0x80]
        var joiner = PartialLineJoiner()
        var out: [[UInt8]] = []
        ([0x61] + smile[0..<2]).withUnsafeBytes {
            joiner.push($0, stream: .stdout, isPartial: true, timestampNanos: 0, offset: 0) { l, _ in out.append(Array(l)) }
        }
        (Array(smile[2...]) + [0x62]).withUnsafeBytes {
            joiner.push($0, stream: .stdout, isPartial: false, timestampNanos: 1, offset: 50) { l, _ in out.append(Array(l)) }
        }
        #expect(out == [[0x61] + smile + [0x62]])
    }
}
