import Benchmark
import Foundation
import StrataFormat
import StrataIndex
import StrataParse
import StrataQuery
import StrataReceivers
import StrataSegment
import StrataWAL

/// Real log lines: the loghub samples of `shared/corpus` (about 32k lines of 16 systems), or,
/// where the corpus is absent, seeded synthetic app lines of the same count.
let corpusLines: [[UInt8]] = {
    let root = ProcessInfo.processInfo.environment["STRATA_CORPUS"] ?? "../../shared/corpus/loghub"
    var lines = [[UInt8]]()
    if let systems = try? FileManager.default.contentsOfDirectory(atPath: root) {
        for s in systems.sorted() {
            guard let data = FileManager.default.contents(atPath: "\(root)/\(s)/\(s)_2k.log") else { continue }
            for l in data.split(separator: UInt8(ascii: "\n")) where !l.isEmpty { lines.append(Array(l)) }
        }
    }
    if lines.isEmpty {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x }
        let verbs = ["GET", "POST", "PUT", "DELETE"], words = ["checkout", "cart", "user", "payment", "search"]
        for _ in 0..<32_000 {
            let line = "\(verbs[Int(next() % 4)]) /api/v1/\(words[Int(next() % 5)])/\(next() % 100_000) status=\(200 + next() % 4 * 100) took \(next() % 900)ms trace=\(String(next(), radix: 16))"
            lines.append(Array(line.utf8))
        }
    }
    return lines
}()

let entries: [LogEntry] = corpusLines.enumerated().map { i, l in
    LogEntry(timestampNanos: 1_795_910_400_000_000_000 + Int64(i) * 1_000_000, sequence: UInt64(i + 1),
             level: i % 10 == 0 ? .error : .info, message: String(decoding: l, as: UTF8.self),
             service: ["api", "auth", "db", "web"][i % 4], host: "host-\(i % 16)",
             fields: [Field("status", .int(Int64(200 + i % 5 * 100))), Field("user", .string("u\(i % 977)"))])
}

func written(_ body: (inout ByteWriter) -> Void) -> [UInt8] {
    var w = ByteWriter(capacity: 1 << 20)
    body(&w)
    return w.bytes
}

/// Runs `body` with a reader over `bytes` (each decode benchmark's input).
func reading(_ bytes: [UInt8], _ body: (inout ByteReader) -> Void) {
    bytes.withUnsafeBytes { p in
        var r = ByteReader(p, section: "bench")
        body(&r)
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        maxDuration: .seconds(2), maxIterations: 200)
    let n = corpusLines.count
    let rows = Benchmark.Configuration(scalingFactor: .one)

    // Integer columns: timestamps (delta), random-ish codes (aligned), small values (packed).
    let timestamps = entries.map(\.timestampNanos)
    let codes = (0..<n).map { Int64(($0 &* 2_654_435_761) % 700) }
    let tsBytes = written { IntColumn.encode(timestamps, into: &$0) }
    let codeBytes = written { IntColumn.encode(codes, layout: .codes, into: &$0) }
    Benchmark("IntColumn encode timestamps (\(n) rows)", configuration: rows) { b in
        for _ in b.scaledIterations { blackHole(written { IntColumn.encode(timestamps, into: &$0) }) }
    }
    Benchmark("IntColumn decode timestamps (\(n) rows)", configuration: rows) { b in
        for _ in b.scaledIterations {
            reading(tsBytes) { r in blackHole(try? IntColumn.decode(from: &r)) }
        }
    }
    Benchmark("IntColumn decodeCodes fixed-width (\(n) rows)", configuration: rows) { b in
        for _ in b.scaledIterations {
            reading(codeBytes) { r in blackHole(try? IntColumn.decodeCodes(from: &r, limit: n, below: 700)) }
        }
    }

    // String and field columns.
    let services = entries.map(\.service)
    let svcBytes = written { StringColumn.encode(services, into: &$0) }
    Benchmark("StringColumn encode keywords (\(n) rows)", configuration: rows) { b in
        for _ in b.scaledIterations { blackHole(written { StringColumn.encode(services, into: &$0) }) }
    }
    Benchmark("StringColumn decode keywords (\(n) rows)", configuration: rows) { b in
        for _ in b.scaledIterations {
            reading(svcBytes) { r in blackHole(try? StringColumn.decode(from: &r, maxLength: 1 << 16)) }
        }
    }
    let users: [FieldValue?] = entries.map { $0.fields.last?.value }
    let userBytes = written { FieldColumn.encode(users, into: &$0) }
    Benchmark("FieldColumn encode strings (\(n) rows)", configuration: rows) { b in
        for _ in b.scaledIterations { blackHole(written { FieldColumn.encode(users, into: &$0) }) }
    }
    Benchmark("FieldColumn decode strings (\(n) rows)", configuration: rows) { b in
        for _ in b.scaledIterations {
            reading(userBytes) { r in blackHole(try? FieldColumn.decode(rows: n, from: &r)) }
        }
    }

    // Messages: template extraction, then parsing and rendering every row.
    let encoded = MessageColumn.encode(corpusLines)
    Benchmark("MessageColumn encode (\(n) lines)", configuration: rows) { b in
        for _ in b.scaledIterations { blackHole(MessageColumn.encode(corpusLines)) }
    }
    Benchmark("MessageColumn decode and render (\(n) lines)", configuration: rows) { b in
        for _ in b.scaledIterations {
            encoded.templates.bytes.withUnsafeBytes { t in encoded.numbers.bytes.withUnsafeBytes { nb in encoded.strings.bytes.withUnsafeBytes { s in
                var tr = ByteReader(t, section: "t"), nr = ByteReader(nb, section: "n"), sr = ByteReader(s, section: "s")
                blackHole(try? MessageColumn.decode(rows: n, templates: &tr, numbers: &nr, strings: &sr))
            } } }
        }
    }

    // WAL payloads (the entry codec).
    let payload = written { LogEntryCodec.encode(entries, into: &$0) }
    Benchmark("LogEntryCodec encode (\(n) entries)", configuration: rows) { b in
        for _ in b.scaledIterations { blackHole(written { LogEntryCodec.encode(entries, into: &$0) }) }
    }
    Benchmark("LogEntryCodec decode (\(n) entries)", configuration: rows) { b in
        for _ in b.scaledIterations {
            reading(payload) { r in blackHole(try? LogEntryCodec.decodeBatch(from: &r)) }
        }
    }

    // Tokenizer and Bloom filters.
    Benchmark("Tokenizer Bloom keys of every line (\(n) lines)", configuration: rows) { b in
        for _ in b.scaledIterations {
            var sum: UInt64 = 0
            for l in corpusLines { l.withUnsafeBytes { BloomKey.forEachTokenKey($0) { sum &+= $0 } } }
            blackHole(sum)
        }
    }
    var keys = [UInt64]()
    for l in corpusLines { l.withUnsafeBytes { BloomKey.forEachTokenKey($0) { keys.append($0) } } }
    var filter = BloomFilter(keyCount: keys.count, bitsPerKey: 12)
    for k in keys { filter.insert(k) }
    let bloom = filter
    Benchmark("BloomFilter insert (\(keys.count) keys)", configuration: rows) { b in
        for _ in b.scaledIterations {
            var f = BloomFilter(keyCount: keys.count, bitsPerKey: 12)
            for k in keys { f.insert(k) }
            blackHole(f)
        }
    }
    Benchmark("BloomFilter mayContain (\(keys.count) probes)", configuration: rows) { b in
        for _ in b.scaledIterations {
            var hits = 0
            for k in keys where bloom.mayContain(k &+ 1) { hits += 1 }
            blackHole(hits)
        }
    }

    // Roaring bitmaps: the three container kinds meet in AND / OR / AND-NOT.
    let sparse = RoaringBitmap((0..<20_000).map { UInt32($0 &* 97) })
    let dense = RoaringBitmap((0..<400_000).map { UInt32($0) }.filter { $0 % 3 != 0 })
    var runValues = [UInt32]()
    for r in 0..<50 {
        let start = UInt32(r * 20_000)
        runValues.append(contentsOf: start..<(start + 5_000))
    }
    let runs = RoaringBitmap(runValues)
    Benchmark("RoaringBitmap and/or/andNot (array, bitmap, run)", configuration: rows) { b in
        for _ in b.scaledIterations {
            blackHole(sparse.intersection(dense))
            blackHole(dense.union(runs))
            blackHole(dense.subtracting(runs))
        }
    }
    let serialized = dense.serialized()
    Benchmark("RoaringBitmap serialize + deserialize (\(serialized.count) bytes)", configuration: rows) { b in
        for _ in b.scaledIterations {
            blackHole(dense.serialized())
            serialized.withUnsafeBytes { blackHole(try? RoaringBitmap.deserialize($0)) }
        }
    }

    // Term dictionary: build and look up.
    let terms = (0..<20_000).map { (term: Array("host-\(String($0, radix: 16))".utf8), posting: RoaringBitmap([UInt32($0 % 64)])) }
        .sorted { $0.term.lexicographicallyPrecedes($1.term) }
    let dictBytes = TermDictionary.encode(terms)
    let dict = try! TermDictionary(bytes: dictBytes, section: "bench")
    Benchmark("TermDictionary encode (20k terms)", configuration: rows) { b in
        for _ in b.scaledIterations { blackHole(TermDictionary.encode(terms)) }
    }
    Benchmark("TermDictionary lookup (1k terms)", configuration: rows) { b in
        for _ in b.scaledIterations {
            for t in terms.prefix(1_000) { blackHole(try? dict.lookup(t.term)) }
        }
    }

    // The segment writer on structured app entries (every column, Bloom keys, term indexes):
    // the per-row work of a flush, where per-field hashing and copies once cost 20% of ingest.
    let appEntries: [LogEntry] = {
        var x: UInt64 = 0x5DEE_CE66_D1CE_4E5B
        func next() -> UInt64 { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x }
        let services = ["api", "checkout", "auth", "search", "payments"], methods = ["GET", "POST", "PUT", "DELETE"]
        return (0..<20_000).map { i in
            let id = next() % 9_000_000 + 1_000_000, ms = Double(next() % 2_000_000) / 1000
            var fields = [Field("duration_ms", .float(ms)), Field("status", .int(Int64([200, 201, 404, 500][Int(next() % 4)])))]
            if i % 5 != 0 { fields.insert(Field("trace_id", .string(String(next(), radix: 16) + String(next() | 1 << 63, radix: 16))), at: 0) }
            if i % 3 == 0 { fields += [Field("method", .string(methods[i % 4])), Field("path", .string("/api/v1/orders/\(id)")), Field("user_id", .int(Int64(id)))] }
            let message = i % 3 == 0 ? "handled \(methods[i % 4]) /api/v1/orders/\(id) in \(ms)ms" : "cache miss for key user:\(id)"
            return LogEntry(timestampNanos: 1_795_910_400_000_000_000 + Int64(i) * 180_000_000, sequence: UInt64(i + 1),
                            level: i % 10 == 0 ? .warn : .info, message: message, service: services[i % 5], host: "web-\(i % 12)",
                            fields: fields)
        }
    }()
    Benchmark("SegmentWriter encode (\(appEntries.count) app entries with fields)", configuration: rows) { b in
        let writer = SegmentWriter()
        for _ in b.scaledIterations { blackHole(writer.encode(appEntries, partitionStartNanos: 1_795_910_400_000_000_000)) }
    }

    // WAL append: group commit without fsync (the write path alone).
    let walDir = NSTemporaryDirectory() + "strata-bench-wal-\(getpid())"
    Benchmark("WAL append 1k records of 100 entries (interval fsync)", configuration: rows) { b in
        try? FileManager.default.removeItem(atPath: walDir)
        guard let w = try? WALWriter(directory: walDir, fileNumber: 1, options: WALOptions(fsync: .interval(milliseconds: 1000), maxFileBytes: 1 << 30)) else { return }
        let chunk = written { LogEntryCodec.encode(Array(entries.prefix(100)), into: &$0) }
        b.startMeasurement()
        for _ in b.scaledIterations {
            for i in 0..<1_000 {
                if let t = try? w.enqueue(firstSequence: UInt64(i * 100 + 1), payload: chunk) { try? w.waitDurable(t) }
            }
        }
        b.stopMeasurement()
        try? w.close()
        try? FileManager.default.removeItem(atPath: walDir)
    }

    // Query parser.
    let queries = ["error", "\"logged in from\" AND service:auth", "level:ERROR AND (service:api OR service:db) -host:web-1",
                   "status:>=500 AND duration_ms:[100 TO 500} | stats count(), p99(duration_ms) by service, bucket(1m)",
                   "user:u1* AND message:/time(out|d out)/ | sort -count | limit 10"]
    Benchmark("Query.parse (5 queries)", configuration: rows) { b in
        for _ in b.scaledIterations { for q in queries { blackHole(try? Query.parse(q)) } }
    }

    // Receivers: NDJSON batches and syslog lines.
    let ndjson = Array(entries.prefix(5_000).map { e in "{\"message\":\"\(e.message.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\",\"service\":\"\(e.service)\",\"status\":200}" }.joined(separator: "\n").utf8)
    Benchmark("BatchBody parse NDJSON (5k records)", configuration: rows) { b in
        for _ in b.scaledIterations {
            ndjson.withUnsafeBytes { blackHole(try? BatchBody.parse($0, defaults: ParseDefaults(receivedAtNanos: 0), maxRecordBytes: 1 << 20)) }
        }
    }
    let syslog = corpusLines.prefix(5_000).map { Array("<134>1 2026-11-29T10:00:00.000Z host app 42 ID1 [ex@1 a=\"b\"] ".utf8) + $0 }
    Benchmark("SyslogParser RFC 5424 (5k lines)", configuration: rows) { b in
        for _ in b.scaledIterations {
            for l in syslog { l.withUnsafeBytes { blackHole(SyslogParser.parse($0, defaults: ParseDefaults(receivedAtNanos: 0))) } }
        }
    }
}
