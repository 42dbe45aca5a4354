import StrataFormat

/// What a query needs from a block's Bloom filter (and zone map) for the block to possibly
/// hold a match. Built once per query from the compiled tree; `mayMatch` is false only when no
/// row of the block can match, so skipping on false never loses a hit.
indirect enum BloomProbe: Sendable {
    /// Cannot tell: the block must be scanned.
    case maybe
    /// Nothing can match (e.g. a term without tokens).
    case never
    /// Every key must be present (a phrase's tokens).
    case allOf([UInt64])
    /// At least one key must be present (the spellings of a field value).
    case anyOf([UInt64])
    /// Message tokens that must all occur (a term or phrase): `BloomKey.token` and
    /// `BloomKey.variableToken` of each. A v4 filter holds a token under one or the other; a v3
    /// filter holds every token under the first.
    case tokens(static: [UInt64], variable: [UInt64])
    /// An id: the block's time and sequence ranges must cover it.
    case id(LogID)
    /// A field leaf: the block must have the field's column; with `keys`, one of them must be in
    /// the filter; with numeric bounds, the column's min/max statistics must overlap them.
    case field(String, keys: [UInt64]?, lower: (Double, Bool)?, upper: (Double, Bool)?)
    case and([BloomProbe])
    case or([BloomProbe])

    init(_ n: CompiledNode) {
        switch n {
        case .none: self = .never
        case .and(let xs): self = .and(xs.map(BloomProbe.init))
        case .or(let xs): self = .or(xs.map(BloomProbe.init))
        case .messageTokens(let q): self = .tokens(static: q.map { BloomKey.token($0) }, variable: q.map { BloomKey.variableToken($0) })
        case .service(.equals(let v)) where !v.isEmpty: self = .allOf([BloomKey.keyword(.service, v)])
        case .host(.equals(let v)) where !v.isEmpty: self = .allOf([BloomKey.keyword(.host, v)])
        case .source(.equals(let v)) where !v.isEmpty: self = .allOf([BloomKey.keyword(.source, v)])
        case .tag(.equals(let v)) where !v.isEmpty: self = .allOf([BloomKey.keyword(.tag, v)])
        case .id(.equals(let hex)):
            if let id = LogID(String(decoding: hex, as: UTF8.self)) { self = .id(id) } else { self = .never }
        case .field(let key, .term(let text, let int, let double, let bool)):
            // Every text a matching value can have (see FieldTest.term).
            var spellings: Set<String> = [text]
            if let int { spellings.insert(String(int)) }
            if let double {
                spellings.insert(formatDouble(double))
                if double == double.rounded(), double.magnitude < 9.2e18 { spellings.insert(String(Int64(double))) }
            }
            if let bool { spellings.insert(bool ? "true" : "false") }
            let seed = BloomKey.fieldSeed(key)
            let exact = double.map { ($0, true) }
            self = .field(key, keys: spellings.map { BloomKey.field(seed: seed, text: $0.utf8) }, lower: exact, upper: exact)
        case .field(let key, .range(let lo, let hi)):
            // Only numeric bounds can be checked against min/max; a text bound leaves that side open.
            let l = lo.flatMap { b in Double(b.value).map { ($0, b.inclusive) } }
            let h = hi.flatMap { b in Double(b.value).map { ($0, b.inclusive) } }
            self = .field(key, keys: nil, lower: l, upper: h)
        case .field(let key, _):
            self = .field(key, keys: nil, lower: nil, upper: nil)
        default: self = .maybe
        }
    }

    /// Whether a block with this filter and these ranges may hold a match; `column` finds a
    /// field's column number in the segment.
    func mayMatch(_ f: BloomFilter, _ meta: BlockMeta, variableKeys: Bool, column: (String) -> Int?) -> Bool {
        switch self {
        case .tokens(let s, let v):
            if !variableKeys { return s.allSatisfy { f.mayContain($0) } }
            return s.indices.allSatisfy { f.mayContain(s[$0]) || f.mayContain(v[$0]) }
        case .field(let key, let keys, let lower, let upper):
            guard let c = column(key), let chunk = meta.chunk(c) else { return false }
            if let keys, !keys.contains(where: { f.mayContain($0) }) { return false }
            if lower == nil && upper == nil { return true }
            let lo: Double, hi: Double
            switch chunk.stats {
            case .none: return true
            case .int(let a, let b):
                // Min/max of ints compared exactly with the (double) bounds.
                if let (v, inc) = lower, FieldTest.compareNumbers(b, v) < 0 || (!inc && FieldTest.compareNumbers(b, v) == 0) { return false }
                if let (v, inc) = upper, FieldTest.compareNumbers(a, v) > 0 || (!inc && FieldTest.compareNumbers(a, v) == 0) { return false }
                return true
            case .float(let a, let b): lo = a; hi = b
            }
            if let (v, inc) = lower, hi < v || (!inc && hi == v) { return false }
            if let (v, inc) = upper, lo > v || (!inc && lo == v) { return false }
            return true
        case .maybe: return true
        case .never: return false
        case .allOf(let keys): return keys.allSatisfy { f.mayContain($0) }
        case .anyOf(let keys): return keys.contains { f.mayContain($0) }
        case .id(let id):
            return meta.minTimestampNanos <= id.timestampNanos && id.timestampNanos <= meta.maxTimestampNanos
                && meta.minSequence <= id.sequence && id.sequence <= meta.maxSequence
        case .and(let xs): return xs.allSatisfy { $0.mayMatch(f, meta, variableKeys: variableKeys, column: column) }
        case .or(let xs): return xs.contains { $0.mayMatch(f, meta, variableKeys: variableKeys, column: column) }
        }
    }

    /// Whether the probe can ever skip a block (if not, filters need not be read).
    var isSelective: Bool {
        switch self {
        case .maybe: return false
        case .never, .allOf, .anyOf, .tokens, .id, .field: return true
        case .and(let xs): return xs.contains { $0.isSelective }
        case .or(let xs): return xs.allSatisfy { $0.isSelective }
        }
    }
}
