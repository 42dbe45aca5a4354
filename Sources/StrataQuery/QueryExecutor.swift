import StrataEngine
import StrataFormat
import StrataIO
import StrataSegment

/// A search request: query text, inclusive time range, page size.
public struct SearchRequest: Sendable {
    public var query: String
    public var fromNanos: Int64
    public var toNanos: Int64
    public var limit: Int

    public init(query: String, fromNanos: Int64 = .min, toNanos: Int64 = .max, limit: Int = 100) {
        self.query = query
        self.fromNanos = fromNanos
        self.toNanos = toNanos
        self.limit = limit
    }
}

/// What a search returned and what it cost.
public struct SearchResult: Sendable {
    /// Matching entries, newest first, at most `limit`.
    public var hits: [LogEntry]
    /// Exact number of matching entries in the time range.
    public var total: Int
    public var segmentsScanned = 0
    public var segmentsSkipped = 0
    public var blocksScanned = 0
    public var blocksSkipped = 0
    public var rowsScanned = 0
    public var tookNanos: UInt64 = 0
}

/// Runs searches over an engine snapshot: prunes segments and blocks by time, evaluates the
/// query a block at a time on the columns it needs, counts every match, and materialises only
/// the newest `limit` hits.
public struct QueryExecutor {
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

    private struct HitKey: Comparable {
        var ts: Int64
        var seq: UInt64
        var segment: Int   // -1 = memtable
        var block: Int
        var row: Int
        static func < (a: HitKey, b: HitKey) -> Bool { (a.ts, a.seq) < (b.ts, b.seq) }
    }

    /// Runs `request`.
    public func search(_ request: SearchRequest) throws(SearchError) -> SearchResult {
        let started = monotonicNanos()
        let node: QueryNode
        do throws(QuerySyntaxError) { node = try QueryParser.parse(request.query) } catch { throw .syntax(error) }
        let matcher = BlockMatcher(root: node)
        let columns = matcher.requiredColumns()
        let snap = engine.snapshot(fromNanos: request.fromNanos, toNanos: request.toNanos)
        var result = SearchResult(hits: [], total: 0)
        var keys = [HitKey]()
        let inRange = { (ts: Int64) in ts >= request.fromNanos && ts <= request.toNanos }

        let memBlock = DecodedBlock(entries: snap.memtableEntries)
        if memBlock.rowCount > 0 {
            let sel = matcher.evaluate(memBlock)
            for i in 0..<memBlock.rowCount where sel[i] {
                keys.append(HitKey(ts: memBlock.timestamps![i], seq: memBlock.sequences![i], segment: -1, block: 0, row: i))
            }
            result.rowsScanned += memBlock.rowCount
        }
        var readers = [SegmentReader]()
        for record in snap.segments {
            let reader: SegmentReader
            do throws(SegmentError) { reader = try snap.reader(for: record) } catch { throw .segment(error) }
            let si = readers.count
            readers.append(reader)
            result.segmentsScanned += 1
            for (bi, meta) in reader.index.blocks.enumerated() {
                if meta.maxTimestampNanos < request.fromNanos || meta.minTimestampNanos > request.toNanos {
                    result.blocksSkipped += 1
                    continue
                }
                let block: DecodedBlock
                do throws(FormatError) { block = try reader.decodeBlock(bi, columns: columns) } catch { throw .format(error) }
                result.blocksScanned += 1
                result.rowsScanned += block.rowCount
                let sel = matcher.evaluate(block)
                let ts = block.timestamps!, seq = block.sequences!
                for i in 0..<block.rowCount where sel[i] && inRange(ts[i]) {
                    keys.append(HitKey(ts: ts[i], seq: seq[i], segment: si, block: bi, row: i))
                }
            }
        }
        result.segmentsSkipped = engine.currentManifest.segments.count - snap.segments.count
        result.total = keys.count
        // Newest first; only the page is materialised.
        let page = keys.sorted(by: >).prefix(max(0, request.limit))
        var decoded = [Int: [Int: DecodedBlock]]()
        for k in page {
            if k.segment < 0 {
                result.hits.append(memBlock.entry(at: k.row))
                continue
            }
            if decoded[k.segment]?[k.block] == nil {
                do throws(FormatError) { decoded[k.segment, default: [:]][k.block] = try readers[k.segment].decodeBlock(k.block) } catch { throw .format(error) }
            }
            result.hits.append(decoded[k.segment]![k.block]!.entry(at: k.row))
        }
        result.tookNanos = monotonicNanos() - started
        return result
    }
}
