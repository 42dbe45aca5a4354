import StrataCodec
import StrataFormat
import StrataSegment
#if canImport(Glibc)
import Glibc
#endif

/// Evaluates a compiled query over a decoded block a column at a time, producing a
/// `RowSelection`. AND evaluates its children only on the rows still selected; leaves on
/// low-cardinality columns test each distinct value once.
struct BlockMatcher {
    let root: CompiledNode

    /// The columns evaluation needs (time and sequence only for id leaves).
    func requiredColumns() -> ColumnSelection {
        var sys: Set<SystemColumn> = []
        var fields = Set<String>()
        func walk(_ n: CompiledNode) {
            switch n {
            case .all, .none: break
            case .id: sys.formUnion([.timestamp, .sequence])
            case .and(let xs), .or(let xs): xs.forEach(walk)
            case .not(let x): walk(x)
            case .messageTokens, .messageToken, .messageNonEmpty: sys.insert(.messageTemplates)
            case .level: sys.insert(.level)
            case .service: sys.insert(.service)
            case .host: sys.insert(.host)
            case .source: sys.insert(.source)
            case .tag: sys.insert(.tags)
            case .field(let k, _): fields.insert(k)
            }
        }
        walk(root)
        var sel = ColumnSelection(system: sys, fields: fields, renderMessages: false)
        sel.fieldsAsViews = true
        return sel
    }

    /// Per-block evaluation state: the task's skeleton cache, reusable token and template-scan
    /// buffers, and the first rendering error (a damaged block).
    final class TokenCache {
        let shared: SkeletonCache
        let matcher = TokenMatcher()
        var scratch = TemplateScan.Scratch()
        var error: FormatError?
        init(shared: SkeletonCache) { self.shared = shared }
    }

    /// Skeletons by template bytes, reused across the blocks one task scans (blocks of one
    /// application share most templates). Not thread-safe: one per task.
    final class SkeletonCache {
        var byBytes: [[UInt8]: TemplateSkeleton?] = [:]
        /// Static template analyses by query tokens, then by the xxh3 of the template bytes
        /// (the bytes are kept and compared, so a hash collision only costs a recomputation).
        var statics: [[[UInt8]]: [UInt64: (bytes: [UInt8], analysis: TemplateScan.Static)]] = [:]

        /// nil when the template does not parse (the row must then be rendered, which reports it).
        func skeleton(_ bytes: [UInt8]) -> TemplateSkeleton? {
            if let s = byBytes[bytes] { return s }
            let parts = try? withBytes(bytes) { (p: UnsafeRawBufferPointer) throws(FormatError) in
                try MessageTemplate.parse(p, section: "template", offset: 0)
            }
            let s = parts.map { TemplateSkeleton($0) }
            if byBytes.count > 100_000 { byBytes.removeAll() }
            byBytes[bytes] = .some(s)
            return s
        }
    }

    func evaluate(_ block: DecodedBlock, skeletons: SkeletonCache = SkeletonCache()) throws(FormatError) -> RowSelection {
        let cache = TokenCache(shared: skeletons)
        let sel = eval(root, block, RowSelection(rowCount: block.rowCount, all: true), cache)
        if let e = cache.error { throw e }
        return sel
    }

    /// Rows of `candidates` whose message passes, deciding per template where the template
    /// alone settles it and rendering only the rows of undecided templates.
    /// With `singleToken`, an undecided row is settled from its variable regions alone (the
    /// template's static tokens already failed); otherwise the whole message is rendered.
    /// Message tokens of at most 64 go through `tokenFilter` instead.
    private func messageFilter(_ b: DecodedBlock, _ candidates: RowSelection, _ cache: TokenCache, singleToken: Bool,
                               globTest: Glob? = nil, needle: [UInt8] = [],
                               classify: (TemplateSkeleton, BlockText) -> TemplateSkeleton.Verdict,
                               test: ([UInt8]) -> Bool) -> RowSelection {
        guard let mb = b.messageBlock else {
            return filter(candidates) { test(message(b, $0, cache)) }
        }
        let ranges = mb.streams.templateRanges
        let text = BlockText(mb, variableTokens: b.variableTokens)
        let globLiteral = globTest?.longestLiteral ?? []
        // What a row's string variables must contain when only they can match (maybeStrings).
        let stringNeedle = globTest == nil ? needle : globLiteral
        var verdict = [UInt8](repeating: 255, count: ranges.count)
        return mb.streams.templateBlob.withUnsafeBufferPointer { blob in mb.streams.codes.withUnsafeBufferPointer { codes in
            filter(candidates) { i in
                let k = Int(codes[i])
                if verdict[k] == 255 {
                    if let g = globTest {
                        verdict[k] = TemplateScan.classify(UnsafeBufferPointer(rebasing: blob[ranges[k]]), glob: g, literal: globLiteral,
                                                           text, scratch: &cache.scratch).rawValue
                    } else if let sk = cache.shared.skeleton(Array(blob[ranges[k]])) {
                        verdict[k] = classify(sk, text).rawValue
                    } else {
                        verdict[k] = TemplateSkeleton.Verdict.maybe.rawValue
                    }
                }
                switch verdict[k] {
                case TemplateSkeleton.Verdict.always.rawValue: return true
                case TemplateSkeleton.Verdict.never.rawValue: return false
                default: return decideRow(b, mb, i, verdict: verdict[k], needle: stringNeedle, text, singleToken: singleToken, cache, test: test)
                }
            }
        } }
    }

    /// A row its template left undecided: a `maybeStrings` row first needs `needle` in one of
    /// its string variables; then its variable regions (a single token, whose static
    /// occurrences already failed) or its whole rendered message decide.
    private func decideRow(_ b: DecodedBlock, _ mb: MessageBlock, _ i: Int, verdict: UInt8, needle: [UInt8], _ text: BlockText,
                           singleToken: Bool, _ cache: TokenCache, test: ([UInt8]) -> Bool) -> Bool {
        if verdict == TemplateSkeleton.Verdict.maybeStrings.rawValue && !text.stringRow(needle, i) { return false }
        if singleToken {
            do throws(FormatError) { return try mb.anyVariableRegion(i, test) } catch {
                if cache.error == nil { cache.error = error }
                return false
            }
        }
        return test(message(b, i, cache))
    }

    /// `messageFilter` for message tokens: each template used by a candidate is classified once
    /// (its static part once per distinct template per task), rows of settled templates are
    /// selected by code in one tight loop, and only rows of undecided templates are looked at.
    private func tokenFilter(_ b: DecodedBlock, _ mb: MessageBlock, _ q: [[UInt8]], _ candidates: RowSelection, _ cache: TokenCache,
                             test: ([UInt8]) -> Bool) -> RowSelection {
        let text = BlockText(mb, variableTokens: b.variableTokens)
        let streams = mb.streams
        let ranges = streams.templateRanges
        let n = ranges.count
        // With every row a candidate, every template counts as used (no pass over the codes; a
        // template no row uses only costs its classification).
        let everyRow = candidates.isFull
        var used = [Bool](repeating: everyRow, count: n)
        if !everyRow {
            streams.codes.withUnsafeBufferPointer { codes in candidates.forEach { used[Int(codes[$0])] = true } }
        }
        var pass = [Bool](repeating: false, count: n)
        var undecided = [UInt8](repeating: 0, count: n)   // a Verdict raw value, 0 when settled
        var anyUndecided = false
        var memo = cache.shared.statics.removeValue(forKey: q) ?? [:]
        streams.templateBlob.withUnsafeBufferPointer { blob in
            for k in 0..<n where used[k] {
                let p = UnsafeBufferPointer(rebasing: blob[ranges[k]])
                let h = xxh3(UnsafeRawBufferPointer(p), seed: 0)
                let st: TemplateScan.Static
                if let known = memo[h], known.bytes.count == p.count,
                   (p.isEmpty || known.bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, p.baseAddress!, p.count) == 0 })) {
                    st = known.analysis
                } else {
                    st = TemplateScan.classifyStatic(p, q, scratch: &cache.scratch)
                    if memo[h] == nil { memo[h] = (Array(p), st) }
                }
                switch TemplateScan.finish(st, q, text) {
                case .always: pass[k] = true
                case .never: break
                case let v:
                    undecided[k] = v.rawValue
                    anyUndecided = true
                }
            }
        }
        if memo.count > 100_000 { memo.removeAll() }
        cache.shared.statics[q] = memo
        var out = RowSelection.byCode(streams.codes, pass: pass, within: candidates)
        guard anyUndecided else { return out }
        streams.codes.withUnsafeBufferPointer { codes in
            candidates.forEach { i in
                let v = undecided[Int(codes[i])]
                if v != 0 && decideRow(b, mb, i, verdict: v, needle: q[0], text, singleToken: q.count == 1, cache, test: test) { out[i] = true }
            }
        }
        return out
    }

    /// Rows of `candidates` that satisfy `n` (rows outside `candidates` are never set).
    private func eval(_ n: CompiledNode, _ b: DecodedBlock, _ candidates: RowSelection, _ cache: TokenCache) -> RowSelection {
        let rows = b.rowCount
        switch n {
        case .all: return candidates
        case .none: return RowSelection(rowCount: rows, all: false)
        case .and(let xs):
            var acc = candidates
            for x in xs {
                if acc.isEmpty { break }
                acc = eval(x, b, acc, cache)
            }
            return acc
        case .or(let xs):
            var acc = RowSelection(rowCount: rows, all: false)
            var rest = candidates
            for x in xs {
                if rest.isEmpty { break }
                let v = eval(x, b, rest, cache)
                acc.formUnion(v)
                var notV = v
                notV.invert()
                rest.formIntersection(notV)
            }
            return acc
        case .not(let x):
            var v = eval(x, b, candidates, cache)
            v.invert()
            v.formIntersection(candidates)
            return v
        case .messageTokens(let q):
            let test = { (m: [UInt8]) in cache.matcher.containsSequence(m, q) }
            if q.count <= 64, !q.isEmpty, let mb = b.messageBlock { return tokenFilter(b, mb, q, candidates, cache, test: test) }
            return messageFilter(b, candidates, cache, singleToken: q.count == 1, needle: q.first ?? [],
                                 classify: { $0.classify(q, $1) }, test: test)
        case .messageToken(let t):
            var glob: Glob? = nil
            if case .glob(let g) = t { glob = g }
            return messageFilter(b, candidates, cache, singleToken: true, globTest: glob,
                                 classify: { s, _ in s.classify(t) }) { cache.matcher.anyToken($0, t) }
        case .messageNonEmpty:
            return filter(candidates) { !message(b, $0, cache).isEmpty }
        case .level(let allowed):
            guard let levels = b.levels else { return RowSelection(rowCount: rows, all: false) }
            return RowSelection.byCode(levels, pass: allowed + [Bool](repeating: false, count: 256 - allowed.count), within: candidates)
        case .service(let t): return distinctTest(b.services, t, candidates)
        case .host(let t): return distinctTest(b.hosts, t, candidates)
        case .source(let t): return distinctTest(b.sources, t, candidates)
        case .tag(let t):
            guard let tags = b.tags else { return RowSelection(rowCount: rows, all: false) }
            return filter(candidates) { i in DecodedBlock.tagList(tags[i]).contains { t.test(Array($0.utf8)) } }
        case .id(let t):
            let ts = b.timestamps ?? [], seq = b.sequences ?? []
            return filter(candidates) { i in
                t.test(Array(LogID(timestampNanos: ts[i], sequence: seq[i]).description.utf8))
            }
        case .field(let key, let t):
            if let view = b.fieldViews[key] { return fieldFilter(view, t, candidates) }
            guard let col = b.fields[key] else { return RowSelection(rowCount: rows, all: false) }
            return filter(candidates) { t.test(col[$0]) }
        }
    }

    /// A field leaf on a view: equality compares in place (no String per row); other tests build
    /// the value of each candidate row.
    private func fieldFilter(_ v: FieldColumnView, _ t: FieldTest, _ candidates: RowSelection) -> RowSelection {
        guard case .term(let text, let int, let double, let bool) = t else {
            return filter(candidates) { t.test(v.value($0)) }
        }
        let bytes = Array(text.utf8)
        return filter(candidates) { i in
            let j = Int(v.slots[i])
            switch v.tags[i] {
            case 0: return false
            case 1:
                if let int { return v.ints[j] == int }
                if let double { return Double(v.ints[j]) == double }
                return false
            case 2: return double.map { v.floats[j] == $0 } ?? false
            case 3: return bool.map { (v.bools[j] == 1) == $0 } ?? false
            case 4: return v.strings.equals(j, bytes)
            default: return v.jsons.equals(j, bytes)
            }
        }
    }

    private func filter(_ candidates: RowSelection, _ body: (Int) -> Bool) -> RowSelection {
        var out = RowSelection(rowCount: candidates.rowCount, all: false)
        candidates.forEach { i in if body(i) { out[i] = true } }
        return out
    }

    /// Tests each distinct value once, then selects rows by code.
    private func distinctTest(_ col: KeywordColumn?, _ t: StringTest, _ candidates: RowSelection) -> RowSelection {
        guard let col else { return RowSelection(rowCount: candidates.rowCount, all: false) }
        let pass = col.dictionary.map { t.test($0) }
        if !pass.contains(true) { return RowSelection(rowCount: candidates.rowCount, all: false) }
        return RowSelection.byCode(col.codes, pass: pass, within: candidates)
    }

    private func message(_ b: DecodedBlock, _ i: Int, _ cache: TokenCache) -> [UInt8] {
        if let m = b.messages { return m[i] }
        guard let mb = b.messageBlock else { return [] }
        do throws(FormatError) { return try mb.message(i) } catch {
            if cache.error == nil { cache.error = error }
            return []
        }
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
        services = KeywordColumn(values: entries.lazy.map { Array($0.service.utf8) })
        hosts = KeywordColumn(values: entries.lazy.map { Array($0.host.utf8) })
        sources = KeywordColumn(values: entries.lazy.map { Array($0.source.utf8) })
        messages = entries.map { Array($0.message.utf8) }
        var w = ByteWriter()
        var starts = [0]
        starts.reserveCapacity(entries.count + 1)
        for e in entries {
            for t in e.tags { w.writeString(t) }
            starts.append(w.bytes.count)
        }
        tags = .plain(starts: starts, bytes: w.bytes)
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
