import Testing
import StrataParse

/// `^[[:space:]]|^Caused by:` — Java stack-trace continuation lines.
private let stackTraceLine: @Sendable (UnsafeRawBufferPointer) -> Bool = { line in
    guard let first = line.first else { return false }
    if first == 0x20 || first == 0x09 { return true }
    return line.starts(with: "Caused by:".utf8)
}

/// `^\[` — a line that opens a timestamped record.
private let bracketStart: @Sendable (UnsafeRawBufferPointer) -> Bool = { $0.first == UInt8(ascii: "[") }

/// `\\$` — a line ending with a backslash.
private let backslashEnd: @Sendable (UnsafeRawBufferPointer) -> Bool = { $0.last == UInt8(ascii: "\\") }

/// Pushes `lines` one nanosecond apart, then finishes; returns the events and the truncation count.
private func join(
    _ lines: [String],
    _ options: MultilineOptions,
    _ matches: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool,
    finish: Bool = true
) -> (events: [String], truncated: Int) {
    var joiner = MultilineJoiner(options: options, matches: matches)
    var events: [String] = []
    let collect: ([UInt8]) -> Void = { events.append(String(decoding: $0, as: UTF8.self)) }
    for (i, line) in lines.enumerated() {
        Array(line.utf8).withUnsafeBytes { joiner.push($0, nowNanos: Int64(i), emit: collect) }
    }
    if finish { joiner.finish(emit: collect) }
    return (events, joiner.truncatedEvents)
}

@Suite struct MultilineJoinerTests {
    @Test func javaStackTraceJoinsIndentedAndCausedByLines() {
        let lines = [
            "2024-05-01 12:00:00 ERROR boom",
            "java.lang.IllegalStateException: bad",
            "\tat com.x.A.run(A.java:10)",
            "    at com.x.B.call(B.java:20)",
            "Caused by: java.io.IOException: disk",
            "\t... 3 more",
            "2024-05-01 12:00:01 INFO recovered",
        ]
        let out = join(lines, MultilineOptions(negate: false, match: .after), stackTraceLine)
        #expect(out.events == [
            "2024-05-01 12:00:00 ERROR boom",
            "java.lang.IllegalStateException: bad\n\tat com.x.A.run(A.java:10)\n    at com.x.B.call(B.java:20)\nCaused by: java.io.IOException: disk\n\t... 3 more",
            "2024-05-01 12:00:01 INFO recovered",
        ])
        #expect(out.truncated == 0)
    }

    @Test func timestampPrefixedEventsTakeTheLinesWithoutOne() {
        let lines = ["[12:00:00] start", "detail a", "", "detail b", "[12:00:01] next", "[12:00:02] last", "tail"]
        let out = join(lines, MultilineOptions(negate: true, match: .after), bracketStart)
        #expect(out.events == ["[12:00:00] start\ndetail a\n\ndetail b", "[12:00:01] next", "[12:00:02] last\ntail"])
    }

    @Test func backslashLineIsContinuedByTheNextLine() {
        let lines = ["one \\", "two \\", "three", "single", "four \\", "five"]
        let out = join(lines, MultilineOptions(match: .before), backslashEnd)
        #expect(out.events == ["one \\\ntwo \\\nthree", "single", "four \\\nfive"])
    }

    @Test func negatedBeforeRunsUntilAMatchingLine() {
        // Lines not ending in ";" continue into the next; a ";" line closes the statement.
        let semicolonEnd: @Sendable (UnsafeRawBufferPointer) -> Bool = { $0.last == UInt8(ascii: ";") }
        let out = join(["SELECT *", "FROM t", "WHERE x;", "COMMIT;"], MultilineOptions(negate: true, match: .before), semicolonEnd)
        #expect(out.events == ["SELECT *\nFROM t\nWHERE x;", "COMMIT;"])
    }

    @Test func backslashEventStillOpenAtFinishIsEmitted() {
        let out = join(["a \\", "b \\"], MultilineOptions(match: .before), backslashEnd)
        #expect(out.events == ["a \\\nb \\"])
    }

    @Test func firstLineThatIsAContinuationBecomesItsOwnEvent() {
        let out = join(["  orphan", "  orphan 2", "head", "  tail"], MultilineOptions(), stackTraceLine)
        #expect(out.events == ["  orphan\n  orphan 2", "head\n  tail"])
    }

    @Test func maxLinesEmitsTheEventAndDropsTheRest() {
        let lines = ["head", " 1", " 2", " 3", " 4", "next", " a"]
        let out = join(lines, MultilineOptions(maxLines: 3), stackTraceLine, finish: false)
        #expect(out.events == ["head\n 1\n 2"])
        #expect(out.truncated == 1)
        let finished = join(lines, MultilineOptions(maxLines: 3), stackTraceLine)
        #expect(finished.events == ["head\n 1\n 2", "next\n a"])
    }

    @Test func maxLinesReachedExactlyIsNotCountedAsTruncation() {
        let out = join(["head", " 1", "next"], MultilineOptions(maxLines: 2), stackTraceLine)
        #expect(out.events == ["head\n 1", "next"])
        #expect(out.truncated == 0)
    }

    @Test func maxLinesInBeforeModeDropsThroughTheClosingLine() {
        let lines = ["a \\", "b \\", "c \\", "d", "e"]
        let out = join(lines, MultilineOptions(match: .before, maxLines: 2), backslashEnd)
        #expect(out.events == ["a \\\nb \\", "e"])
        #expect(out.truncated == 1)
    }

    @Test func maxBytesCutsTheEventAndDropsTheRest() {
        let lines = ["head", " abcdef", " more", "next", " x", " y", "last"]
        let out = join(lines, MultilineOptions(maxBytes: 10), stackTraceLine)
        #expect(out.events == ["head\n abcd", "next\n x\n y", "last"])
        #expect(out.truncated == 1)
    }

    @Test func maxBytesCutsALongFirstLineOnAScalarBoundary() {
        let out = join(["ééééé", " cont", "ok"], MultilineOptions(maxBytes: 5), stackTraceLine)
        #expect(out.events == ["éé", "ok"])
        #expect(out.truncated == 1)
    }

    @Test func idleEventIsFlushedAfterTheTimeout() {
        var joiner = MultilineJoiner(options: MultilineOptions(timeoutNanos: 100), matches: stackTraceLine)
        var events: [String] = []
        let collect: ([UInt8]) -> Void = { events.append(String(decoding: $0, as: UTF8.self)) }
        Array("head".utf8).withUnsafeBytes { joiner.push($0, nowNanos: 1_000, emit: collect) }
        Array(" more".utf8).withUnsafeBytes { joiner.push($0, nowNanos: 1_050, emit: collect) }
        joiner.flush(ifIdleSince: 1_149, emit: collect)
        #expect(events.isEmpty)
        #expect(joiner.hasPendingEvent)
        joiner.flush(ifIdleSince: 1_150, emit: collect)
        #expect(events == ["head\n more"])
        #expect(!joiner.hasPendingEvent)
        joiner.flush(ifIdleSince: 5_000, emit: collect)
        Array(" late".utf8).withUnsafeBytes { joiner.push($0, nowNanos: 6_000, emit: collect) }
        joiner.finish(emit: collect)
        #expect(events == ["head\n more", " late"])
    }

    @Test func finishFlushesTheLastEventOnce() {
        var joiner = MultilineJoiner(options: MultilineOptions(), matches: stackTraceLine)
        var events: [[UInt8]] = []
        Array("only\r\n".utf8).withUnsafeBytes { joiner.push($0, nowNanos: 0) { events.append($0) } }
        Array(" two\n".utf8).withUnsafeBytes { joiner.push($0, nowNanos: 0) { events.append($0) } }
        #expect(events.isEmpty)
        joiner.finish { events.append($0) }
        joiner.finish { events.append($0) }
        #expect(events == [Array("only\n two".utf8)])
    }

    @Test func emittedEventsSurviveLaterPushes() {
        var joiner = MultilineJoiner(options: MultilineOptions(), matches: stackTraceLine)
        var events: [[UInt8]] = []
        for line in ["first", " a", "second", " b", "third"] {
            Array(line.utf8).withUnsafeBytes { joiner.push($0, nowNanos: 0) { events.append($0) } }
        }
        #expect(events.map { String(decoding: $0, as: UTF8.self) } == ["first\n a", "second\n b"])
    }
}
