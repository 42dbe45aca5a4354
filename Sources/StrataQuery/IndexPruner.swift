import StrataFormat
import StrataIndex
import StrataSegment

/// Uses a segment's term indexes to find the blocks that can hold a match: a leaf on an
/// indexed column becomes the union of the postings of the dictionary terms it accepts
/// (exact terms by lookup, wildcards from their literal prefix, regexes and ranges by scanning
/// the terms); AND intersects, OR unites. nil means "every block" (nothing to go on).
enum IndexPruner {
    static func allowedBlocks(_ n: CompiledNode, _ reader: SegmentReader) throws(FormatError) -> RoaringBitmap? {
        switch n {
        case .and(let xs):
            var acc: RoaringBitmap? = nil
            for x in xs {
                guard let b = try allowedBlocks(x, reader) else { continue }
                acc = acc.map { $0.intersection(b) } ?? b
            }
            return acc
        case .or(let xs):
            var acc = RoaringBitmap()
            for x in xs {
                guard let b = try allowedBlocks(x, reader) else { return nil }
                acc = acc.union(b)
            }
            return acc
        case .none:
            return RoaringBitmap()
        case .service(let t): return try keyword(reader.termIndex(.service), t)
        case .host(let t): return try keyword(reader.termIndex(.host), t)
        case .source(let t): return try keyword(reader.termIndex(.source), t)
        case .tag(let t): return try keyword(reader.termIndex(.tags), t)
        case .field(let key, let test):
            guard let c = reader.fieldColumns[key], let dict = try reader.termIndex(column: c) else { return nil }
            switch test {
            case .term(let text, _, _, _): return try dict.lookup(Array(text.utf8)) ?? RoaringBitmap()
            case .text(let t): return try keyword(dict, t)
            case .range:
                return try dict.union(prefix: []) { test.test(.string(String(decoding: $0, as: UTF8.self))) }
            case .exists: return nil
            }
        default:
            return nil
        }
    }

    /// Blocks holding a value of the column that passes `t`.
    static func keyword(_ dict: TermDictionary?, _ t: StringTest) throws(FormatError) -> RoaringBitmap? {
        guard let dict else { return nil }
        switch t {
        case .equals(let v): return try dict.lookup(v) ?? RoaringBitmap()
        case .glob(let g) where !g.caseInsensitive: return try dict.union(prefix: g.literalPrefix) { t.test($0) }
        default: return try dict.union(prefix: []) { t.test($0) }
        }
    }
}
