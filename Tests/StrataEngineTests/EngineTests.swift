import Testing
import StrataEngine
import StrataFormat
import StrataIO
import StrataParse
import StrataQuery
import StrataTestSupport
import StrataWAL
import Dispatch

@Suite struct EngineTests {
    func options(_ dir: TemporaryDirectory, memtableMaxBytes: Int = 1 << 30) -> EngineOptions {
        EngineOptions(dataDirectory: dir.path, wal: WALOptions(fsync: .always), memtableMaxBytes: memtableMaxBytes)
    }

    @Test func appendedEntriesSurviveACrashBeforeFlush() throws {
        let dir = TemporaryDirectory()
        var rng = SeededRandom(seed: 1)
        let entries = randomEntries(count: 200, rng: &rng)
        do {
            let engine = try Engine(options: options(dir))
            try engine.append(Array(entries[0..<100]))
            try engine.append(Array(entries[100...]))
            // No close: simulate a crash by dropping the engine (the WAL holds everything).
            _ = engine
        }
        let reopened = try Engine(options: options(dir))
        #expect(reopened.unflushedCount == 200)
        let result = try QueryExecutor(engine: reopened).search(SearchRequest(query: "*", limit: 1000))
        #expect(result.total == 200)
        try reopened.close()
        let again = try Engine(options: options(dir), readOnly: true)
        #expect(again.unflushedCount == 0)
        #expect(again.currentManifest.segments.reduce(0) { $0 + $1.rowCount } == 200)
        #expect(try WALReader.listFiles(directory: dir.path + "/wal").isEmpty, "WAL files are deleted once their records are in segments")
    }

    @Test func appendsAreRefusedWithoutWritingWhileTheDiskIsBelowTheReserve() throws {
        let dir = TemporaryDirectory()
        var rng = SeededRandom(seed: 7)
        let entries = randomEntries(count: 50, rng: &rng)
        let free = try FileSystem.availableBytes(dir.path)
        #expect(free > 0)
        var full = options(dir)
        full.minFreeDiskBytes = free + (1 << 40)   // more than this disk will ever have free
        do {
            let engine = try Engine(options: full)
            #expect(throws: EngineError.self) { try engine.append(entries) }
            do { try engine.append(entries) } catch {
                guard case .diskFull(_, let available, let reserve) = error else {
                    Issue.record("expected diskFull, got \(error)")
                    return
                }
                #expect(available < reserve)
            }
            #expect(engine.unflushedCount == 0, "nothing of a refused batch is kept")
            try engine.close()
        }
        var roomy = options(dir)
        roomy.minFreeDiskBytes = 1
        let engine = try Engine(options: roomy)
        #expect(engine.unflushedCount == 0, "nothing of a refused batch reached the WAL")
        try engine.append(entries)
        #expect(try QueryExecutor(engine: engine).search(SearchRequest(query: "*", limit: 1000)).total == 50)
        try engine.close()
    }

    @Test func flushSplitsByPartitionAndIdsStayStable() throws {
        let dir = TemporaryDirectory()
        let engine = try Engine(options: options(dir))
        let hour: Int64 = 3_600_000_000_000
        let base: Int64 = 1_795_910_400_000_000_000
        var batch = [LogEntry]()
        for i in 0..<300 { batch.append(LogEntry(timestampNanos: base + Int64(i % 3) * hour + Int64(i), message: "row \(i)")) }
        let ids = try engine.append(batch)
        try engine.flush()
        let m = engine.currentManifest
        #expect(m.segments.count == 3)
        #expect(Set(m.segments.map(\.partitionStartNanos)).count == 3)
        for (i, id) in ids.enumerated().filter({ $0.offset % 37 == 0 }) {
            #expect(try engine.entry(id: id)?.message == "row \(i)")
        }
        try engine.close()
    }

    @Test func lateEntriesGoToTheirOwnPartition() throws {
        let dir = TemporaryDirectory()
        let engine = try Engine(options: options(dir))
        let now: Int64 = 1_795_910_400_000_000_000
        try engine.append([LogEntry(timestampNanos: now, message: "now")])
        try engine.flush()
        try engine.append([LogEntry(timestampNanos: now - 30 * 86_400_000_000_000, message: "a month late")])
        try engine.close()
        let ro = try Engine(options: options(dir), readOnly: true)
        let r = try QueryExecutor(engine: ro).search(SearchRequest(query: "late", limit: 10))
        #expect(r.total == 1)
        #expect(r.hits.first?.message == "a month late")
    }

    @Test func queriesMatchTermsFieldsPhrasesAndTimeRanges() throws {
        let dir = TemporaryDirectory()
        let engine = try Engine(options: options(dir))
        let t0: Int64 = 1_795_910_400_000_000_000
        let rows: [LogEntry] = [
            LogEntry(timestampNanos: t0 + 1, level: .error, message: "connection refused to 10.0.0.1:5432", service: "api", host: "web-1", fields: [Field("status", .int(500))]),
            LogEntry(timestampNanos: t0 + 2, level: .info, message: "user login ok", service: "auth", host: "web-2", fields: [Field("status", .int(200))]),
            LogEntry(timestampNanos: t0 + 3, level: .error, message: "Timeout while reading", service: "api", host: "db-1", tags: ["canary"]),
            LogEntry(timestampNanos: t0 + 4, level: .warn, message: "slow query took 12.5ms", service: "db", host: "db-1", fields: [Field("duration_ms", .float(12.5))]),
        ]
        try engine.append(Array(rows[0..<2]))
        try engine.flush()
        try engine.append(Array(rows[2...]))   // two in a segment, two in the memtable
        let q = QueryExecutor(engine: engine)
        func count(_ s: String, from: Int64 = .min, to: Int64 = .max) throws -> Int {
            try q.search(SearchRequest(query: s, fromNanos: from, toNanos: to, limit: 100)).total
        }
        #expect(try count("*") == 4)
        #expect(try count("level:error") == 2)
        #expect(try count("level:ERROR service:api") == 2)
        #expect(try count("timeout") == 1)
        #expect(try count("\"connection refused\"") == 1)
        #expect(try count("\"refused connection\"") == 0)
        #expect(try count("10.0.0.1") == 1)
        #expect(try count("status:500") == 1)
        #expect(try count("duration_ms:12.5") == 1)
        #expect(try count("host:db-*") == 2)
        #expect(try count("tags:canary") == 1)
        #expect(try count("level:error OR level:warn") == 3)
        #expect(try count("level:error -timeout") == 1)
        #expect(try count("NOT service:api") == 2)
        #expect(try count("(service:api OR service:db) AND host:db-1") == 2)
        #expect(try count("*", from: t0 + 2, to: t0 + 3) == 2)
        let page = try q.search(SearchRequest(query: "*", limit: 2))
        #expect(page.hits.map(\.timestampNanos) == [t0 + 4, t0 + 3], "newest first")
        #expect(throws: QueryExecutor.SearchError.self) { _ = try q.search(SearchRequest(query: "(level:error", limit: 1)) }
        try engine.close()
    }

    /// Ingests every loghub file and checks counts against numbers computed here independently
    /// (line counts and grep-style substring counts over the raw file).
    @Test func corpusIngestAndQueryCountsMatchIndependentCounts() throws {
        let corpus = sharedCorpusPath() + "/loghub"
        let systems = try FileSystem.listDirectory(corpus).filter { FileSystem.isDirectory(corpus + "/" + $0) }
        #expect(systems.count >= 16)
        let dir = TemporaryDirectory()
        let engine = try Engine(options: options(dir, memtableMaxBytes: 256 << 10))
        var expectedLines = [String: Int]()
        var expectedTerm = [String: Int]()
        for sys in systems {
            let path = corpus + "/\(sys)/\(sys)_2k.log"
            let bytes = try FileSystem.readFile(path)
            // Split on LF bytes (a Swift String treats CRLF as one Character), drop CR, skip blank lines.
            let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
                .map { String(decoding: $0.last == 0x0D ? $0.dropLast() : $0, as: UTF8.self) }
                .filter { !$0.allSatisfy { $0 == " " || $0 == "\t" } }
            expectedLines[sys] = lines.count
            // Independent count: lines with the upper-case word "ERROR" or "error" as a whole token.
            expectedTerm[sys] = lines.filter { line in
                line.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).contains { $0.lowercased() == "error" }
            }.count
            var entries = [LogEntry]()
            let parser = LineParser(format: .raw)
            try bytes.withUnsafeBytes { buf in
                try LineParser.forEachLine(in: buf) { line in
                    if let e = try parser.parse(line, defaults: ParseDefaults(receivedAtNanos: 1_795_910_400_000_000_000, service: sys)) { entries.append(e) }
                }
            }
            try engine.append(entries)
        }
        try engine.close()
        let ro = try Engine(options: options(dir), readOnly: true)
        #expect(ro.currentManifest.segments.count > 1, "small memtable forces several flushes")
        let q = QueryExecutor(engine: ro)
        for sys in systems {
            let got = try q.search(SearchRequest(query: "service:\(sys)", limit: 1)).total
            #expect(got == expectedLines[sys], "\(sys) line count \(got) vs \(expectedLines[sys]!)")
            #expect(try q.search(SearchRequest(query: "service:\(sys) error", limit: 1)).total == expectedTerm[sys], "\(sys) 'error' count")
        }
        #expect(expectedTerm.values.reduce(0, +) > 0, "the corpus does contain errors")
    }

    @Test func concurrentAppendsWithBackgroundFlushesLoseNothing() throws {
        let dir = TemporaryDirectory()
        let engine = try Engine(options: options(dir, memtableMaxBytes: 64 << 10))
        let threads = 4, batches = 30, perBatch = 50
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for b in 0..<batches {
                let batch = (0..<perBatch).map { i in
                    LogEntry(timestampNanos: 1_795_910_400_000_000_000 + Int64(t * 1_000_000 + b * 1000 + i), message: "t\(t) b\(b) i\(i)")
                }
                try! engine.append(batch)
            }
        }
        try engine.close()
        let ro = try Engine(options: options(dir), readOnly: true)
        let m = ro.currentManifest
        #expect(m.segments.count > 3, "the small memtable must have flushed several times in the background")
        #expect(m.segments.reduce(0) { $0 + $1.rowCount } == UInt64(threads * batches * perBatch))
        #expect(m.flushedSequence == UInt64(threads * batches * perBatch))
        let r = try QueryExecutor(engine: ro).search(SearchRequest(query: "t3 b29", limit: 1000))
        #expect(r.total == perBatch)
    }

    @Test func entriesBeyondTheFormatLimitsAreRejectedBeforeTheWAL() throws {
        let dir = TemporaryDirectory()
        let engine = try Engine(options: options(dir))
        let ok = LogEntry(timestampNanos: 1, message: "fine")
        let tooLong = LogEntry(timestampNanos: 1, message: "x", service: String(repeating: "s", count: Limits.maxShortStringBytes + 1))
        let tooOld = LogEntry(timestampNanos: Int64.min, message: "x")
        for bad in [tooLong, tooOld] {
            do {
                try engine.append([ok, bad])
                Issue.record("an entry over a limit must be refused")
            } catch {
                guard case .invalidEntry(let index, _) = error else { Issue.record("wrong error \(error)"); continue }
                #expect(index == 1)
            }
        }
        #expect(engine.unflushedCount == 0, "nothing of a refused batch is stored")
        try engine.append([ok])
        try engine.close()
    }

    @Test func aMissingManifestWithSegmentsRefusesToOpen() throws {
        let dir = TemporaryDirectory()
        let engine = try Engine(options: options(dir))
        try engine.append([LogEntry(timestampNanos: 1, message: "kept")])
        try engine.close()
        try FileSystem.removeFile(dir.path + "/MANIFEST")
        #expect(throws: EngineError.self) { _ = try Engine(options: options(dir)) }
    }

    @Test func aDamagedWALFileIsKeptAsideNotDeleted() throws {
        let dir = TemporaryDirectory()
        do {
            let engine = try Engine(options: options(dir))
            try engine.append([LogEntry(timestampNanos: 1, message: "one")])
            try engine.append([LogEntry(timestampNanos: 2, message: "two")])
        }
        let name = try FileSystem.listDirectory(dir.path + "/wal").first { $0.hasSuffix(".wal") }!
        var bytes = try FileSystem.readFile(dir.path + "/wal/" + name)
        bytes[bytes.count - 3] ^= 0x01
        try FileSystem.writeAtomically(bytes, to: dir.path + "/wal/" + name)
        let reopened = try Engine(options: options(dir))
        #expect(reopened.unflushedCount == 1, "the record before the damage is replayed")
        #expect(reopened.walDamage.count == 1)
        #expect(try FileSystem.listDirectory(dir.path + "/wal").contains { $0.hasPrefix(name + ".corrupt-") }, "the damaged original is kept for inspection")
        try reopened.close()
    }

    @Test func secondWriterIsLockedOut() throws {
        let dir = TemporaryDirectory()
        let engine = try Engine(options: options(dir))
        #expect(throws: EngineError.self) { _ = try Engine(options: options(dir)) }
        try engine.close()
    }
}
