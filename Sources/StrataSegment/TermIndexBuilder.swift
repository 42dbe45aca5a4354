import StrataFormat
import StrataIndex

/// Collects, while a segment is written, which blocks hold each value of the indexed columns:
/// `_service`, `_host`, `_source`, `_tags` (each tag) and every field column whose values are
/// all strings and whose distinct values stay within `limit` (high-cardinality fields such as
/// trace ids are left to the Bloom filters). See `format-spec/term-index.md`.
struct TermIndexBuilder {
    let limit: Int
    /// The distinct values any segment may index per column (`limit` is `max(minLimit, rows / 64)`).
    /// Small: in a segment of a few thousand rows a column with more distinct values (paths, ids)
    /// would make a dictionary as large as the column itself; its values stay findable through
    /// the Bloom filters, or by scanning the few rows.
    static let minLimit = 256
    /// Also dropped once its distinct values exceed this many bytes, so a dictionary always stays
    /// far below the chunk size readers accept (`Limits.maxChunkRawBytes`).
    static let maxTermBytes = 8 << 20
    private var values: [Int: [[UInt8]: [UInt32]]] = [:]
    private var termBytes: [Int: Int] = [:]
    private var dropped = Set<Int>()

    init(limit: Int) { self.limit = limit }

    /// Records that block `block` holds each of `distinct` (no duplicates) in `column`.
    mutating func add<S: Sequence>(column: Int, distinct: S, block: UInt32) where S.Element == [UInt8] {
        guard !dropped.contains(column) else { return }
        var map = values.removeValue(forKey: column) ?? [:]
        var bytes = termBytes[column] ?? 0
        for v in distinct {
            if map[v] == nil { bytes += v.count }
            map[v, default: []].append(block)
            if map.count > limit || bytes > Self.maxTermBytes {
                dropped.insert(column)
                termBytes[column] = nil
                return
            }
        }
        values[column] = map
        termBytes[column] = bytes
    }

    /// Whether `column` has been dropped (values added for it are ignored).
    func isDropped(_ column: Int) -> Bool { dropped.contains(column) }

    /// Marks `column` as not indexable in this segment (e.g. it holds non-string values).
    mutating func drop(column: Int) {
        dropped.insert(column)
        values[column] = nil
    }

    /// The indexed columns (those with at least one term) in ascending order with their encoded
    /// dictionaries.
    func build() -> [(column: Int, bytes: [UInt8])] {
        values.keys.sorted().filter { !values[$0]!.isEmpty }.map { c in
            let entries = values[c]!.map { (term: $0.key, posting: RoaringBitmap($0.value)) }
                .sorted { $0.term.lexicographicallyPrecedes($1.term) }
            return (c, TermDictionary.encode(entries))
        }
    }
}
