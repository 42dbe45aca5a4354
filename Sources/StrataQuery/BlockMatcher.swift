import StrataFormat
import StrataSegment

/// Evaluates a query tree over a decoded block, a column at a time, producing a selection
/// vector (one Bool per row).
struct BlockMatcher {
    let root: QueryNode

    /// The columns evaluation needs (plus time and sequence, always).
    func requiredColumns() -> ColumnSelection {
        var sys: Set<SystemColumn> = [.timestamp, .sequence]
        var fields = Set<String>()
        func walk(_ n: QueryNode) {
            switch n {
            case .all: break
            case .and(let xs), .or(let xs): xs.forEach(walk)
            case .not(let x): walk(x)
            case .term(let f, _), .phrase(let f, _):
                switch Self.target(f) {
                case .message: sys.insert(.messageTemplates)
                case .level: sys.insert(.level)
                case .service: sys.insert(.service)
                case .host: sys.insert(.host)
                case .source: sys.insert(.source)
                case .tags: sys.insert(.tags)
                case .id: break
                case .field(let k): fields.insert(k)
                }
            }
        }
        walk(root)
        return ColumnSelection(system: sys, fields: fields)
    }

    enum Target: Equatable { case message, level, service, host, source, tags, id, field(String) }

    static func target(_ f: String?) -> Target {
        guard let f else { return .message }
        switch f.lowercased() {
        case "message", "msg": return .message
        case "level": return .level
        case "service": return .service
        case "host": return .host
        case "source": return .source
        case "tags", "tag": return .tags
        case "id", "_id": return .id
        default: return .field(f)
        }
    }

    /// Lazily tokenised messages of a block.
    final class TokenCache {
        var tokens: [[[UInt8]]]?
    }

    func evaluate(_ block: DecodedBlock) -> [Bool] {
        let cache = TokenCache()
        return eval(root, block, cache)
    }

    private func eval(_ n: QueryNode, _ b: DecodedBlock, _ cache: TokenCache) -> [Bool] {
        let rows = b.rowCount
        switch n {
        case .all: return [Bool](repeating: true, count: rows)
        case .and(let xs):
            var acc = eval(xs[0], b, cache)
            for x in xs.dropFirst() {
                if !acc.contains(true) { break }
                let v = eval(x, b, cache)
                for i in 0..<rows { acc[i] = acc[i] && v[i] }
            }
            return acc
        case .or(let xs):
            var acc = eval(xs[0], b, cache)
            for x in xs.dropFirst() {
                let v = eval(x, b, cache)
                for i in 0..<rows { acc[i] = acc[i] || v[i] }
            }
            return acc
        case .not(let x):
            return eval(x, b, cache).map { !$0 }
        case .term(let f, let value):
            return leaf(Self.target(f), value: value, phrase: false, b, cache)
        case .phrase(let f, let text):
            return leaf(Self.target(f), value: text, phrase: true, b, cache)
        }
    }

    private func leaf(_ t: Target, value: String, phrase: Bool, _ b: DecodedBlock, _ cache: TokenCache) -> [Bool] {
        let rows = b.rowCount
        switch t {
        case .message:
            let msgs = b.messages ?? []
            if cache.tokens == nil {
                cache.tokens = msgs.map { m in m.withUnsafeBytes { Tokenizer.tokens($0) } }
            }
            let toks = cache.tokens!
            if !phrase && Glob.hasWildcard(value) {
                let g = Glob(value, caseInsensitive: true)
                return toks.map { $0.contains { g.matches($0) } }
            }
            let q = Tokenizer.tokens(value)
            if q.isEmpty { return [Bool](repeating: true, count: rows) }
            return toks.map { Self.containsSequence($0, q) }
        case .level:
            let want = LogLevel.normalise(value)
            let levels = b.levels ?? []
            return levels.map { want != nil && $0 == want!.rawValue }
        case .service: return stringMatch(b.services ?? [], value, phrase)
        case .host: return stringMatch(b.hosts ?? [], value, phrase)
        case .source: return stringMatch(b.sources ?? [], value, phrase)
        case .tags:
            let g = Glob(value, caseInsensitive: false)
            return (b.tags ?? []).map { raw in DecodedBlock.tagList(raw).contains { g.matches(Array($0.utf8)) } }
        case .id:
            guard let id = LogID(value) else { return [Bool](repeating: false, count: rows) }
            let ts = b.timestamps ?? [], seq = b.sequences ?? []
            return (0..<rows).map { ts[$0] == id.timestampNanos && seq[$0] == id.sequence }
        case .field(let key):
            guard let col = b.fields[key] else { return [Bool](repeating: false, count: rows) }
            let wild = !phrase && Glob.hasWildcard(value)
            let g = Glob(value, caseInsensitive: false)
            let asDouble = Double(value)
            return col.map { v in
                guard let v else { return false }
                switch v {
                case .int(let x): return asDouble.map { Double(x) == $0 } ?? false
                case .float(let x): return asDouble.map { x == $0 } ?? false
                case .bool(let x): return value.lowercased() == (x ? "true" : "false")
                case .string(let s), .json(let s): return wild ? g.matches(Array(s.utf8)) : s == value
                }
            }
        }
    }

    private func stringMatch(_ col: [[UInt8]], _ value: String, _ phrase: Bool) -> [Bool] {
        if !phrase && Glob.hasWildcard(value) {
            let g = Glob(value, caseInsensitive: false)
            return col.map { g.matches($0) }
        }
        let v = Array(value.utf8)
        return col.map { $0 == v }
    }

    /// Whether `q` occurs as a contiguous run in `tokens`.
    static func containsSequence(_ tokens: [[UInt8]], _ q: [[UInt8]]) -> Bool {
        guard q.count <= tokens.count else { return false }
        outer: for start in 0...(tokens.count - q.count) {
            for k in 0..<q.count where tokens[start + k] != q[k] { continue outer }
            return true
        }
        return false
    }
}

extension DecodedBlock {
    /// A block holding `entries`, every column decoded (how unflushed entries are queried).
    init(entries: [LogEntry]) {
        self.init(rowCount: entries.count)
        timestamps = entries.map(\.timestampNanos)
        sequences = entries.map(\.sequence)
        levels = entries.map(\.level.rawValue)
        services = entries.map { Array($0.service.utf8) }
        hosts = entries.map { Array($0.host.utf8) }
        sources = entries.map { Array($0.source.utf8) }
        messages = entries.map { Array($0.message.utf8) }
        var tagRows = [[UInt8]]()
        for e in entries {
            var w = ByteWriter()
            for t in e.tags { w.writeString(t) }
            tagRows.append(w.bytes)
        }
        tags = tagRows
        var f = [String: [FieldValue?]]()
        for (i, e) in entries.enumerated() {
            for fld in e.fields {
                if f[fld.key] == nil { f[fld.key] = [FieldValue?](repeating: nil, count: entries.count) }
                f[fld.key]![i] = fld.value
            }
        }
        fields = f
    }
}
