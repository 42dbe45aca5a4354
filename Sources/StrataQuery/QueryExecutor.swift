import Dispatch
import StrataEngine
import StrataFormat
import StrataIndex
import StrataIO
import StrataSegment

/// A search request: query text, inclusive time range, page size.
public struct SearchRequest: Sendable {
    public var query: String
    public var fromNanos: Int64
    public var toNanos: Int64
    public var limit: Int
    /// The next page: only hits older than this id (a previous result's `nextCursor`). `total`
    /// still counts every match, so a client can show "page k of n".
    public var before: LogID?

    public init(query: String, fromNanos: Int64 = .min, toNanos: Int64 = .max, limit: Int = 100, before: LogID? = nil) {
        self.query = query
        self.fromNanos = fromNanos
        self.toNanos = toNanos
        self.limit = limit
        self.before = before
    }
}

/// What a search returned and what it cost.
///
/// Either `hits` (a filter, possibly with sort/limit/fields) or `columns` + `rows` (a `stats`
/// query). `total` is always the exact number of matching entries in the time range.
public struct SearchResult: Sendable {
    /// Matching entries in result order (newest first unless sorted), at most the limit.
    public var hits: [LogEntry] = []
    /// `| fields a, b`: the keys to print for each hit (nil: the whole entry).
    public var projection: [String]?
    /// Output column names of a `stats` query (nil for a search).
    public var columns: [String]?
    public var rows: [[CellValue]] = []
    /// Aggregate columns whose values are approximate (large percentiles / distinct counts).
    public var approximateColumns: [String] = []
    /// Exact number of matching entries in the time range.
    public var total = 0
    /// The cursor for the next page of a newest-first search (nil when this page was the last).
    public var nextCursor: LogID?
    public var partitionsScanned = 0
    public var segmentsScanned = 0
    public var segmentsSkipped = 0
    public var blocksScanned = 0
    /// Blocks skipped by time (zone maps).
    public var blocksSkipped = 0
    /// Blocks skipped because their Bloom filter (or id range) rules out every row.
    public var blocksSkippedByBloom = 0
    /// Blocks skipped because the segment's term indexes show no matching value in them.
    public var blocksSkippedByIndex = 0
    public var rowsScanned = 0
    public var tookNanos: UInt64 = 0

    public init() {}
}

/// Runs queries over an engine snapshot: prunes segments and blocks by time, evaluates the
/// filter a block at a time on the columns it needs (segments in parallel), counts every
/// match, then either aggregates or materialises only the page of hits.
public struct QueryExecutor: Sendable {
    public let engine: Engine

    public init(engine: Engine) { self.engine = engine }

    /// Errors of a search: bad syntax or an unreadable segment.
    public enum SearchError: Error, CustomStringConvertible {
        case syntax(QuerySyntaxError)
        case segment(SegmentError)
        case format(FormatError)
        public var description: String {
            switch self {
            case .syntax(let e): e.description
            case .segment(let e): e.description
            case .format(let e): e.description
            }
        }
    }

    struct HitKey {
        var ts: Int64
        var seq: UInt64
        var segment: Int   // -1 = memtable
        var block: Int
        var row: Int
        var sort: [CellValue]
        /// Newest first.
        static func newer(_ a: HitKey, _ b: HitKey) -> Bool { (a.ts, a.seq) > (b.ts, b.seq) }
    }

    /// What one segment (or the memtable) contributed.
    final class Partial: @unchecked Sendable {
        var keys = [HitKey]()
        var aggregator: Aggregator?
        var total = 0
        var blocksScanned = 0
        var blocksSkipped = 0
        var blocksSkippedByBloom = 0
        var blocksSkippedByIndex = 0
        var rowsScanned = 0
        var error: SearchError?
        /// The parsed messages of blocks that hold kept hits, by block: the page renders its
        /// messages from them instead of decoding and parsing those blocks again.
        var messageBlocks = [Int: MessageBlock]()
    }

    /// Runs `request`.
    public func search(_ request: SearchRequest) throws(SearchError) -> SearchResult {
        let started = monotonicNanos()
        let query: Query
        let compiled: CompiledNode
        do throws(QuerySyntaxError) {
            query = try Query.parse(request.query)
            compiled = try CompiledNode.compile(query.filter)
        } catch { throw .syntax(error) }
        let matcher = BlockMatcher(root: compiled)
        let probe = BloomProbe(compiled)
        let selective = probe.isSelective
        let usesMessageTokens = compiled.usesMessageTokens
        var columns = matcher.requiredColumns()
        let stats = query.stats
        // Sort keys of a search (not of stats rows) need their columns too.
        var hitSortTargets = [(FieldTarget?, Bool)]()
        if stats == nil {
            for case .sort(let keys) in query.stages {
                for k in keys {
                    let t: FieldTarget? = ["timestamp", "_time", "time", "@timestamp"].contains(k.name.lowercased()) ? nil : FieldTarget(k.name)
                    if let t { addColumns(for: t, to: &columns) }
                    hitSortTargets.append((t, k.descending))
                }
            }
        }
        if let stats { Aggregator(stats: stats).addColumns(to: &columns) }
        // Hits need time and sequence (their order and identity); the time range needs the time
        // of blocks that straddle it. Blocks that can only be counted decode neither.
        var keyColumns = columns
        keyColumns.system.formUnion([.timestamp, .sequence])
        var timeColumns = columns
        timeColumns.system.insert(.timestamp)
        let cols = columns, colsWithKeys = keyColumns, colsWithTime = timeColumns
        // Without a sort by some other column, only the newest `pageLimit` hits are ever shown:
        // once a task holds that many, older blocks are only counted.
        let sortsByColumn = !hitSortTargets.isEmpty
        var pageLimit = max(0, request.limit)
        for case .limit(let n) in query.stages where !sortsByColumn { pageLimit = min(pageLimit, n) }
        // One more than the page, to know whether a next page exists.
        let keepLimit = pageLimit + 1

        let snap = engine.snapshot(fromNanos: request.fromNanos, toNanos: request.toNanos)
        var readers = [SegmentReader]()
        for record in snap.segments {
            do throws(SegmentError) { readers.append(try snap.reader(for: record)) } catch { throw .segment(error) }
        }
        let memBlock = DecodedBlock(entries: snap.memtableEntries)
        let openReaders = readers
        let from = request.fromNanos, to = request.toNanos
        let cursor = request.before

        // One task per segment plus one for the memtable, on all cores.
        let partials = (0...readers.count).map { _ in Partial() }
        let sortTargets = hitSortTargets
        // Template analyses are shared by the tasks that run one after another on a thread
        // (segments of one application share most templates): a task takes a cache from the
        // pool and gives it back, so at most one cache per running task exists.
        let pool = SkeletonPool()
        // Newest first (the memtable, then segments by their newest entry), so the first tasks
        // fill the page and publish how old a hit may be; later tasks then only count.
        let order = [readers.count] + snap.segments.indices.sorted { snap.segments[$0].maxTimestampNanos > snap.segments[$1].maxTimestampNanos }
        let pageBound = PageBound()
        DispatchQueue.concurrentPerform(iterations: readers.count + 1) { iteration in
            let t = order[iteration]
            let p = partials[t]
            if stats != nil { p.aggregator = Aggregator(stats: stats!) }
            let skeletons = pool.take()
            defer { pool.give(skeletons) }
            /// The oldest (time, sequence) a hit must beat once the task holds `keepLimit` hits.
            var threshold: (Int64, UInt64)? = nil
            func trimKeys() {
                guard stats == nil, !sortsByColumn, p.keys.count > keepLimit * 2 + 64 || (threshold == nil && p.keys.count >= keepLimit) else { return }
                p.keys.sort(by: HitKey.newer)
                if p.keys.count > keepLimit { p.keys.removeLast(p.keys.count - keepLimit) }
                if let last = p.keys.last, p.keys.count == keepLimit {
                    threshold = (last.ts, last.seq)
                    pageBound.raise(last.ts)
                }
                if !p.messageBlocks.isEmpty {
                    let held = Set(p.keys.map(\.block))
                    p.messageBlocks = p.messageBlocks.filter { held.contains($0.key) }
                }
            }
            func consume(_ block: DecodedBlock, segment: Int, blockIndex: Int) {
                var sel: RowSelection
                do throws(FormatError) { sel = try matcher.evaluate(block, skeletons: skeletons) } catch {
                    p.error = .format(error)
                    return
                }
                // Time range within the block (only decoded when the block straddles it).
                if let ts = block.timestamps, from != .min || to != .max {
                    var inRange = RowSelection(rowCount: block.rowCount) { ts[$0] >= from && ts[$0] <= to }
                    inRange.formIntersection(sel)
                    sel = inRange
                }
                p.rowsScanned += block.rowCount
                let n = sel.count
                p.total += n
                guard n > 0 else { return }
                if let agg = p.aggregator {
                    agg.add(block, sel)
                    return
                }
                guard let ts = block.timestamps, let seq = block.sequences else { return }   // counted only
                let before = p.keys.count
                defer {
                    // At most a few blocks per task are held (each keeps its streams in memory).
                    if segment >= 0, p.keys.count > before, p.messageBlocks.count < 8, let mb = block.messageBlock {
                        p.messageBlocks[blockIndex] = mb
                    }
                }
                sel.forEach { i in
                    if let c = cursor, (ts[i], seq[i]) >= (c.timestampNanos, c.sequence) { return }
                    let sortCells = sortTargets.map { st in st.0.map { Aggregator.groupCell(cellValue($0, block, i)) } ?? .int(ts[i]) }
                    p.keys.append(HitKey(ts: ts[i], seq: seq[i], segment: segment, block: blockIndex, row: i, sort: sortCells))
                }
                trimKeys()
            }
            if t == openReaders.count {
                if memBlock.rowCount > 0 { consume(memBlock, segment: -1, blockIndex: 0) }
                return
            }
            let reader = openReaders[t]
            let variableKeys = reader.header.version >= FormatVersion.v4.rawValue
            let allowed: RoaringBitmap?
            do throws(FormatError) { allowed = try IndexPruner.allowedBlocks(compiled, reader) } catch {
                p.error = .format(error)
                return
            }
            // Newest blocks first, so the page fills early and older blocks are only counted.
            for bi in reader.index.blocks.indices.reversed() {
                let meta = reader.index.blocks[bi]
                if meta.maxTimestampNanos < from || meta.minTimestampNanos > to {
                    p.blocksSkipped += 1
                    continue
                }
                if let allowed, !allowed.contains(UInt32(bi)) {
                    p.blocksSkippedByIndex += 1
                    continue
                }
                if selective {
                    do throws(FormatError) {
                        if !probe.mayMatch(try reader.cachedBloom(bi), meta, variableKeys: variableKeys, column: { reader.fieldColumns[$0] }) {
                            p.blocksSkippedByBloom += 1
                            continue
                        }
                    } catch {
                        p.error = .format(error)
                        return
                    }
                }
                let inside = meta.minTimestampNanos >= from && meta.maxTimestampNanos <= to
                let needKeys: Bool
                if stats != nil || sortsByColumn {
                    needKeys = stats == nil
                } else if let c = cursor, meta.minTimestampNanos > c.timestampNanos {
                    needKeys = false   // every row is newer than the cursor: counted only
                } else if let th = threshold {
                    needKeys = meta.maxTimestampNanos >= th.0
                } else if meta.maxTimestampNanos < pageBound.value {
                    needKeys = false   // another task holds a full page of newer hits
                } else {
                    needKeys = true
                }
                // (`cols` already holds the time when a stats stage groups by bucket.)
                let selection = needKeys ? colsWithKeys : (inside ? cols : colsWithTime)
                var block: DecodedBlock
                do throws(FormatError) {
                    block = try reader.decodeBlock(bi, columns: selection)
                    // v4 filters tell which tokens no variable holds: templates decide more rows.
                    if variableKeys && usesMessageTokens {
                        let f = try reader.cachedBloom(bi)
                        if f.blockCount > 0 { block.variableTokens = f }
                    }
                } catch {
                    p.error = .format(error)
                    return
                }
                p.blocksScanned += 1
                consume(block, segment: t, blockIndex: bi)
                if p.error != nil { return }
            }
        }

        var result = SearchResult()
        var keys = [HitKey]()
        let aggregator = stats.map { Aggregator(stats: $0) }
        for p in partials {
            if let e = p.error { throw e }
            result.total += p.total
            result.blocksScanned += p.blocksScanned
            result.blocksSkipped += p.blocksSkipped
            result.blocksSkippedByBloom += p.blocksSkippedByBloom
            result.blocksSkippedByIndex += p.blocksSkippedByIndex
            result.rowsScanned += p.rowsScanned
            keys.append(contentsOf: p.keys)
            if let a = p.aggregator { aggregator!.merge(a) }
        }
        var heldMessages = [Int: [Int: MessageBlock]]()
        for (t, p) in partials.enumerated() where !p.messageBlocks.isEmpty { heldMessages[t] = p.messageBlocks }
        result.segmentsScanned = readers.count
        // Segments of both tiers that the time range ruled out.
        result.segmentsSkipped = max(0, engine.searchableSegmentCount - snap.segments.count)
        result.partitionsScanned = Set(snap.segments.map(\.partitionStartNanos)).count

        if let aggregator, let stats {
            var (rows, approx) = aggregator.finish()
            var names = stats.columnNames
            for stage in query.stages.dropFirst() {
                switch stage {
                case .sort(let sortKeys):
                    let idx = sortKeys.map { k in (names.firstIndex(of: k.name)!, k.descending) }
                    rows = Self.stableSorted(rows) { a, b in
                        for (c, desc) in idx {
                            if a[c] < b[c] { return !desc }
                            if b[c] < a[c] { return desc }
                        }
                        return false
                    }
                case .limit(let n): rows = Array(rows.prefix(n))
                case .fields(let keep):
                    let idx = keep.map { names.firstIndex(of: $0)! }
                    rows = rows.map { r in idx.map { r[$0] } }
                    names = keep
                    approx = approx.filter { keep.contains($0) }
                case .stats: break
                }
            }
            result.columns = names
            result.rows = rows
            result.approximateColumns = approx
            result.tookNanos = monotonicNanos() - started
            return result
        }

        // Newest first, then the stages in order.
        keys.sort(by: HitKey.newer)
        var sortSlot = 0
        var limit = max(0, request.limit)
        for stage in query.stages {
            switch stage {
            case .sort(let sortKeys):
                let slots = sortSlot..<(sortSlot + sortKeys.count)
                sortSlot += sortKeys.count
                keys = Self.stableSorted(keys) { a, b in
                    for s in slots {
                        let (x, y) = (a.sort[s], b.sort[s])
                        // Missing values sort last in both directions.
                        if x == .null && y == .null { continue }
                        if x == .null { return false }
                        if y == .null { return true }
                        if x < y { return !sortTargets[s].1 }
                        if y < x { return sortTargets[s].1 }
                    }
                    return false
                }
            case .limit(let n): keys = Array(keys.prefix(n)); limit = min(limit, n)
            case .fields(let f): result.projection = f
            case .stats: break
            }
        }
        let page = keys.prefix(limit)
        if !sortsByColumn && limit > 0 && page.count == limit && keys.count > limit, let last = page.last {
            result.nextCursor = LogID(timestampNanos: last.ts, sequence: last.seq)
        }
        var decoded = [Int: [Int: DecodedBlock]]()
        // The page's rows per block: field values are decoded for those rows only.
        var pageRows = [Int: [Int: Set<Int>]]()
        for k in page where k.segment >= 0 { pageRows[k.segment, default: [:]][k.block, default: []].insert(k.row) }
        for k in page {
            if k.segment < 0 {
                result.hits.append(memBlock.entry(at: k.row))
                continue
            }
            do throws(FormatError) {
                if decoded[k.segment]?[k.block] == nil {
                    // Field values are built for the page's rows only; a message block parsed
                    // by the filter is reused.
                    let held = heldMessages[k.segment]?[k.block]
                    var system = Set(SystemColumn.allCases)
                    if held != nil { system.remove(.messageTemplates) }
                    var pageColumns = ColumnSelection(system: system, fields: nil, renderMessages: false)
                    pageColumns.fieldRows = pageRows[k.segment]?[k.block]
                    var block = try readers[k.segment].decodeBlock(k.block, columns: pageColumns)
                    if let held { block.messageBlock = held }
                    decoded[k.segment, default: [:]][k.block] = block
                }
                result.hits.append(try decoded[k.segment]![k.block]!.materialize(k.row))
            } catch { throw .format(error) }
        }
        result.tookNanos = monotonicNanos() - started
        return result
    }

    static func stableSorted<T>(_ xs: [T], by less: (T, T) -> Bool) -> [T] {
        xs.enumerated().sorted { a, b in
            if less(a.element, b.element) { return true }
            if less(b.element, a.element) { return false }
            return a.offset < b.offset
        }.map(\.element)
    }
}

/// Skeleton caches handed from task to task (see `QueryExecutor.search`); each cache is used
/// by one task at a time.
private final class SkeletonPool: @unchecked Sendable {
    private let lock = ConditionLock()
    private var free = [BlockMatcher.SkeletonCache]()

    func take() -> BlockMatcher.SkeletonCache { lock.withLock { free.popLast() } ?? BlockMatcher.SkeletonCache() }
    func give(_ c: BlockMatcher.SkeletonCache) { lock.withLock { free.append(c) } }
}

/// The newest time below which no hit can make the page: the largest page threshold any task
/// has reached (a task's `keepLimit`-th newest hit bounds the global page too).
private final class PageBound: @unchecked Sendable {
    private let lock = ConditionLock()
    private var bound = Int64.min

    var value: Int64 { lock.withLock { bound } }
    func raise(_ t: Int64) { lock.withLock { bound = max(bound, t) } }
}
