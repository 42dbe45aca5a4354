import Testing
import StrataEngine
import StrataFormat
import StrataQuery
import StrataSegment
import StrataTestSupport

/// Differential tests: hundreds of generated queries run through `QueryExecutor` over an engine
/// holding several partitions, several segments per partition and a memtable, and their results
/// are compared with a brute-force evaluator (`Oracle`) that implements
/// `docs/query-language.md` on the original `[LogEntry]` array, independently of the engine's
/// tokenizer, glob, predicates and aggregator.
///
/// Everything is seeded: a failure reproduces, and its message names the query, the time range
/// and the first differing ids.
@Suite struct DifferentialTests {
    @Test func searchesStatsAndStagesAgreeWithABruteForceEvaluator() throws {
        var dice = Dice(seed: 0x5EED_2026_0517)
        let data = DataSet(count: 4000, dice: &dice)
        let dir = TemporaryDirectory("strata-differential")
        defer { dir.remove() }
        // Small blocks, so time ranges and Bloom filters skip blocks inside segments too.
        let engine = try Engine(options: EngineOptions(dataDirectory: dir.path, partitionDurationNanos: DataSet.hour,
                                                       segment: SegmentWriterOptions(rowsPerBlock: 64, bloomMinRows: 0)))
        let stored = try Self.load(data.entries, into: engine, dice: &dice)

        // The layout the test is meant to exercise.
        let segments = engine.currentManifest.segments
        #expect(Set(segments.map(\.partitionStartNanos)).count >= 3, "several partitions")
        #expect(segments.count >= 12, "several segments per partition")
        #expect(engine.unflushedCount >= 900, "unflushed entries in the memtable")

        let oracle = Oracle(rows: stored.map(Row.init))
        let executor = QueryExecutor(engine: engine)
        var gen = QueryGenerator(dice: dice, data: data, rows: oracle.rows)

        let filters = gen.filterQueries()
        #expect(filters.count >= 300)
        for q in filters {
            let window = gen.window()
            Self.checkSearch(q, window, executor, oracle)
        }

        // Selective queries must actually be answered with Bloom filters and id ranges.
        let flushedTrace = stored.first { e in
            e.field("trace_id") != nil && !engine.snapshot().memtableEntries.contains { $0.id == e.id }
        }
        if let e = flushedTrace, case .string(let trace)? = e.field("trace_id") {
            let r = try executor.search(SearchRequest(query: "trace_id:\(trace)", limit: 10))
            #expect(r.hits.contains { $0.id == e.id })
            #expect(r.blocksSkippedByBloom + r.blocksSkippedByIndex > r.blocksScanned,
                    "trace id lookup skipped \(r.blocksSkippedByBloom) blocks by Bloom filter and \(r.blocksSkippedByIndex) by term index, scanned \(r.blocksScanned)")
            let byID = try executor.search(SearchRequest(query: "id:\(e.id)", limit: 10))
            #expect(byID.hits.map(\.id) == [e.id])
            #expect(byID.blocksScanned <= 2, "id lookup scanned \(byID.blocksScanned) blocks")
        } else {
            Issue.record("the data set has no flushed entry with a trace_id")
        }

        // Numeric ranges are answered from chunk min/max statistics: nothing can exceed this.
        let none = try executor.search(SearchRequest(query: "duration_ms:>1e15", limit: 10))
        #expect(none.total == 0 && none.blocksScanned == 0, "min/max statistics should skip every block, scanned \(none.blocksScanned)")

        let stats = gen.statsQueries()
        #expect(stats.count >= 40)
        for s in stats {
            let window = gen.window()
            Self.checkStats(s, window, executor, oracle)
        }

        let stages = gen.entryStageQueries()
        for s in stages {
            let window = gen.window()
            Self.checkEntryStages(s, window, executor, oracle)
        }

        // Compaction merges the segments of every partition: every answer stays the same.
        var policy = CompactionPolicy(minSegments: 2)
        policy.settleNanos = -(1 << 62)
        let merged = try engine.compactOnce(policy)
        #expect(!merged.isEmpty)
        let after = engine.currentManifest.segments
        #expect(Set(after.map(\.partitionStartNanos)).count == Set(segments.map(\.partitionStartNanos)).count)
        #expect(after.count == Set(after.map(\.partitionStartNanos)).count, "one segment per partition after a full merge, got \(after.count)")
        #expect(after.reduce(0) { $0 + $1.rowCount } == segments.reduce(0) { $0 + $1.rowCount })
        for q in filters { Self.checkSearch(q, gen.window(), executor, oracle) }
        for s in stats { Self.checkStats(s, gen.window(), executor, oracle) }
        for s in stages { Self.checkEntryStages(s, gen.window(), executor, oracle) }
        try engine.close()
    }

    /// docs/query-language.md: `pN(f)` is the value at rank ⌈N/100 · n⌉ of the sorted values. For
    /// the 1000 values 1…1000, p99.9 is the 999th value (⌈999⌉), not the 1000th that a
    /// floating-point `0.999 * 1000 = 999.0000000000001` rounded up would give.
    @Test func percentilesUseTheExactNearestRank() throws {
        let dir = TemporaryDirectory("strata-percentile")
        defer { dir.remove() }
        let engine = try Engine(options: EngineOptions(dataDirectory: dir.path))
        var batch = [LogEntry]()
        for i in 1...1000 {
            batch.append(LogEntry(timestampNanos: DataSet.start + Int64(i), message: "row \(i)", fields: [Field("v", .float(Double(i)))]))
        }
        try engine.append(batch)
        let result = try QueryExecutor(engine: engine).search(
            SearchRequest(query: "| stats p99.9(v), p99(v), p50(v), median(v), p100(v), p0.1(v)", limit: 10))
        #expect(result.rows == [[.double(999), .double(990), .double(500), .double(500), .double(1000), .double(1)]])
        #expect(result.approximateColumns.isEmpty)
        try engine.close()
    }

    /// docs/query-language.md: `*` leaves an end of a range open; entries without a level have
    /// the unknown level, below DEBUG; ranges on the message match nothing. So with both ends
    /// open, `level:[* TO *]` matches every entry and `message:[* TO *]` none.
    @Test func rangesOpenAtBothEnds() throws {
        let dir = TemporaryDirectory("strata-open-range")
        defer { dir.remove() }
        let engine = try Engine(options: EngineOptions(dataDirectory: dir.path))
        try engine.append([
            LogEntry(timestampNanos: DataSet.start, level: .unknown, message: "no level"),
            LogEntry(timestampNanos: DataSet.start + 1, level: .error, message: "an error"),
        ])
        let executor = QueryExecutor(engine: engine)
        func total(_ query: String) throws -> Int { try executor.search(SearchRequest(query: query)).total }
        #expect(try total("level:[* TO debug]") == 1)
        #expect(try total("level:[* TO *]") == 2)
        #expect(try total("message:[a TO z]") == 0)
        #expect(try total("message:[* TO *]") == 0)
        try engine.close()
    }

    // MARK: - Loading

    /// Appends `entries` in a shuffled order (so times arrive out of order), in batches of 300,
    /// flushing after every other one of the first ten batches (several segments per partition)
    /// and leaving the last batches in the memtable. Returns the entries with the sequence
    /// numbers the engine assigned (it ignores the input's).
    static func load(_ entries: [LogEntry], into engine: Engine, dice: inout Dice) throws -> [LogEntry] {
        var stored = entries
        let order = dice.shuffled(Array(entries.indices))
        let batchSize = 300
        var batch = 0
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let slice = Array(order[start..<min(start + batchSize, order.count)])
            let ids = try engine.append(slice.map { entries[$0] })
            for (k, i) in slice.enumerated() {
                #expect(ids[k].timestampNanos == entries[i].timestampNanos)
                stored[i].sequence = ids[k].sequence
            }
            if batch % 2 == 1 && batch < 10 { try engine.flush() }
            batch += 1
        }
        return stored
    }

    // MARK: - Checks

    /// Runs `query` over `window` with a limit above the data size; records an issue naming the
    /// query and returns nil if the search throws.
    static func run(_ query: String, _ window: TimeWindow, _ executor: QueryExecutor) -> SearchResult? {
        do {
            return try executor.search(SearchRequest(query: query, fromNanos: window.from, toNanos: window.to, limit: 100_000))
        } catch {
            Issue.record("query \(query.debugDescription) over \(window) threw: \(error)")
            return nil
        }
    }

    /// Compares one filter query with the oracle: the set of ids, `total`, and the order of the
    /// hits (newest first by time, then sequence).
    static func checkSearch(_ q: GenQuery, _ window: TimeWindow, _ executor: QueryExecutor, _ oracle: Oracle) {
        guard let result = run(q.text, window, executor) else { return }
        let expected = oracle.newestFirst(oracle.matching(q.filter, window)).map { oracle.rows[$0].id }
        let got = result.hits.map(\.id)
        if Set(got) != Set(expected) || result.total != expected.count || got.count != expected.count {
            Issue.record("\(oracle.difference(query: q.text, window: window, expected: expected, got: got, gotTotal: result.total))")
            return
        }
        let ordered = zip(result.hits, result.hits.dropFirst()).allSatisfy {
            ($0.timestampNanos, $0.sequence) > ($1.timestampNanos, $1.sequence)
        }
        #expect(ordered && got == expected, "hits are not newest first\nquery: \(q.text.debugDescription)\ntime: \(window)")
        // A small page: the newest hits only (older blocks are then merely counted), same total.
        do {
            let page = try executor.search(SearchRequest(query: q.text, fromNanos: window.from, toNanos: window.to, limit: 3))
            #expect(page.hits.map(\.id) == Array(expected.prefix(3)) && page.total == expected.count,
                    "page of 3 differs\nquery: \(q.text.debugDescription)\ntime: \(window)\ngot \(page.hits.map(\.id)) total \(page.total)\nwant \(Array(expected.prefix(3))) total \(expected.count)")
        } catch {
            Issue.record("query \(q.text.debugDescription) with limit 3 threw: \(error)")
        }
        // Small result sets: walking every page with the cursor gives exactly the whole list.
        guard expected.count <= 40 else { return }
        var walked = [LogID]()
        var cursor: LogID? = nil
        repeat {
            guard let r = try? executor.search(SearchRequest(query: q.text, fromNanos: window.from, toNanos: window.to,
                                                             limit: 7, before: cursor)) else {
                Issue.record("paging \(q.text.debugDescription) threw")
                return
            }
            #expect(r.total == expected.count)
            walked += r.hits.map(\.id)
            cursor = r.nextCursor
        } while cursor != nil && walked.count <= expected.count
        #expect(walked == expected, "pages walked with the cursor differ\nquery: \(q.text.debugDescription)\ntime: \(window)")
    }

    /// Compares one stats query with the oracle's aggregation: columns, every row (doubles within
    /// 1e-9 relative), `total`, and no approximate columns (the data is small).
    static func checkStats(_ s: StatsSpec, _ window: TimeWindow, _ executor: QueryExecutor, _ oracle: Oracle) {
        guard let result = run(s.text, window, executor) else { return }
        let matching = oracle.matching(s.filter, window)
        let (columns, rows) = oracle.stats(s, matching: matching)
        let context = "query: \(s.text.debugDescription)\ntime: \(window)"
        #expect(result.total == matching.count, "total\n\(context)")
        #expect(result.columns == columns, "columns: got \(result.columns ?? []), expected \(columns)\n\(context)")
        #expect(result.approximateColumns.isEmpty, "approximate columns \(result.approximateColumns)\n\(context)")
        let differing = (0..<max(rows.count, result.rows.count)).filter { i in
            i >= rows.count || i >= result.rows.count || !Oracle.rowsMatch(result.rows[i], rows[i])
        }
        if !differing.isEmpty {
            var lines = ["stats rows differ (got \(result.rows.count), expected \(rows.count)); columns \(columns)", context]
            for i in differing.prefix(4) {
                lines.append("  row \(i): got \(i < result.rows.count ? "\(result.rows[i])" : "-")")
                lines.append("  row \(i): exp \(i < rows.count ? "\(rows[i])" : "-")")
            }
            Issue.record("\(lines.joined(separator: "\n"))")
        }
    }

    /// Compares a search with `sort` / `limit` / `fields` stages: the exact list of hits (sorted,
    /// ties newest first, missing values last), `total` (all matches) and the projection.
    static func checkEntryStages(_ s: EntryStagesQuery, _ window: TimeWindow, _ executor: QueryExecutor, _ oracle: Oracle) {
        guard let result = run(s.text, window, executor) else { return }
        let matching = oracle.matching(s.filter, window)
        let (order, projection) = oracle.applyStages(s.stages, to: oracle.newestFirst(matching))
        let expected = order.map { oracle.rows[$0].id }
        let got = result.hits.map(\.id)
        let context = "query: \(s.text.debugDescription)\ntime: \(window)"
        #expect(result.total == matching.count, "total\n\(context)")
        #expect(result.projection == projection, "projection\n\(context)")
        if got != expected {
            var lines = ["hits differ (got \(got.count), expected \(expected.count))", context]
            let common = min(got.count, expected.count)
            if let i = (0..<common).first(where: { got[$0] != expected[$0] }) ?? (got.count != expected.count ? common : nil) {
                lines.append("first difference at index \(i):")
                lines.append("  got " + (i < got.count ? oracle.describe(got[i]) : "-"))
                lines.append("  exp " + (i < expected.count ? oracle.describe(expected[i]) : "-"))
            }
            Issue.record("\(lines.joined(separator: "\n"))")
        }
    }
}

// MARK: - Random choices

/// Seeded random choices for the data and query generators (deterministic, so failures reproduce).
struct Dice {
    private var rng: SeededRandom

    init(seed: UInt64) { rng = SeededRandom(seed: seed) }

    /// A uniform integer in `range`.
    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &rng) }

    /// A uniform integer in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }

    /// A uniform 64-bit integer in `range`.
    mutating func int64(_ range: Range<Int64>) -> Int64 { Int64.random(in: range, using: &rng) }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    /// A uniform element of a non-empty array.
    mutating func pick<T>(_ xs: [T]) -> T { xs[int(0..<xs.count)] }

    /// `xs` in a random order.
    mutating func shuffled<T>(_ xs: [T]) -> [T] { xs.shuffled(using: &rng) }

    /// `n` random lowercase hex digits.
    mutating func hex(_ n: Int) -> String {
        let digits = Array("0123456789abcdef")
        var s = ""
        for _ in 0..<n { s.append(digits[int(0..<16)]) }
        return s
    }
}

// MARK: - The data set

/// The seeded entries of the differential test, generated here (not by `randomEntries`) so the
/// query generator knows which words, numbers and values occur: ~3.5 hours of entries (four
/// one-hour partitions), messages from a vocabulary with numbers, IPs, decimals, hex ids, UTF-8
/// words, mixed case and punctuation, typed fields (one of mixed type), tags.
struct DataSet {
    static let start: Int64 = 1_795_910_400_000_000_000
    static let hour: Int64 = 3_600_000_000_000
    static let span: Int64 = 3 * hour + hour / 2

    static let vocabulary = ["connection", "refused", "timeout", "timed", "out", "user", "login", "failed", "succeeded",
                             "request", "completed", "GET", "POST", "cache", "miss", "hit", "retry", "upstream",
                             "error", "Error", "ERROR", "warning", "slow", "query", "db_query", "payment", "declined",
                             "session", "expired", "disk", "full", "ok", "started", "stopped", "health_check"]
    static let unicodeWords = ["café", "naïve", "日本", "über", "Zürich"]
    static let ipPool = ["10.0.0.7", "10.0.0.17", "10.0.1.7", "192.168.1.20", "172.16.0.1", "10.10.0.7", "127.0.0.1", "8.8.8.8"]
    static let services = ["api", "api-gateway", "auth", "payments", "checkout", "search", ""]
    static let hosts: [String] = (1...12).map { $0 < 10 ? "web-0\($0)" : "web-\($0)" } + ["db-1"]
    static let sources = ["", "", "/var/log/app.log", "/var/log/nginx/access.log", "stdout", "journald"]
    static let users = ["alice", "bob", "carol", "dave", "eve smith", "Zoë Müller", "ALICE", "mallory"]
    static let regions = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-south-1", "EU", "sa-east-1"]
    static let tagSets: [[String]] = [[], [], [], [], [], [], ["canary"], ["canary"], ["eu", "canary"], ["eu"], ["blue", "eu"]]

    private(set) var entries: [LogEntry] = []
    /// Hex ids that messages may contain.
    private(set) var hexIds: [String] = []
    /// Decimals with units (`12.5ms`) that messages contain, in first-use order.
    private(set) var decimals: [String] = []

    init(count: Int, dice: inout Dice) {
        for _ in 0..<40 {
            let n = dice.int(8...16)
            hexIds.append(dice.hex(n))
        }
        var seenDecimals = Set<String>()
        for i in 0..<count {
            let (message, used) = Self.message(&dice, hexIds: hexIds)
            for d in used where seenDecimals.insert(d).inserted { decimals.append(d) }
            let timestamp = Self.timestamp(&dice)
            let level = Self.level(&dice)
            let service = dice.pick(Self.services)
            let host = dice.pick(Self.hosts)
            let source = dice.pick(Self.sources)
            let fields = Self.fields(&dice)
            let tags = dice.pick(Self.tagSets)
            entries.append(LogEntry(timestampNanos: timestamp, sequence: UInt64(i + 1), level: level, message: message,
                                    service: service, host: host, source: source, fields: fields, tags: tags))
        }
    }

    /// A time in the data's span; some on whole seconds (so entries share a time), a few exactly
    /// on a partition boundary or on the last nanosecond of a partition.
    static func timestamp(_ dice: inout Dice) -> Int64 {
        let r = dice.int(0..<200)
        if r == 0 { return start + Int64(dice.int(0...3)) * hour }
        if r == 1 { return start + Int64(dice.int(1...3)) * hour - 1 }
        let t = start + dice.int64(0..<span)
        return r < 20 ? t / 1_000_000_000 * 1_000_000_000 : t
    }

    /// A level, 10% unknown.
    static func level(_ dice: inout Dice) -> LogLevel {
        switch dice.int(0..<20) {
        case 0, 1: return .unknown
        case 2..<5: return .debug
        case 5..<12: return .info
        case 12..<15: return .warn
        case 15..<19: return .error
        default: return .fatal
        }
    }

    /// A message of 2–9 pieces joined by spaces and punctuation (a few are empty or punctuation
    /// only), and the decimals it contains.
    static func message(_ dice: inout Dice, hexIds: [String]) -> (String, [String]) {
        if dice.chance(0.02) { return ("", []) }
        if dice.chance(0.01) { return (dice.pick(["...", "--", "!!! ???", "=> <="]), []) }
        let separators = [" ", " ", " ", " ", ", ", ": ", " - ", "; ", " (", ") ", " [", "] ", "=", "/", " | ", "#", "..."]
        var text = ""
        var decimals = [String]()
        let pieces = dice.int(2...9)
        for k in 0..<pieces {
            if k > 0 { text += dice.pick(separators) }
            switch dice.int(0..<20) {
            case 0..<9:
                text += dice.pick(vocabulary)
            case 9:
                text += String(dice.int(0...99_999))
            case 10:
                text += dice.pick(ipPool)
                if dice.chance(0.3) { text += ":" + String(dice.pick([22, 443, 5432, 8080])) }
            case 11:
                let whole = dice.int(0...999), tenth = dice.int(0...9)
                let d = "\(whole).\(tenth)\(dice.pick(["ms", "s", "", "MB"]))"
                decimals.append(d)
                text += d
            case 12:
                text += dice.pick(hexIds)
            case 13:
                text += "/api/v1/users/\(dice.int(1...500))"
            case 14:
                let key = dice.pick(["attempt", "code", "retries", "Status"])
                text += "\(key)=\(dice.int(0...9))"
            case 15:
                text += dice.pick(["alice@example.com", "bob@example.org"])
            case 16:
                text += "\"" + dice.pick(vocabulary) + "\""
            case 17:
                text += dice.pick(unicodeWords)
            case 18:
                text += #"C:\tmp\"# + dice.pick(vocabulary)
            default:
                text += dice.pick(["Error", "ERROR", "error", "TimeOut", "timeout"])
            }
        }
        return (text, decimals)
    }

    /// Typed fields, each present in only part of the entries: `status` int, `duration_ms` float,
    /// `user`/`region`/`trace_id`/`http.method` strings, `ok` bool, `attempt` int, and `code` of
    /// mixed type (ints, floats, strings — one of which looks like a number).
    static func fields(_ dice: inout Dice) -> [Field] {
        var f = [Field]()
        if dice.chance(0.85) {
            var status = 200
            if dice.chance(0.5) {
                status = dice.chance(0.7) ? dice.pick([201, 204, 301, 302, 400, 401, 403, 404, 429, 500, 502, 503, 504]) : dice.int(200...599)
            }
            f.append(Field("status", .int(Int64(status))))
        }
        if dice.chance(0.8) {
            let ms = dice.chance(0.05) ? Double(dice.int(1...30) * 100) : Double(dice.int(0...300_000)) / 100
            f.append(Field("duration_ms", .float(ms)))
        }
        if dice.chance(0.7) { f.append(Field("user", .string(dice.pick(users)))) }
        if dice.chance(0.75) { f.append(Field("region", .string(dice.pick(regions)))) }
        if dice.chance(0.6) { f.append(Field("ok", .bool(dice.chance(0.8)))) }
        if dice.chance(0.9) { f.append(Field("trace_id", .string(dice.hex(32)))) }
        if dice.chance(0.4) {
            let r = dice.int(0..<20)
            let value: FieldValue
            if r < 10 {
                value = .int(Int64(dice.int(1...9)))
            } else if r < 13 {
                value = .float(dice.pick([2.5, 7.5]))
            } else {
                value = .string(dice.pick(["E42", "timeout", "7", "ok", "5xx"]))
            }
            f.append(Field("code", value))
        }
        if dice.chance(0.3) { f.append(Field("http.method", .string(dice.pick(["GET", "POST", "DELETE"])))) }
        if dice.chance(0.1) { f.append(Field("attempt", .int(Int64(dice.int(1...5))))) }
        return dice.shuffled(f)
    }
}

/// One stored entry as the oracle sees it, with what every leaf needs computed once.
struct Row {
    let entry: LogEntry
    let id: LogID
    /// The id as the spec writes it: 16 lowercase hex digits of the time, then 16 of the sequence.
    let idText: String
    /// The message's tokens and their byte ranges in the message.
    let tokens: [String]
    let tokenRanges: [Range<Int>]
    let fields: [String: FieldValue]

    init(_ entry: LogEntry) {
        self.entry = entry
        id = LogID(timestampNanos: entry.timestampNanos, sequence: entry.sequence)
        idText = Self.hex16(UInt64(bitPattern: entry.timestampNanos)) + Self.hex16(entry.sequence)
        let toks = Oracle.tokenize(entry.message)
        tokens = toks.map(\.text)
        tokenRanges = toks.map(\.range)
        fields = Dictionary(uniqueKeysWithValues: entry.fields.map { ($0.key, $0.value) })
    }

    /// `v` as 16 zero-padded lowercase hex digits.
    static func hex16(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

/// A time range of a request: both ends inclusive; `.min`/`.max` mean unbounded.
struct TimeWindow: CustomStringConvertible {
    var from: Int64 = .min
    var to: Int64 = .max

    /// Whether `t` is inside (both ends inclusive).
    func contains(_ t: Int64) -> Bool { t >= from && t <= to }

    var description: String {
        if from == .min && to == .max { return "unbounded" }
        func show(_ t: Int64) -> String { t == .min || t == .max ? "*" : "\(Timestamp.format(t)) (\(t))" }
        return "[\(show(from)), \(show(to))]"
    }
}

// MARK: - The test's model of queries

/// A range bound as written and whether it is included.
struct Bound {
    var value: String
    var inclusive: Bool
}

/// One element of a generated wildcard pattern.
enum GlobPart: Equatable {
    case literal(Character)
    case star
    case one
}

/// What a leaf tests (docs/query-language.md, "What each leaf matches").
enum LeafOp {
    case term(String)
    case phrase(String)
    case wildcard([GlobPart])
    case regex(String)
    /// `[a TO b]` (or `{…}`) when `comparison` is false; otherwise `>a`, `>=a`, `<b` or `<=b`.
    case range(lower: Bound?, upper: Bound?, comparison: Bool)
    /// `_exists_:name`, or `name:*` when `star`.
    case exists(star: Bool)
}

/// A generated leaf: the name as written (nil for bare full text) and its test.
struct Leaf {
    var name: String?
    var op: LeafOp
}

/// A generated filter tree; `QueryGenerator.render` writes it as query text, `Oracle` evaluates it.
indirect enum Filter {
    case all
    case leaf(Leaf)
    case and([Filter])
    case or([Filter])
    case not(Filter)
    /// Explicit parentheses.
    case group(Filter)
}

/// A filter query: its text and the tree it was written from.
struct GenQuery {
    var text: String
    var filter: Filter
}

/// What a name in a query refers to (docs/query-language.md, "Names").
enum Target: Equatable {
    case message, level, service, host, source, tags, id, field(String)

    init(_ name: String?) {
        guard let name else { self = .message; return }
        switch name.lowercased() {
        case "message", "msg", "_msg": self = .message
        case "level", "severity": self = .level
        case "service": self = .service
        case "host": self = .host
        case "source": self = .source
        case "tags", "tag": self = .tags
        case "id", "_id": self = .id
        default: self = .field(name)
        }
    }
}

/// One aggregate of a generated stats query.
struct AggSpec {
    enum Kind: Equatable { case count, sum, avg, min, max, percentile(Int), median, countDistinct }
    var kind: Kind
    var field: String?
    var alias: String?

    init(_ kind: Kind, _ field: String? = nil, alias: String? = nil) {
        self.kind = kind
        self.field = field
        self.alias = alias
    }

    /// The call as written, which is also the column name without an alias.
    var call: String {
        let arg = field ?? ""
        switch kind {
        case .count: return "count(\(arg))"
        case .sum: return "sum(\(arg))"
        case .avg: return "avg(\(arg))"
        case .min: return "min(\(arg))"
        case .max: return "max(\(arg))"
        case .percentile(let n): return "p\(n)(\(arg))"
        case .median: return "median(\(arg))"
        case .countDistinct: return "count_distinct(\(arg))"
        }
    }

    /// The output column name: the alias, else the call.
    var name: String { alias ?? call }
    /// As written in the query.
    var text: String { alias.map { "\(call) as \($0)" } ?? call }

    /// Whether the value is computed exactly regardless of summation order (safe to sort rows by).
    var isOrderExact: Bool {
        switch kind {
        case .avg: return false
        case .sum: return field == "status"
        default: return true
        }
    }
}

/// A `by` key of a generated stats query.
enum GroupSpec: Equatable {
    case field(String)
    case bucket(minutes: Int)

    /// The output column name.
    var name: String {
        switch self {
        case .field(let f): return f
        case .bucket(let m): return "bucket(\(m)m)"
        }
    }
}

/// A column to sort by and the direction.
struct ColumnSort {
    var column: String
    var descending: Bool
}

/// A generated stats query: filter, aggregates, groups, then optional sort, limit and fields.
struct StatsSpec {
    var filter: Filter
    var filterText: String
    var aggregates: [AggSpec]
    var groups: [GroupSpec]
    var sort: [ColumnSort] = []
    var limit: Int? = nil
    var fields: [String]? = nil

    /// Output columns before `fields`: groups, then aggregates.
    var columns: [String] { groups.map(\.name) + aggregates.map(\.name) }

    /// The query text.
    var text: String {
        var s = (filterText.isEmpty ? "" : filterText + " ") + "| stats " + aggregates.map(\.text).joined(separator: ", ")
        if !groups.isEmpty { s += " by " + groups.map(\.name).joined(separator: ", ") }
        if !sort.isEmpty { s += " | sort " + sort.map { $0.column + ($0.descending ? " desc" : "") }.joined(separator: ", ") }
        if let limit { s += " | limit \(limit)" }
        if let fields { s += " | fields " + fields.joined(separator: ", ") }
        return s
    }
}

/// A stage of a search without stats.
enum EntryStage {
    case sort([ColumnSort], withBy: Bool)
    case limit(Int)
    case fields([String])

    /// The stage as written after its `|`.
    var text: String {
        switch self {
        case .sort(let keys, let withBy):
            return "sort " + (withBy ? "by " : "") + keys.map { $0.column + ($0.descending ? " desc" : " asc") }.joined(separator: ", ")
        case .limit(let n): return "limit \(n)"
        case .fields(let f): return "fields " + f.joined(separator: ", ")
        }
    }
}

/// A generated search with `sort` / `limit` / `fields` stages.
struct EntryStagesQuery {
    var filter: Filter
    var filterText: String
    var stages: [EntryStage]
    /// The query text.
    var text: String { filterText + stages.map { " | " + $0.text }.joined() }
}

// MARK: - The query generator

/// The kinds of leaves the generator writes; every kind is generated on its own several times
/// and mixed into random trees.
enum LeafKind: String, CaseIterable {
    case termWord, termAbsent, termMixedCase, termNumber, termIP, termHex, termDecimal, termUnicode, termNoTokens
    case phrase, phraseReversed, phrasePunctuated
    case wildcardMessage, wildcardKeyword, wildcardField
    case regexMessage, regexKeyword, regexField
    case numericRange, numericComparison, stringRange
    case levelTerm, levelRange, levelPattern
    case exists, tags, id, fieldTerm, keywordTerm, namedMessage
}

/// Writes seeded random queries about the data set: leaves of every kind, trees of AND / OR /
/// NOT / `-` / `!` / parentheses up to depth 3, stats queries and searches with stages.
struct QueryGenerator {
    var dice: Dice
    let data: DataSet
    let rows: [Row]
    /// Texts of real `duration_ms` values and real trace ids, for exact-value queries.
    let durationTexts: [String]
    let traceIDs: [String]

    /// Single leaves of each kind, random trees, and the trees' leaf kinds (regexes over every
    /// message token are slow, so they are rare inside trees).
    static let leavesPerKind = 4
    static let randomTrees = 180
    static let treeKinds = LeafKind.allCases.filter { $0 != .regexMessage }

    init(dice: Dice, data: DataSet, rows: [Row]) {
        self.dice = dice
        self.data = data
        self.rows = rows
        var durations = [String](), traces = [String]()
        for r in rows {
            if case .float(let x)? = r.fields["duration_ms"] { durations.append("\(x)") }
            if case .string(let s)? = r.fields["trace_id"] { traces.append(s) }
        }
        durationTexts = durations
        traceIDs = traces
    }

    // MARK: Query lists

    /// Fixed edge cases, then every leaf kind on its own, then random trees.
    mutating func filterQueries() -> [GenQuery] {
        var out = Self.fixedQueries()
        for kind in LeafKind.allCases {
            for _ in 0..<Self.leavesPerKind {
                let l = leaf(kind)
                let text = renderLeaf(l)
                out.append(GenQuery(text: text, filter: .leaf(l)))
            }
        }
        for _ in 0..<Self.randomTrees {
            let f = tree(depth: 3)
            let text = render(f, .top)
            out.append(GenQuery(text: text, filter: f))
        }
        return out
    }

    /// Hand-written queries: empty, `*`, `*` inside AND/OR/NOT, precedence, nesting, `+`.
    static func fixedQueries() -> [GenQuery] {
        func term(_ w: String) -> Filter { .leaf(Leaf(name: nil, op: .term(w))) }
        let error = term("error"), timeout = term("timeout"), refused = term("refused"), failed = term("failed")
        let warnOrWorse = Filter.leaf(Leaf(name: "level", op: .range(lower: Bound(value: "warn", inclusive: true), upper: nil, comparison: true)))
        let api = Filter.leaf(Leaf(name: "service", op: .term("api")))
        let phrase = Filter.leaf(Leaf(name: nil, op: .phrase("connection refused")))
        return [
            GenQuery(text: "", filter: .all),
            GenQuery(text: "   ", filter: .all),
            GenQuery(text: "*", filter: .all),
            GenQuery(text: "* error", filter: .and([.all, error])),
            GenQuery(text: "error *", filter: .and([error, .all])),
            GenQuery(text: "NOT *", filter: .not(.all)),
            GenQuery(text: "* OR error", filter: .or([.all, error])),
            GenQuery(text: "error OR NOT error", filter: .or([error, .not(error)])),
            GenQuery(text: "-error -timeout", filter: .and([.not(error), .not(timeout)])),
            GenQuery(text: "error timeout OR refused", filter: .or([.and([error, timeout]), refused])),
            GenQuery(text: "error AND (timeout OR refused)", filter: .and([error, .or([timeout, refused])])),
            GenQuery(text: "NOT (error OR timeout) level:>=warn", filter: .and([.not(.or([error, timeout])), warnOrWorse])),
            GenQuery(text: "(((error)))", filter: error),
            GenQuery(text: "+error", filter: error),
            GenQuery(text: "\"connection refused\" -service:api", filter: .and([phrase, .not(api)])),
            GenQuery(text: "error OR timeout OR refused OR failed", filter: .or([error, timeout, refused, failed])),
            GenQuery(text: "error or timeout and not refused", filter: .or([error, .and([timeout, .not(refused)])])),
        ]
    }

    static let aggregatePool: [AggSpec] = [
        AggSpec(.count, "duration_ms"), AggSpec(.count, "user"),
        AggSpec(.sum, "status"), AggSpec(.sum, "duration_ms"), AggSpec(.sum, "code"),
        AggSpec(.avg, "duration_ms"), AggSpec(.avg, "status"),
        AggSpec(.min, "duration_ms"), AggSpec(.max, "duration_ms"), AggSpec(.min, "status"), AggSpec(.max, "status"),
        AggSpec(.min, "code"), AggSpec(.max, "code"),
        AggSpec(.percentile(50), "duration_ms"), AggSpec(.percentile(95), "duration_ms"), AggSpec(.percentile(99), "duration_ms"),
        AggSpec(.percentile(90), "status"), AggSpec(.median, "status"), AggSpec(.median, "duration_ms"),
        AggSpec(.countDistinct, "user"), AggSpec(.countDistinct, "region"), AggSpec(.countDistinct, "code"),
        AggSpec(.countDistinct, "host"),
    ]

    static let groupChoices: [[GroupSpec]] = [
        [], [], [.field("service")], [.field("host")], [.field("level")], [.field("severity")], [.field("region")],
        [.field("status")], [.field("tags")], [.field("tag")], [.bucket(minutes: 10)], [.bucket(minutes: 60)],
        [.field("code")], [.field("user")], [.field("service"), .field("level")],
        [.bucket(minutes: 30), .field("service")], [.field("region"), .field("tags")],
    ]

    /// Three fixed stats queries (everything; a filter matching nothing, which still gives one
    /// row; a top-N) and 45 random ones.
    mutating func statsQueries() -> [StatsSpec] {
        let nothing = Filter.leaf(Leaf(name: nil, op: .term("zebra_absent")))
        var out = [
            StatsSpec(filter: .all, filterText: "", aggregates: [AggSpec(.count)], groups: []),
            StatsSpec(filter: nothing, filterText: "zebra_absent",
                      aggregates: [AggSpec(.count), AggSpec(.avg, "duration_ms"), AggSpec(.percentile(50), "duration_ms"),
                                   AggSpec(.countDistinct, "user"), AggSpec(.sum, "status")],
                      groups: []),
            StatsSpec(filter: .all, filterText: "*", aggregates: [AggSpec(.count)], groups: [.field("service")],
                      sort: [ColumnSort(column: "count()", descending: true), ColumnSort(column: "service", descending: false)], limit: 3),
        ]
        for _ in 0..<45 { out.append(randomStats()) }
        return out
    }

    /// A random filter (or none), 1–5 distinct aggregates (some renamed with `as`), random `by`
    /// keys, and sometimes `sort` (fully ordered: an exact aggregate, then every group column),
    /// `limit` and `fields`.
    mutating func randomStats() -> StatsSpec {
        let (filter, filterText) = optionalFilter()
        var aggs = [AggSpec]()
        if dice.chance(0.7) { aggs.append(AggSpec(.count)) }
        let want = dice.int(1...5)
        for a in dice.shuffled(Self.aggregatePool) where aggs.count < want && !aggs.contains(where: { $0.call == a.call }) {
            aggs.append(a)
        }
        for i in aggs.indices where dice.chance(0.2) { aggs[i].alias = "a\(i)" }
        let groups = dice.pick(Self.groupChoices)
        var spec = StatsSpec(filter: filter, filterText: filterText, aggregates: aggs, groups: groups)
        if !groups.isEmpty && dice.chance(0.35) {
            let exact = aggs.filter(\.isOrderExact)
            var keys = [ColumnSort]()
            if !exact.isEmpty {
                let by = dice.pick(exact)
                keys.append(ColumnSort(column: by.name, descending: dice.chance(0.7)))
            }
            for g in groups { keys.append(ColumnSort(column: g.name, descending: keys.isEmpty)) }
            spec.sort = keys
            if dice.chance(0.6) { spec.limit = dice.int(1...8) }
        } else if !groups.isEmpty && dice.chance(0.15) {
            spec.limit = dice.int(1...4)
        }
        if dice.chance(0.15) {
            let columns = dice.shuffled(spec.columns)
            let keep = dice.int(1...columns.count)
            spec.fields = Array(columns.prefix(keep))
        }
        return spec
    }

    /// 16 searches with `sort` (1–2 keys, `by` optional), `limit` and `fields` in various orders.
    mutating func entryStageQueries() -> [EntryStagesQuery] {
        let sortable = ["duration_ms", "status", "timestamp", "host", "code", "trace_id"]
        var out = [EntryStagesQuery]()
        for i in 0..<16 {
            let (filter, filterText) = optionalFilter()
            var stages = [EntryStage]()
            if i % 4 != 3 {
                var keys = [ColumnSort]()
                for name in dice.shuffled(sortable).prefix(dice.int(1...2)) {
                    keys.append(ColumnSort(column: name, descending: dice.chance(0.5)))
                }
                let withBy = dice.chance(0.3)
                stages.append(.sort(keys, withBy: withBy))
            }
            if dice.chance(0.7) {
                let n = dice.int(1...40)
                // `limit` before `sort` keeps the newest N, then sorts them.
                if dice.chance(0.2) { stages.insert(.limit(n), at: 0) } else { stages.append(.limit(n)) }
            }
            if i % 4 == 3 || dice.chance(0.2) {
                let names = dice.pick([["service", "status"], ["timestamp", "duration_ms", "host"], ["message"]])
                stages.append(.fields(names))
            }
            out.append(EntryStagesQuery(filter: filter, filterText: filterText, stages: stages))
        }
        return out
    }

    /// A filter for a stats or stages query: none (empty or `*`) 30% of the time, else a small tree.
    mutating func optionalFilter() -> (Filter, String) {
        if dice.chance(0.3) { return (.all, dice.chance(0.5) ? "" : "*") }
        let f = tree(depth: 1)
        if case .all = f { return (.all, "*") }
        return (f, render(f, .top))
    }

    /// A random time window: unbounded 40% of the time, otherwise one instant, one partition,
    /// open on one side, or a random stretch of 1 minute to 2 hours.
    mutating func window() -> TimeWindow {
        let start = DataSet.start, hour = DataSet.hour
        switch dice.int(0..<10) {
        case 0..<4:
            return TimeWindow()
        case 4:
            let t = dice.pick(rows).entry.timestampNanos
            return TimeWindow(from: t, to: t)
        case 5:
            let k = Int64(dice.int(0...3))
            return TimeWindow(from: start + k * hour, to: start + (k + 1) * hour - 1)
        case 6:
            return TimeWindow(from: start + dice.int64(0..<DataSet.span), to: .max)
        case 7:
            return TimeWindow(from: .min, to: start + dice.int64(0..<DataSet.span))
        default:
            let from = start - 600_000_000_000 + dice.int64(0..<DataSet.span)
            return TimeWindow(from: from, to: from + dice.int64(60_000_000_000..<7_200_000_000_000))
        }
    }

    // MARK: Trees

    /// A random tree: a leaf (sometimes `*`), or AND / OR of 2–3 subtrees, NOT, or parentheses.
    mutating func tree(depth: Int) -> Filter {
        if depth == 0 || dice.chance(0.25) {
            if dice.chance(0.03) { return .all }
            let kind = dice.chance(0.02) ? LeafKind.regexMessage : dice.pick(Self.treeKinds)
            return .leaf(leaf(kind))
        }
        switch dice.int(0..<10) {
        case 0..<4: return .and(children(depth: depth - 1))
        case 4..<7: return .or(children(depth: depth - 1))
        case 7..<9:
            let x = tree(depth: depth - 1)
            return .not(x)
        default:
            let x = tree(depth: depth - 1)
            return .group(x)
        }
    }

    /// 2–3 random subtrees.
    mutating func children(depth: Int) -> [Filter] {
        var out = [Filter]()
        let n = dice.int(2...3)
        for _ in 0..<n { out.append(tree(depth: depth)) }
        return out
    }

    /// Where a subtree is written: decides which parentheses precedence needs.
    enum Context { case top, andChild, orChild, notChild }

    /// Writes `f` as query text: keywords in random case, AND explicit or by juxtaposition, NOT
    /// as `NOT`, `-` or `!`, and parentheses wherever precedence needs them.
    mutating func render(_ f: Filter, _ context: Context) -> String {
        switch f {
        case .all:
            return "*"
        case .leaf(let l):
            return renderLeaf(l)
        case .group(let x):
            return "(" + render(x, .top) + ")"
        case .not(let x):
            if case .leaf(let l) = x, dice.chance(0.5) {
                let prefix = dice.pick(["-", "!"])
                return prefix + renderLeaf(l)
            }
            let keyword = dice.pick(["NOT ", "not ", "Not "])
            return keyword + render(x, .notChild)
        case .and(let xs):
            var s = ""
            for (i, x) in xs.enumerated() {
                if i > 0 { s += dice.pick([" ", " ", " AND ", " and "]) }
                s += render(x, .andChild)
            }
            return context == .notChild ? "(" + s + ")" : s
        case .or(let xs):
            var s = ""
            for (i, x) in xs.enumerated() {
                if i > 0 { s += dice.pick([" OR ", " or ", " Or "]) }
                s += render(x, .orChild)
            }
            return context == .andChild || context == .notChild ? "(" + s + ")" : s
        }
    }

    /// Writes one leaf: `name:` then the value with the escapes, quotes, slashes or brackets its form needs.
    mutating func renderLeaf(_ l: Leaf) -> String {
        let prefix = l.name.map { $0 + ":" } ?? ""
        let bare = l.name == nil
        switch l.op {
        case .term(let v):
            return prefix + Self.escapeWord(v, bare: bare)
        case .phrase(let t):
            return prefix + Self.quote(t)
        case .wildcard(let parts):
            var s = ""
            for (i, p) in parts.enumerated() {
                switch p {
                case .star: s += "*"
                case .one: s += "?"
                case .literal(let c): s += Self.escape(c, leading: i == 0, bare: bare)
                }
            }
            return prefix + s
        case .regex(let p):
            var s = ""
            for c in p { s += c == "/" ? #"\/"# : String(c) }
            return prefix + "/" + s + "/"
        case .range(let lo, let hi, let comparison):
            if comparison {
                if let lo { return prefix + (lo.inclusive ? ">=" : ">") + Self.escapeWord(lo.value, bare: false) }
                if let hi { return prefix + (hi.inclusive ? "<=" : "<") + Self.escapeWord(hi.value, bare: false) }
                return prefix + "*"
            }
            // The bracket of an open end does not matter; pick either.
            var openInclusive = dice.chance(0.5), closeInclusive = dice.chance(0.5)
            if let lo { openInclusive = lo.inclusive }
            if let hi { closeInclusive = hi.inclusive }
            let open = openInclusive ? "[" : "{"
            let close = closeInclusive ? "]" : "}"
            let lower = renderBound(lo), to = dice.pick(["TO", "to", "To"]), upper = renderBound(hi)
            return prefix + open + lower + " " + to + " " + upper + close
        case .exists(let star):
            let name = l.name ?? "message"
            return star ? name + ":*" : "_exists_:" + name
        }
    }

    /// A range bound: `*` when open, quoted when needed (and sometimes when not).
    mutating func renderBound(_ b: Bound?) -> String {
        guard let b else { return "*" }
        let special: Set<Character> = [" ", "\t", "]", "}", "\"", "\\"]
        let needsQuotes = b.value.isEmpty || b.value == "*" || b.value.contains(where: { special.contains($0) })
        if needsQuotes { return Self.quote(b.value) }
        return dice.chance(0.15) ? Self.quote(b.value) : b.value
    }

    /// `c` with a backslash if the lexer would otherwise treat it specially: always for space,
    /// parentheses, pipe, colon, backslash, quote, `*` and `?`; at the start of a word also for
    /// `-` `!` `+` `/` (bare terms) or `/` `[` `{` `>` `<` (field values).
    static func escape(_ c: Character, leading: Bool, bare: Bool) -> String {
        let always: Set<Character> = [" ", "\t", "(", ")", "|", ":", "\\", "\"", "*", "?"]
        let atStart: Set<Character> = bare ? ["-", "!", "+", "/"] : ["/", "[", "{", ">", "<"]
        return always.contains(c) || (leading && atStart.contains(c)) ? "\\" + String(c) : String(c)
    }

    /// A word with its special characters escaped; a bare `AND`/`OR`/`NOT` gets a backslash too.
    static func escapeWord(_ v: String, bare: Bool) -> String {
        var s = ""
        for (i, c) in v.enumerated() { s += escape(c, leading: i == 0, bare: bare) }
        if bare && ["AND", "OR", "NOT"].contains(v.uppercased()) { s = "\\" + s }
        return s
    }

    /// `"text"` with `\` and `"` escaped.
    static func quote(_ t: String) -> String {
        var s = "\""
        for c in t {
            if c == "\\" || c == "\"" { s += "\\" }
            s.append(c)
        }
        return s + "\""
    }

    /// A plain pattern: `*` and `?` are wildcards, everything else literal.
    static func glob(_ pattern: String) -> [GlobPart] {
        pattern.map { (c: Character) -> GlobPart in c == "*" ? .star : (c == "?" ? .one : .literal(c)) }
    }

    // MARK: Leaves

    /// A random row whose message has at least `n` tokens.
    mutating func rowWithTokens(_ n: Int) -> Row {
        for _ in 0..<200 {
            let r = dice.pick(rows)
            if r.tokens.count >= n { return r }
        }
        return rows.first { $0.tokens.count >= n } ?? rows[0]
    }

    /// `s` as is, lower-cased, upper-cased or capitalised (ASCII words only).
    mutating func recase(_ s: String) -> String {
        guard s.allSatisfy(\.isASCII) else { return s }
        switch dice.int(0..<4) {
        case 0: return s
        case 1: return s.lowercased()
        case 2: return s.uppercased()
        default: return s.prefix(1).uppercased() + s.dropFirst()
        }
    }

    /// The name of a full-text leaf: none most of the time, else a message alias.
    mutating func messageName() -> String? {
        dice.chance(0.75) ? nil : dice.pick(["message", "msg", "_msg", "Message"])
    }

    /// A random leaf of `kind`, built from values that occur in the data (and some that do not).
    mutating func leaf(_ kind: LeafKind) -> Leaf {
        switch kind {
        case .termWord:
            let row = rowWithTokens(1)
            let word = dice.pick(row.tokens)
            return Leaf(name: messageName(), op: .term(recase(word)))
        case .termAbsent:
            return Leaf(name: nil, op: .term(dice.pick(["zebra", "quokka", "errors", "time", "nonexistent_word", "10.0.0.99",
                                                        "deadbeefcafe", "caf", "日本語"])))
        case .termMixedCase:
            let word = dice.pick(DataSet.vocabulary)
            var s = ""
            for c in word { s += dice.chance(0.5) ? c.uppercased() : c.lowercased() }
            return Leaf(name: nil, op: .term(s))
        case .termNumber:
            for _ in 0..<100 {
                let row = dice.pick(rows)
                let numbers = row.tokens.filter { $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
                if !numbers.isEmpty { return Leaf(name: nil, op: .term(dice.pick(numbers))) }
            }
            return Leaf(name: nil, op: .term("404"))
        case .termIP:
            var ip = dice.chance(0.15) ? "10.0.0.99" : dice.pick(DataSet.ipPool)
            if dice.chance(0.25) { ip += ":5432" }
            return Leaf(name: messageName(), op: .term(ip))
        case .termHex:
            let hex = dice.pick(data.hexIds)
            return Leaf(name: nil, op: .term(recase(hex)))
        case .termDecimal:
            let d = data.decimals.isEmpty ? "12.5ms" : dice.pick(data.decimals)
            return Leaf(name: nil, op: .term(recase(d)))
        case .termUnicode:
            return Leaf(name: nil, op: .term(dice.pick(DataSet.unicodeWords + ["日本語", "cafe"])))
        case .termNoTokens:
            return Leaf(name: nil, op: .term(dice.pick(["...", "@@", "=", "%%", "#"])))
        case .phrase, .phraseReversed:
            let row = rowWithTokens(2)
            let len = min(dice.int(2...3), row.tokens.count)
            let from = dice.int(0...(row.tokens.count - len))
            var words = [String]()
            for t in row.tokens[from..<(from + len)] { words.append(recase(t)) }
            if kind == .phraseReversed { words.reverse() }
            return Leaf(name: messageName(), op: .phrase(words.joined(separator: " ")))
        case .phrasePunctuated:
            // The original text between two to four consecutive tokens, punctuation included.
            let row = rowWithTokens(2)
            let len = min(dice.int(2...4), row.tokens.count)
            let from = dice.int(0...(row.tokens.count - len))
            let bytes = Array(row.entry.message.utf8)
            let text = String(decoding: bytes[row.tokenRanges[from].lowerBound..<row.tokenRanges[from + len - 1].upperBound], as: UTF8.self)
            return Leaf(name: messageName(), op: .phrase(text))
        case .wildcardMessage:
            return Leaf(name: messageName(), op: .wildcard(messageWildcard()))
        case .wildcardKeyword:
            let (name, pattern) = dice.pick(Self.keywordWildcards)
            return Leaf(name: name, op: .wildcard(Self.glob(pattern)))
        case .wildcardField:
            switch dice.int(0..<10) {
            case 0:
                return Leaf(name: "user", op: .wildcard(Self.glob("eve") + [.literal(" "), .star]))
            case 1:
                let trace = dice.pick(traceIDs)
                return Leaf(name: "trace_id", op: .wildcard(Self.glob(String(trace.prefix(2)) + "*")))
            default:
                let (name, pattern) = dice.pick(Self.fieldWildcards)
                return Leaf(name: name, op: .wildcard(Self.glob(pattern)))
            }
        case .regexMessage:
            return Leaf(name: messageName(), op: .regex(dice.pick(Self.messageRegexes)))
        case .regexKeyword:
            if dice.chance(0.15) {
                let row = dice.pick(rows)
                return Leaf(name: "_id", op: .regex(String(row.idText.prefix(6)).uppercased() + ".*"))
            }
            let (name, pattern) = dice.pick(Self.keywordRegexes)
            return Leaf(name: name, op: .regex(pattern))
        case .regexField:
            if dice.chance(0.1) {
                let trace = dice.pick(traceIDs)
                return Leaf(name: "trace_id", op: .regex(String(trace.prefix(3)) + ".*"))
            }
            let (name, pattern) = dice.pick(Self.fieldRegexes)
            return Leaf(name: name, op: .regex(pattern))
        case .numericRange:
            return numericRange()
        case .numericComparison:
            let (name, values) = dice.pick(Self.numericBounds)
            let b = Bound(value: dice.pick(values), inclusive: dice.chance(0.5))
            if dice.chance(0.5) { return Leaf(name: name, op: .range(lower: b, upper: nil, comparison: true)) }
            return Leaf(name: name, op: .range(lower: nil, upper: b, comparison: true))
        case .stringRange:
            return stringRange()
        case .levelTerm:
            let name = dice.pick(["level", "severity", "LEVEL", "Level"])
            let value = dice.pick(Self.levelSpellings)
            return Leaf(name: name, op: dice.chance(0.15) ? .phrase(value) : .term(value))
        case .levelRange:
            let bounds = ["debug", "info", "warn", "error", "fatal", "err", "WARN", "trace"]
            let lo = Bound(value: dice.pick(bounds), inclusive: dice.chance(0.5))
            let hi = Bound(value: dice.pick(bounds), inclusive: dice.chance(0.5))
            switch dice.int(0..<6) {
            case 0: return Leaf(name: "level", op: .range(lower: lo, upper: nil, comparison: true))
            case 1: return Leaf(name: "severity", op: .range(lower: nil, upper: hi, comparison: true))
            case 2: return Leaf(name: "level", op: .range(lower: nil, upper: hi, comparison: false))
            case 3: return Leaf(name: "level", op: .range(lower: lo, upper: nil, comparison: false))
            default: return Leaf(name: "level", op: .range(lower: lo, upper: hi, comparison: false))
            }
        case .levelPattern:
            let name = dice.pick(["level", "severity"])
            if dice.chance(0.5) {
                return Leaf(name: name, op: .wildcard(Self.glob(dice.pick(["WARN*", "e*", "*O*", "?NFO", "f*l", "*r*", "D?BUG"]))))
            }
            return Leaf(name: name, op: .regex(dice.pick(["(warn|error)", "E.*", ".*a.*", "info", "DEBUG|TRACE", "f?atal"])))
        case .exists:
            return Leaf(name: dice.pick(Self.existsNames), op: .exists(star: dice.chance(0.3)))
        case .tags:
            let name = dice.pick(["tags", "tag", "TAGS"])
            let value = dice.pick(["canary", "eu", "blue", "Canary", "absent"])
            return Leaf(name: name, op: dice.chance(0.2) ? .phrase(value) : .term(value))
        case .id:
            return idLeaf()
        case .fieldTerm:
            return fieldTerm()
        case .keywordTerm:
            return keywordTerm()
        case .namedMessage:
            return namedMessage()
        }
    }

    static let keywordWildcards: [(String, String)] = [
        ("host", "web-0*"), ("host", "web-1?"), ("HOST", "*-1"), ("host", "db-*"), ("host", "WEB-*"), ("host", "w?b-0?"),
        ("service", "api*"), ("service", "*-gateway"), ("Service", "pay*"), ("service", "a?th"), ("service", "*t*"),
        ("source", "/var/log/*"), ("source", "*.log"), ("source", "std*"),
        ("tags", "can*"), ("tag", "e?"), ("tags", "*ry"), ("tags", "CAN*"),
    ]

    static let fieldWildcards: [(String, String)] = [
        ("user", "a*"), ("user", "*smith"), ("user", "Zo*"), ("user", "?ob"), ("user", "ALI*"),
        ("region", "eu-*"), ("region", "*-1"), ("region", "us-?ast-1"),
        ("duration_ms", "12*"), ("duration_ms", "*.5"), ("duration_ms", "1?.0"),
        ("status", "5*"), ("status", "4?4"), ("status", "20?"),
        ("code", "E*"), ("code", "*5*"), ("http.method", "P*"), ("ok", "t*"),
    ]

    static let messageRegexes = ["time(d)?out", "err(or)?", "[0-9]+", "5[0-9]{3}", "ca.*", "[a-f0-9]{8,}", "(get|post)",
                                 "10", "ERROR", "db_.*", "..", "x+", "caf.", "日本", "[0-9]+ms"]

    static let keywordRegexes: [(String, String)] = [
        ("host", "web-0[1-3]"), ("host", "web-1[0-2]"), ("host", "db-[0-9]"), ("host", "WEB-01"), ("host", ".*-0[5-9]"),
        ("service", "api(-gateway)?"), ("service", "pay.*"), ("service", "[a-c].*"),
        ("source", "/var/log/.*"), ("source", "std(out|err)"),
        ("tags", "can.*"), ("tag", "e[uU]"), ("id", "[0-9a-f]{32}"),
    ]

    static let fieldRegexes: [(String, String)] = [
        ("user", "[a-c].*"), ("user", "Zo.*"), ("user", "eve .*"), ("user", "ALICE"),
        ("region", "eu-.*"), ("region", "(us|sa)-.*-[0-9]"),
        ("status", "5[0-9][0-9]"), ("status", "20[0-4]"), ("trace_id", "[0-9a-f]{32}"),
        ("duration_ms", #"[0-9]+\.5"#), ("duration_ms", #"1[0-9]{2}\..*"#),
        ("code", "E[0-9]+"), ("code", "[0-9]"), ("ok", "t.*"), ("http.method", "(GET|POST)"),
    ]

    static let numericBounds: [(String, [String])] = [
        ("status", ["0", "199", "200", "299", "300", "404", "499", "500", "503", "599", "600", "250.5", "500.0"]),
        ("duration_ms", ["0", "10", "12.5", "99.99", "100", "500", "500.0", "1000", "2999.99", "3000"]),
        ("code", ["1", "3", "5", "7", "7.5", "9"]),
        ("attempt", ["1", "2", "3", "5"]),
    ]

    static let stringBounds: [(String, [String])] = [
        ("host", ["db", "db-1", "web-01", "web-03", "web-07", "web-09", "web-1", "web-10", "web-12", "x"]),
        ("region", ["EU", "ap", "eu", "eu-west-1", "us", "us-east-1", "z"]),
        ("user", ["A", "Zz", "a", "bob", "c", "eve", "z"]),
        ("service", ["a", "api", "api-gateway", "auth", "p", "z"]),
        ("source", ["/", "/var/log/b", "s", "t"]),
        ("tags", ["a", "c", "canary", "d", "eu", "f"]),
        ("code", ["A", "E", "a", "p", "z"]),
    ]

    static let levelSpellings = ["error", "ERROR", "err", "Error", "warn", "warning", "WARN", "info", "information",
                                 "notice", "debug", "trace", "fatal", "crit", "panic", "e", "W", "3", "7"]

    static let existsNames = ["user", "code", "attempt", "http.method", "nope", "User", "level", "LEVEL", "severity",
                              "service", "source", "host", "tags", "tag", "message", "msg", "id", "trace_id", "ok", "duration_ms"]

    /// A wildcard from a real token: prefix*, *suffix, one `?`, first*last or *middle*, sometimes upper-cased.
    mutating func messageWildcard() -> [GlobPart] {
        let row = rowWithTokens(1)
        let candidates = row.tokens.filter { $0.count >= 2 }
        let chars = Array(candidates.isEmpty ? "error" : dice.pick(candidates))
        var parts: [GlobPart]
        switch dice.int(0..<5) {
        case 0:
            let k = dice.int(1..<chars.count)
            parts = chars[..<k].map { GlobPart.literal($0) } + [.star]
        case 1:
            let k = dice.int(1..<chars.count)
            parts = [GlobPart.star] + chars[k...].map { GlobPart.literal($0) }
        case 2:
            // `?` is one byte, so it only replaces an ASCII character.
            parts = chars.map { GlobPart.literal($0) }
            let ascii = chars.indices.filter { chars[$0].isASCII }
            if ascii.isEmpty { parts.append(.star) } else { parts[dice.pick(ascii)] = .one }
        case 3:
            parts = [.literal(chars[0]), .star, .literal(chars[chars.count - 1])]
        default:
            if chars.count >= 3 {
                parts = [GlobPart.star] + chars[1..<(chars.count - 1)].map { GlobPart.literal($0) } + [GlobPart.star]
            } else {
                parts = [.literal(chars[0]), .star]
            }
        }
        if dice.chance(0.3) {
            parts = parts.map { (p: GlobPart) -> GlobPart in
                if case .literal(let c) = p, c.isASCII { return .literal(Character(c.uppercased())) }
                return p
            }
        }
        return parts
    }

    /// `[a TO b]` / `{a TO b}` / mixed on a numeric field, one end sometimes open.
    mutating func numericRange() -> Leaf {
        let (name, base) = dice.pick(Self.numericBounds)
        var values = base
        if name == "duration_ms" && !durationTexts.isEmpty { values.append(dice.pick(durationTexts)) }
        var lo = Bound(value: dice.pick(values), inclusive: dice.chance(0.5))
        var hi = Bound(value: dice.pick(values), inclusive: dice.chance(0.5))
        if Double(lo.value)! > Double(hi.value)! && dice.chance(0.8) { swap(&lo.value, &hi.value) }
        switch dice.int(0..<6) {
        case 0: return Leaf(name: name, op: .range(lower: nil, upper: hi, comparison: false))
        case 1: return Leaf(name: name, op: .range(lower: lo, upper: nil, comparison: false))
        default: return Leaf(name: name, op: .range(lower: lo, upper: hi, comparison: false))
        }
    }

    /// A bytewise range on a keyword column, tags, a string field or the id (`[a TO b]` or a comparison).
    mutating func stringRange() -> Leaf {
        var (name, values) = dice.pick(Self.stringBounds)
        if dice.chance(0.1) {
            name = dice.pick(["id", "_id"])
            let a = dice.pick(rows).idText, b = dice.pick(rows).idText
            values = [min(a, b), max(a, b)]
        }
        var lo = Bound(value: dice.pick(values), inclusive: dice.chance(0.5))
        var hi = Bound(value: dice.pick(values), inclusive: dice.chance(0.5))
        if !lo.value.utf8.lexicographicallyPrecedes(hi.value.utf8) && dice.chance(0.8) { swap(&lo.value, &hi.value) }
        switch dice.int(0..<8) {
        case 0: return Leaf(name: name, op: .range(lower: lo, upper: nil, comparison: true))
        case 1: return Leaf(name: name, op: .range(lower: nil, upper: hi, comparison: true))
        case 2: return Leaf(name: name, op: .range(lower: nil, upper: hi, comparison: false))
        case 3: return Leaf(name: name, op: .range(lower: lo, upper: nil, comparison: false))
        default: return Leaf(name: name, op: .range(lower: lo, upper: hi, comparison: false))
        }
    }

    /// `id:` of a real entry (as a term, a phrase or an upper-cased wildcard prefix), of an
    /// altered one, or of a random id.
    mutating func idLeaf() -> Leaf {
        let row = dice.pick(rows)
        let name = dice.pick(["id", "_id", "ID"])
        switch dice.int(0..<10) {
        case 0..<5:
            return Leaf(name: name, op: .term(row.idText))
        case 5:
            return Leaf(name: name, op: .phrase(row.idText))
        case 6:
            let last = row.idText.last == "0" ? "1" : "0"
            return Leaf(name: name, op: .term(String(row.idText.dropLast()) + last))
        case 7:
            return Leaf(name: name, op: .term(dice.hex(32)))
        default:
            let keep = dice.int(10...28)
            return Leaf(name: name, op: .wildcard(Self.glob(String(row.idText.prefix(keep)).uppercased() + "*")))
        }
    }

    /// `field:value` on dynamic fields: numbers (also `500.0` against ints), strings, bools,
    /// the mixed-type field, a dotted key, and keys in the wrong case (which match nothing).
    mutating func fieldTerm() -> Leaf {
        switch dice.int(0..<16) {
        case 0, 1: return Leaf(name: "status", op: .term(dice.pick(["200", "404", "500", "503", "999", "500.0"])))
        case 2:
            let d = durationTexts.isEmpty ? "12.5" : dice.pick(durationTexts)
            return Leaf(name: "duration_ms", op: .term(d))
        case 3: return Leaf(name: "duration_ms", op: .term(dice.pick(["500", "1000", "0", "500.0"])))
        case 4: return Leaf(name: "user", op: .term(dice.pick(["alice", "ALICE", "bob", "mallory"])))
        case 5: return Leaf(name: "user", op: .phrase(dice.pick(["eve smith", "Zoë Müller", "eve"])))
        case 6: return Leaf(name: "user", op: .term("eve smith"))
        case 7: return Leaf(name: "region", op: .term(dice.pick(["eu-west-1", "EU", "us-east-1", "eu"])))
        case 8: return Leaf(name: "ok", op: .term(dice.pick(["true", "false"])))
        case 9, 10: return Leaf(name: "code", op: .term(dice.pick(["7", "E42", "2.5", "5xx", "3"])))
        case 11: return Leaf(name: "http.method", op: .term(dice.pick(["GET", "POST", "get"])))
        case 12: return Leaf(name: "trace_id", op: .term(dice.pick(traceIDs)))
        case 13: return Leaf(name: "attempt", op: .term(dice.pick(["1", "3", "5"])))
        default:
            let (name, value) = dice.pick([("USER", "alice"), ("Status", "200"), ("Region", "EU")])
            return Leaf(name: name, op: .term(value))
        }
    }

    /// `service:`, `host:`, `source:` (names in any case) with exact values, phrases and
    /// near misses.
    mutating func keywordTerm() -> Leaf {
        switch dice.int(0..<7) {
        case 0: return Leaf(name: "service", op: .term(dice.pick(["api", "api-gateway", "API", "checkout", "api-"])))
        case 1: return Leaf(name: "SERVICE", op: .term("auth"))
        case 2: return Leaf(name: "host", op: .term(dice.pick(DataSet.hosts)))
        case 3: return Leaf(name: "Host", op: .phrase(dice.pick(["db-1", "web-01", "web 1"])))
        case 4: return Leaf(name: "source", op: .term(dice.pick(["stdout", "/var/log/app.log", "journald"])))
        case 5: return Leaf(name: "source", op: .phrase("/var/log/nginx/access.log"))
        default: return Leaf(name: "service", op: .term(dice.pick(DataSet.services.filter { !$0.isEmpty })))
        }
    }

    /// Full-text leaves written with `message:` / `msg:` / `_msg:`, including a range (nothing).
    mutating func namedMessage() -> Leaf {
        switch dice.int(0..<7) {
        case 0: return Leaf(name: "message", op: .term("error"))
        case 1: return Leaf(name: "msg", op: .phrase("connection refused"))
        case 2: return Leaf(name: "_msg", op: .wildcard(Self.glob("time*")))
        case 3: return Leaf(name: "MESSAGE", op: .regex("err(or)?"))
        case 4: return Leaf(name: "message", op: .range(lower: Bound(value: "a", inclusive: true), upper: Bound(value: "z", inclusive: true), comparison: false))
        case 5: return Leaf(name: "msg", op: .term("10.0.0.7"))
        default:
            let word = dice.pick(DataSet.vocabulary)
            return Leaf(name: "Msg", op: .term(recase(word)))
        }
    }
}

// MARK: - The oracle

/// A brute-force evaluator of docs/query-language.md over the stored entries: its own
/// tokenizer, glob and range rules, Swift `Regex` with `wholeMatch`, and its own aggregation.
struct Oracle {
    let rows: [Row]
    let index: [LogID: Int]

    init(rows: [Row]) {
        self.rows = rows
        index = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1.id, $0) })
    }

    // MARK: Tokens

    /// A token of a message and its byte range.
    struct Token {
        var text: String
        var range: Range<Int>
    }

    /// Maximal runs of ASCII letters, digits, `_` and bytes ≥ 0x80, ASCII-lower-cased.
    static func tokenize(_ text: String) -> [Token] {
        let bytes = Array(text.utf8)
        var out = [Token]()
        var i = 0
        while i < bytes.count {
            guard isTokenByte(bytes[i]) else { i += 1; continue }
            let start = i
            var token = [UInt8]()
            while i < bytes.count && isTokenByte(bytes[i]) {
                let c = bytes[i]
                token.append(c >= 0x41 && c <= 0x5A ? c + 0x20 : c)
                i += 1
            }
            out.append(Token(text: String(decoding: token, as: UTF8.self), range: start..<i))
        }
        return out
    }

    /// ASCII letters and digits, `_`, and every byte of a non-ASCII character.
    static func isTokenByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c >= 0x80
    }

    /// Whether `q` (non-empty) occurs as a contiguous run of `tokens`.
    static func containsRun(_ tokens: [String], _ q: [String]) -> Bool {
        guard !q.isEmpty && q.count <= tokens.count else { return false }
        for s in 0...(tokens.count - q.count) where tokens[s] == q[0] {
            var all = true
            for k in 1..<q.count where tokens[s + k] != q[k] {
                all = false
                break
            }
            if all { return true }
        }
        return false
    }

    // MARK: Filters

    /// Indices of the rows matching `f` whose time is in `window`.
    func matching(_ f: Filter, _ window: TimeWindow) -> [Int] {
        let mask = evaluate(f)
        return rows.indices.filter { mask[$0] && window.contains(rows[$0].entry.timestampNanos) }
    }

    /// `indices` newest first: by time, then sequence, descending.
    func newestFirst(_ indices: [Int]) -> [Int] {
        indices.sorted { a, b in
            let x = rows[a].entry, y = rows[b].entry
            return (x.timestampNanos, x.sequence) > (y.timestampNanos, y.sequence)
        }
    }

    /// One Bool per row.
    func evaluate(_ f: Filter) -> [Bool] {
        switch f {
        case .all:
            return [Bool](repeating: true, count: rows.count)
        case .leaf(let l):
            return leaf(l)
        case .group(let x):
            return evaluate(x)
        case .not(let x):
            return evaluate(x).map { !$0 }
        case .and(let xs):
            var acc = [Bool](repeating: true, count: rows.count)
            for x in xs {
                let v = evaluate(x)
                for i in acc.indices { acc[i] = acc[i] && v[i] }
            }
            return acc
        case .or(let xs):
            var acc = [Bool](repeating: false, count: rows.count)
            for x in xs {
                let v = evaluate(x)
                for i in acc.indices { acc[i] = acc[i] || v[i] }
            }
            return acc
        }
    }

    /// No row.
    var none: [Bool] { [Bool](repeating: false, count: rows.count) }

    /// One Bool per row for a leaf, dispatched on what its name refers to.
    func leaf(_ l: Leaf) -> [Bool] {
        switch Target(l.name) {
        case .message: return message(l.op)
        case .level: return level(l.op)
        case .service: return keyword(l.op) { $0.entry.service }
        case .host: return keyword(l.op) { $0.entry.host }
        case .source: return keyword(l.op) { $0.entry.source }
        case .tags:
            if case .exists = l.op { return rows.map { !$0.entry.tags.isEmpty } }
            let test = stringTest(l.op, ignoreCase: false)
            return rows.map { $0.entry.tags.contains(where: test) }
        case .id:
            if case .exists = l.op { return [Bool](repeating: true, count: rows.count) }
            let test = stringTest(l.op, ignoreCase: true)
            return rows.map { test($0.idText) }
        case .field(let key):
            return field(key, l.op)
        }
    }

    /// Full text: terms and phrases are token runs; wildcards and regexes test single tokens
    /// case-insensitively; ranges match nothing; `_exists_` means a non-empty message.
    func message(_ op: LeafOp) -> [Bool] {
        switch op {
        case .term(let v), .phrase(let v):
            let q = Self.tokenize(v).map(\.text)
            if q.isEmpty { return none }
            return rows.map { Self.containsRun($0.tokens, q) }
        case .wildcard, .regex:
            let test = stringTest(op, ignoreCase: true)
            var memo = [String: Bool]()
            return rows.map { row in
                row.tokens.contains { token in
                    if let known = memo[token] { return known }
                    let r = test(token)
                    memo[token] = r
                    return r
                }
            }
        case .range:
            return none
        case .exists:
            return rows.map { !$0.entry.message.isEmpty }
        }
    }

    /// Levels: terms normalised like at ingest; wildcards and regexes on the upper-case name
    /// (never the unknown level); ranges by severity with unknown below DEBUG.
    func level(_ op: LeafOp) -> [Bool] {
        switch op {
        case .term(let v), .phrase(let v):
            guard let want = LogLevel.normalise(v) else { return none }
            return rows.map { $0.entry.level == want }
        case .wildcard, .regex:
            let test = stringTest(op, ignoreCase: true)
            return rows.map { $0.entry.level != .unknown && test(Self.levelName($0.entry.level)) }
        case .range(let lo, let hi, _):
            var loRank: Int? = nil, hiRank: Int? = nil
            if let lo {
                guard let l = LogLevel.normalise(lo.value) else { return none }
                loRank = Self.severity(l)
            }
            if let hi {
                guard let h = LogLevel.normalise(hi.value) else { return none }
                hiRank = Self.severity(h)
            }
            return rows.map { row in
                let s = Self.severity(row.entry.level)
                if let lo, let loRank, s < loRank || (s == loRank && !lo.inclusive) { return false }
                if let hi, let hiRank, s > hiRank || (s == hiRank && !hi.inclusive) { return false }
                return true
            }
        case .exists:
            return rows.map { $0.entry.level != .unknown }
        }
    }

    /// service / host / source: exact and case-sensitive; `_exists_` means non-empty.
    func keyword(_ op: LeafOp, _ value: (Row) -> String) -> [Bool] {
        let test = stringTest(op, ignoreCase: false)
        return rows.map { test(value($0)) }
    }

    /// Dynamic fields: a row lacking the field never matches.
    func field(_ key: String, _ op: LeafOp) -> [Bool] {
        let test: (FieldValue) -> Bool
        switch op {
        case .exists:
            test = { _ in true }
        case .term(let w), .phrase(let w):
            test = { Self.termMatches($0, w) }
        case .wildcard, .regex:
            let t = stringTest(op, ignoreCase: false)
            test = { t(Self.text($0)) }
        case .range(let lo, let hi, _):
            test = { Self.inRange($0, lo, hi) }
        }
        return rows.map { row in row.fields[key].map(test) ?? false }
    }

    /// The test of one text value (a keyword, a tag, the id, a level name, a token, a field's
    /// text): byte equality, whole-value glob or regex, bytewise range, non-empty.
    func stringTest(_ op: LeafOp, ignoreCase: Bool) -> (String) -> Bool {
        switch op {
        case .term(let v), .phrase(let v):
            return { $0.utf8.elementsEqual(v.utf8) }
        case .wildcard(let parts):
            let g = GlobMatcher(parts, ignoreCase: ignoreCase)
            return { g.matches($0) }
        case .regex(let p):
            guard let compiled = try? Regex(p) else {
                Issue.record("the test's regex /\(p)/ does not compile")
                return { _ in false }
            }
            let re = ignoreCase ? compiled.ignoresCase() : compiled
            return { (try? re.wholeMatch(in: $0)) != nil }
        case .range(let lo, let hi, _):
            return { Self.bytesInRange($0, lo, hi) }
        case .exists:
            return { !$0.isEmpty }
        }
    }

    /// `field:w`: numbers compare numerically with int and float values, `true`/`false` with
    /// bools, and the text byte for byte with strings.
    static func termMatches(_ v: FieldValue, _ w: String) -> Bool {
        switch v {
        case .int(let x): return Double(w).map { Double(x) == $0 } ?? false
        case .float(let x): return Double(w).map { x == $0 } ?? false
        case .bool(let b): return w == (b ? "true" : "false")
        case .string(let s), .json(let s): return s.utf8.elementsEqual(w.utf8)
        }
    }

    /// A numeric bound compares numerically with int and float values (strings and bools never
    /// match); a non-numeric bound bytewise with string values (numbers never match).
    static func inRange(_ v: FieldValue, _ lo: Bound?, _ hi: Bound?) -> Bool {
        for (bound, isLower) in [(lo, true), (hi, false)] {
            guard let bound else { continue }
            let order: Int
            if let d = Double(bound.value) {
                switch v {
                case .int(let x): order = compare(Double(x), d)
                case .float(let x): order = compare(x, d)
                default: return false
                }
            } else {
                guard case .string(let s) = v else { return false }
                order = compareBytes(s, bound.value)
            }
            if isLower && (order < 0 || (order == 0 && !bound.inclusive)) { return false }
            if !isLower && (order > 0 || (order == 0 && !bound.inclusive)) { return false }
        }
        return true
    }

    /// Bytewise range on a text value.
    static func bytesInRange(_ s: String, _ lo: Bound?, _ hi: Bound?) -> Bool {
        if let lo {
            let c = compareBytes(s, lo.value)
            if c < 0 || (c == 0 && !lo.inclusive) { return false }
        }
        if let hi {
            let c = compareBytes(s, hi.value)
            if c > 0 || (c == 0 && !hi.inclusive) { return false }
        }
        return true
    }

    /// -1, 0 or 1 as `a` is below, equal to or above `b`.
    static func compare(_ a: Double, _ b: Double) -> Int { a < b ? -1 : (a > b ? 1 : 0) }

    /// -1, 0 or 1 comparing UTF-8 bytes (unsigned; a proper prefix sorts first).
    static func compareBytes(_ a: String, _ b: String) -> Int {
        if a.utf8.elementsEqual(b.utf8) { return 0 }
        return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
    }

    /// A field value's text as JSON output writes it.
    static func text(_ v: FieldValue) -> String {
        switch v {
        case .int(let x): return String(x)
        case .float(let x): return "\(x)"
        case .bool(let b): return b ? "true" : "false"
        case .string(let s), .json(let s): return s
        }
    }

    /// The upper-case name of a level (empty for unknown).
    static func levelName(_ l: LogLevel) -> String {
        switch l {
        case .unknown: return ""
        case .debug: return "DEBUG"
        case .info: return "INFO"
        case .warn: return "WARN"
        case .error: return "ERROR"
        case .fatal: return "FATAL"
        }
    }

    /// unknown < DEBUG < INFO < WARN < ERROR < FATAL.
    static func severity(_ l: LogLevel) -> Int {
        switch l {
        case .unknown: return 0
        case .debug: return 1
        case .info: return 2
        case .warn: return 3
        case .error: return 4
        case .fatal: return 5
        }
    }

    // MARK: Values, cells, order

    /// The value a name refers to, nil when absent (system columns: when empty; the level: when unknown).
    func value(_ target: Target, _ row: Row) -> FieldValue? {
        func nonEmpty(_ s: String) -> FieldValue? { s.isEmpty ? nil : .string(s) }
        switch target {
        case .message: return nonEmpty(row.entry.message)
        case .level: return row.entry.level == .unknown ? nil : .string(Self.levelName(row.entry.level))
        case .service: return nonEmpty(row.entry.service)
        case .host: return nonEmpty(row.entry.host)
        case .source: return nonEmpty(row.entry.source)
        case .tags: return nonEmpty(row.entry.tags.joined(separator: ","))
        case .id: return .string(row.idText)
        case .field(let k): return row.fields[k]
        }
    }

    /// A value as an output cell: numbers stay numbers, everything else is text.
    static func cell(_ v: FieldValue) -> CellValue {
        switch v {
        case .int(let x): return .int(x)
        case .float(let x): return .double(x)
        default: return .string(text(v))
        }
    }

    /// null first, then numbers numerically, then strings bytewise.
    static func cellLess(_ a: CellValue, _ b: CellValue) -> Bool {
        func kind(_ c: CellValue) -> Int {
            switch c {
            case .null: return 0
            case .int, .double: return 1
            case .string: return 2
            }
        }
        if kind(a) != kind(b) { return kind(a) < kind(b) }
        switch (a, b) {
        case let (.string(x), .string(y)): return x.utf8.lexicographicallyPrecedes(y.utf8)
        case (.int, _), (.double, _): return number(a) < number(b)
        default: return false
        }
    }

    /// A numeric cell's value (0 for others).
    static func number(_ c: CellValue) -> Double {
        switch c {
        case .int(let x): return Double(x)
        case .double(let x): return x
        default: return 0
        }
    }

    /// Lexicographic order of group keys.
    static func rowLess(_ a: [CellValue], _ b: [CellValue]) -> Bool {
        for (x, y) in zip(a, b) {
            if cellLess(x, y) { return true }
            if cellLess(y, x) { return false }
        }
        return a.count < b.count
    }

    /// Equal cells; doubles within 1e-9 relative.
    static func cellsMatch(_ a: CellValue, _ b: CellValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y || abs(x - y) <= 1e-9 * max(abs(x), abs(y))
        case let (.string(x), .string(y)): return x.utf8.elementsEqual(y.utf8)
        default: return false
        }
    }

    /// Rows of equal length whose cells match.
    static func rowsMatch(_ a: [CellValue], _ b: [CellValue]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { cellsMatch($0, $1) }
    }

    /// `xs` sorted by `less`, equal elements keeping their order.
    static func stableSorted<T>(_ xs: [T], by less: (T, T) -> Bool) -> [T] {
        xs.enumerated().sorted { a, b in
            if less(a.element, b.element) { return true }
            if less(b.element, a.element) { return false }
            return a.offset < b.offset
        }.map(\.element)
    }

    // MARK: Stats

    /// The rows a stats query must return: one per distinct combination of group values (an
    /// entry with several tags in each tag's group), sorted by the group values, aggregated,
    /// then the query's sort / limit / fields.
    func stats(_ spec: StatsSpec, matching: [Int]) -> (columns: [String], rows: [[CellValue]]) {
        var groups = [[CellValue]: [Int]]()
        for i in matching {
            var keys: [[CellValue]] = [[]]
            for g in spec.groups {
                let values = groupValues(g, rows[i])
                var next = [[CellValue]]()
                for k in keys { for v in values { next.append(k + [v]) } }
                keys = next
            }
            for k in keys { groups[k, default: []].append(i) }
        }
        if spec.groups.isEmpty && groups.isEmpty { groups[[]] = [] }
        var out = [[CellValue]]()
        for key in groups.keys.sorted(by: Self.rowLess) {
            let members = groups[key] ?? []
            out.append(key + spec.aggregates.map { aggregate($0, over: members) })
        }
        var columns = spec.columns
        if !spec.sort.isEmpty {
            let keys = spec.sort.map { s in (columns.firstIndex(of: s.column) ?? 0, s.descending) }
            out = Self.stableSorted(out) { a, b in
                for (c, desc) in keys {
                    if Self.cellLess(a[c], b[c]) { return !desc }
                    if Self.cellLess(b[c], a[c]) { return desc }
                }
                return false
            }
        }
        if let limit = spec.limit { out = Array(out.prefix(limit)) }
        if let fields = spec.fields {
            let idx = fields.map { columns.firstIndex(of: $0) ?? 0 }
            out = out.map { r in idx.map { r[$0] } }
            columns = fields
        }
        return (columns, out)
    }

    /// The group values of one row for one `by` key (several for `tags`, null when absent).
    func groupValues(_ g: GroupSpec, _ row: Row) -> [CellValue] {
        switch g {
        case .bucket(let minutes):
            let width = Int64(minutes) * 60_000_000_000
            let ts = row.entry.timestampNanos
            let floor = ts >= 0 ? ts / width * width : -((-ts + width - 1) / width) * width
            return [.string(Timestamp.format(floor))]
        case .field(let name):
            let target = Target(name)
            if target == .tags {
                var seen = Set<String>()
                let tags = row.entry.tags.filter { seen.insert($0).inserted }
                return tags.isEmpty ? [CellValue.null] : tags.map { CellValue.string($0) }
            }
            return [value(target, row).map(Self.cell) ?? .null]
        }
    }

    /// One aggregate over the rows of a group.
    func aggregate(_ a: AggSpec, over members: [Int]) -> CellValue {
        let target = a.field.map { Target($0) }
        let values: [FieldValue] = target.map { t in members.compactMap { value(t, rows[$0]) } } ?? []
        switch a.kind {
        case .count:
            return .int(Int64(a.field == nil ? members.count : values.count))
        case .countDistinct:
            return .int(Int64(Set(values.map(Self.text)).count))
        default:
            break
        }
        // The int and float values, each with the cell it gives (an extreme keeps its type).
        var numeric = [(value: Double, cell: CellValue)]()
        var intSum: Int64 = 0, allInts = true
        for v in values {
            switch v {
            case .int(let x):
                numeric.append((value: Double(x), cell: CellValue.int(x)))
                intSum += x
            case .float(let x):
                numeric.append((value: x, cell: CellValue.double(x)))
                allInts = false
            default: break
            }
        }
        guard !numeric.isEmpty else { return .null }
        let numbers = numeric.map { $0.value }
        switch a.kind {
        case .sum:
            return allInts ? .int(intSum) : .double(numbers.reduce(0, +))
        case .avg:
            return .double(numbers.reduce(0, +) / Double(numbers.count))
        case .min:
            return numeric.min { $0.value < $1.value }?.cell ?? .null
        case .max:
            return numeric.max { $0.value < $1.value }?.cell ?? .null
        case .percentile(let n):
            return Self.nearestRank(numbers, n)
        case .median:
            return Self.nearestRank(numbers, 50)
        case .count, .countDistinct:
            return .null
        }
    }

    /// The value at 1-based rank ⌈n/100 · count⌉ (at least 1) of the sorted values.
    static func nearestRank(_ values: [Double], _ n: Int) -> CellValue {
        let sorted = values.sorted()
        let rank = max(1, (n * sorted.count + 99) / 100)
        return .double(sorted[rank - 1])
    }

    // MARK: Entry stages

    /// Applies search stages in order to `order` (newest first): a stable sort (missing values
    /// last in both directions), `limit`, `fields`. Returns the hits and the projection.
    func applyStages(_ stages: [EntryStage], to order: [Int]) -> ([Int], [String]?) {
        var out = order
        var projection: [String]? = nil
        for stage in stages {
            switch stage {
            case .sort(let keys, _):
                out = Self.stableSorted(out) { a, b in entryLess(a, b, keys) }
            case .limit(let n):
                out = Array(out.prefix(n))
            case .fields(let f):
                projection = f
            }
        }
        return (out, projection)
    }

    /// The sort value of a row: its time for `timestamp`, else the named value.
    func sortCell(_ name: String, _ row: Row) -> CellValue? {
        if name.lowercased() == "timestamp" { return .int(row.entry.timestampNanos) }
        return value(Target(name), row).map(Self.cell)
    }

    /// Whether row `a` sorts before row `b` under `keys` (false for ties).
    func entryLess(_ a: Int, _ b: Int, _ keys: [ColumnSort]) -> Bool {
        for k in keys {
            switch (sortCell(k.column, rows[a]), sortCell(k.column, rows[b])) {
            case (nil, nil):
                continue
            case (nil, _):
                return false
            case (_, nil):
                return true
            case let (x?, y?):
                if Self.cellLess(x, y) { return !k.descending }
                if Self.cellLess(y, x) { return k.descending }
            }
        }
        return false
    }

    // MARK: Failure messages

    /// A readable account of how the returned ids differ from the expected ones.
    func difference(query: String, window: TimeWindow, expected: [LogID], got: [LogID], gotTotal: Int) -> String {
        let e = Set(expected), g = Set(got)
        let missing = expected.filter { !g.contains($0) }
        let unexpected = got.filter { !e.contains($0) }
        var lines = ["query: \(query.debugDescription)", "time: \(window)",
                     "total: got \(gotTotal), expected \(expected.count); hits: got \(got.count)"]
        if !missing.isEmpty {
            lines.append("missing (\(missing.count)), first few:")
            for id in missing.prefix(5) { lines.append("  " + describe(id)) }
        }
        if !unexpected.isEmpty {
            lines.append("unexpected (\(unexpected.count)), first few:")
            for id in unexpected.prefix(5) { lines.append("  " + describe(id)) }
        }
        if got.count != g.count { lines.append("duplicate ids among the hits") }
        return lines.joined(separator: "\n")
    }

    /// One line about an entry: id, time, system columns, message, fields, tags.
    func describe(_ id: LogID) -> String {
        guard let i = index[id] else { return "\(id) (not in the data set)" }
        let e = rows[i].entry
        let fields = e.fields.map { "\($0.key)=\(Self.text($0.value))" }.joined(separator: " ")
        return "\(rows[i].idText) \(Timestamp.format(e.timestampNanos)) level=\(Self.levelName(e.level)) "
            + "service=\(e.service.debugDescription) host=\(e.host) source=\(e.source.debugDescription) "
            + "tags=\(e.tags) msg=\(e.message.debugDescription) \(fields)"
    }
}

/// Whole-value wildcard matching over UTF-8 bytes: `*` any run of bytes, `?` one byte, literals
/// compared exactly or ASCII-case-insensitively.
struct GlobMatcher {
    enum Element {
        case byte(UInt8)
        case any
        case one
    }

    let elements: [Element]
    let ignoreCase: Bool

    init(_ parts: [GlobPart], ignoreCase: Bool) {
        var out = [Element]()
        for p in parts {
            switch p {
            case .star: out.append(.any)
            case .one: out.append(.one)
            case .literal(let c): for b in String(c).utf8 { out.append(.byte(ignoreCase ? Self.fold(b) : b)) }
            }
        }
        elements = out
        self.ignoreCase = ignoreCase
    }

    /// ASCII lower-casing of one byte.
    static func fold(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 0x20 : b }

    /// Dynamic programming over (pattern prefix, text prefix).
    func matches(_ s: String) -> Bool {
        let text = ignoreCase ? s.utf8.map(Self.fold) : Array(s.utf8)
        var reachable = [Bool](repeating: false, count: text.count + 1)
        reachable[0] = true
        for e in elements {
            var next = [Bool](repeating: false, count: text.count + 1)
            switch e {
            case .any:
                var seen = false
                for j in 0...text.count {
                    seen = seen || reachable[j]
                    next[j] = seen
                }
            case .one:
                for j in 0..<text.count where reachable[j] { next[j + 1] = true }
            case .byte(let b):
                for j in 0..<text.count where reachable[j] && text[j] == b { next[j + 1] = true }
            }
            reachable = next
        }
        return reachable[text.count]
    }
}
