import StrataFormat
import StrataSegment

/// One output value of an aggregation row.
public enum CellValue: Hashable, Sendable, Comparable {
    case null
    case int(Int64)
    case double(Double)
    case string(String)

    /// Order: null first, then numbers (numerically), then strings (bytewise).
    public static func < (a: CellValue, b: CellValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return false
        case (.null, _): return true
        case (_, .null): return false
        case (.string(let x), .string(let y)): return x.utf8.lexicographicallyPrecedes(y.utf8)
        case (.string, _): return false
        case (_, .string): return true
        default: return a.number! < b.number!
        }
    }

    public var number: Double? {
        switch self {
        case .int(let v): Double(v)
        case .double(let v): v
        default: nil
        }
    }

    /// Appends the JSON form (`null`, a number, a string).
    public func appendJSON(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .int(let v): out.append(contentsOf: String(v).utf8)
        case .double(let v): out.append(contentsOf: formatDouble(v).utf8)
        case .string(let s): LogEntryJSON.appendString(s, to: &out)
        }
    }

    /// Text for table output.
    public var text: String {
        switch self {
        case .null: "-"
        case .int(let v): String(v)
        case .double(let v): formatDouble(v)
        case .string(let s): s
        }
    }
}

/// The value of `target` in row `i` of a block, as a field value (system columns give strings;
/// nil when absent or empty).
func cellValue(_ target: FieldTarget, _ b: DecodedBlock, _ i: Int) -> FieldValue? {
    func str(_ v: [UInt8]?) -> FieldValue? {
        guard let v, !v.isEmpty else { return nil }
        return .string(String(decoding: v, as: UTF8.self))
    }
    func str(_ col: KeywordColumn?) -> FieldValue? { str(col?[i]) }
    switch target {
    case .message:
        if let m = b.messages { return str(m[i]) }
        return str(try? b.messageBlock?.message(i))
    case .level:
        guard let l = b.levels.flatMap({ LogLevel(rawValue: $0[i]) }), l != .unknown else { return nil }
        return .string(l.description)
    case .service: return str(b.services)
    case .host: return str(b.hosts)
    case .source: return str(b.sources)
    case .tags:
        guard let t = b.tags?[i], !t.isEmpty else { return nil }
        return .string(DecodedBlock.tagList(t).joined(separator: ","))
    case .id:
        guard let ts = b.timestamps, let sq = b.sequences else { return nil }
        return .string(LogID(timestampNanos: ts[i], sequence: sq[i]).description)
    case .field(let k):
        if let col = b.fields[k] { return col[i] }
        return b.fieldViews[k]?.value(i)
    }
}

/// Columns needed to read `target` (see `cellValue`).
func addColumns(for target: FieldTarget, to sel: inout ColumnSelection) {
    switch target {
    case .message: sel.system.insert(.messageTemplates)
    case .level: sel.system.insert(.level)
    case .service: sel.system.insert(.service)
    case .host: sel.system.insert(.host)
    case .source: sel.system.insert(.source)
    case .tags: sel.system.insert(.tags)
    case .id: sel.system.formUnion([.timestamp, .sequence])
    case .field(let k): sel.fields = (sel.fields ?? []).union([k])
    }
}

/// Running state of one aggregate in one group.
struct Accumulator: Sendable {
    var count = 0
    var sum = 0.0
    var intSum: Int64 = 0
    var allInt = true
    var min: CellValue = .null
    var max: CellValue = .null
    var quantiles: QuantileSketch?
    var distinct: Set<String>?
    var hll: HyperLogLog?

    static let distinctExactLimit = 10_000

    mutating func add(_ v: FieldValue?, kind: Aggregate.Kind, hasField: Bool) {
        if kind == .count {
            if !hasField || v != nil { count += 1 }
            return
        }
        guard let v else { return }
        if kind == .countDistinct {
            let text = v.text
            if hll != nil {
                hll!.insert(hash: xxhash64(Array(text.utf8)))
            } else {
                if distinct == nil { distinct = [] }
                distinct!.insert(text)
                if distinct!.count > Self.distinctExactLimit {
                    var h = HyperLogLog()
                    for s in distinct! { h.insert(hash: xxhash64(Array(s.utf8))) }
                    hll = h
                    distinct = nil
                }
            }
            return
        }
        let cell: CellValue
        let d: Double
        switch v {
        case .int(let x): cell = .int(x); d = Double(x)
        case .float(let x): guard !x.isNaN else { return }; cell = .double(x); d = x
        default: return
        }
        count += 1
        switch kind {
        case .sum, .avg:
            sum += d
            if case .int(let x) = cell, allInt {
                let (s, o) = intSum.addingReportingOverflow(x)
                if o { allInt = false } else { intSum = s }
            } else {
                allInt = false
            }
        case .min: if min == .null || cell.number! < min.number! { min = cell }
        case .max: if max == .null || cell.number! > max.number! { max = cell }
        case .percentile:
            if quantiles == nil { quantiles = QuantileSketch() }
            quantiles!.insert(d)
        default: break
        }
    }

    mutating func merge(_ o: Accumulator, kind: Aggregate.Kind) {
        count += o.count
        sum += o.sum
        if allInt && o.allInt {
            let (s, ov) = intSum.addingReportingOverflow(o.intSum)
            if ov { allInt = false } else { intSum = s }
        } else {
            allInt = false
        }
        if o.min != .null && (min == .null || o.min.number! < min.number!) { min = o.min }
        if o.max != .null && (max == .null || o.max.number! > max.number!) { max = o.max }
        if let q = o.quantiles {
            if quantiles == nil { quantiles = q } else { quantiles!.merge(q) }
        }
        if kind == .countDistinct {
            if let h = o.hll {
                if hll == nil { toHLL() }
                hll!.merge(h)
            } else if let s = o.distinct {
                if let h = hll {
                    var h2 = h
                    for x in s { h2.insert(hash: xxhash64(Array(x.utf8))) }
                    hll = h2
                } else {
                    distinct = (distinct ?? []).union(s)
                    if distinct!.count > Self.distinctExactLimit { toHLL() }
                }
            }
        }
    }

    private mutating func toHLL() {
        var h = HyperLogLog()
        for s in distinct ?? [] { h.insert(hash: xxhash64(Array(s.utf8))) }
        hll = h
        distinct = nil
    }

    /// The final value, and whether it is approximate.
    func result(_ kind: Aggregate.Kind) -> (CellValue, Bool) {
        switch kind {
        case .count: return (.int(Int64(count)), false)
        case .sum:
            if count == 0 { return (.null, false) }
            return (allInt ? .int(intSum) : .double(sum), false)
        case .avg: return (count == 0 ? .null : .double(sum / Double(count)), false)
        case .min: return (min, false)
        case .max: return (max, false)
        case .percentile(let p):
            guard let q = quantiles, let v = q.percentile(p) else { return (.null, false) }
            return (.double(v), !q.isExact)
        case .countDistinct:
            if let h = hll { return (.int(Int64(h.estimate.rounded())), true) }
            return (.int(Int64(distinct?.count ?? 0)), false)
        }
    }
}

/// Groups matching rows by the `by` keys and accumulates the aggregates of a `stats` stage.
/// Partial aggregators (one per segment) merge exactly; percentiles and distinct counts stay
/// exact up to 10 000 values per group and are then approximated (see `QuantileSketch`,
/// `HyperLogLog`), which `approximateColumns` reports.
final class Aggregator: @unchecked Sendable {
    let stats: StatsStage
    let groupTargets: [FieldTarget?]
    let aggTargets: [FieldTarget?]
    var groups: [[CellValue]: [Accumulator]] = [:]

    init(stats: StatsStage) {
        self.stats = stats
        groupTargets = stats.groups.map { g in
            if case .field(let f) = g { return FieldTarget(f) }
            return nil
        }
        aggTargets = stats.aggregates.map { a in a.field.map { FieldTarget($0) } }
    }

    /// Columns the aggregation reads.
    func addColumns(to sel: inout ColumnSelection) {
        for t in groupTargets + aggTargets {
            if let t { StrataQuery.addColumns(for: t, to: &sel) }
        }
        if stats.groupsByTime { sel.system.insert(.timestamp) }
    }

    /// Hashable stand-in for up to two group values within one block.
    struct LocalKey: Hashable { var a: Int; var b: Int }

    /// Fast path for up to two groups on time buckets, level, service, host or source: rows are
    /// grouped by cheap per-block keys (bucket number, level byte, dictionary code) and each
    /// group's cells are built once per block. Returns false when it does not apply.
    private func addFast(_ b: DecodedBlock, _ selection: RowSelection) -> Bool {
        guard stats.groups.count <= 2 else { return false }
        var keyFns = [(Int) -> Int]()
        for (g, group) in stats.groups.enumerated() {
            switch group {
            case .bucket(let w, _):
                guard let ts = b.timestamps else { return false }
                keyFns.append { Int(Self.bucketStart(ts[$0], w) / w) }
            case .field:
                switch groupTargets[g]! {
                case .level:
                    guard let lv = b.levels else { return false }
                    keyFns.append { Int(lv[$0]) }
                case .service, .host, .source:
                    let col: KeywordColumn?
                    switch groupTargets[g]! {
                    case .service: col = b.services
                    case .host: col = b.hosts
                    default: col = b.sources
                    }
                    guard let col else { return false }
                    let codes = col.codes
                    keyFns.append { Int(codes[$0]) }
                default: return false
                }
            }
        }
        let countOnly = stats.aggregates.allSatisfy { $0.kind == .count && $0.field == nil }
        var local = [LocalKey: Int]()
        var representative = [Int]()
        var accs = [[Accumulator]]()
        let empty = [Accumulator](repeating: Accumulator(), count: stats.aggregates.count)
        selection.forEach { i in
            let key = LocalKey(a: keyFns.count > 0 ? keyFns[0](i) : 0, b: keyFns.count > 1 ? keyFns[1](i) : 0)
            let slot: Int
            if let s = local[key] { slot = s } else {
                slot = accs.count
                local[key] = slot
                representative.append(i)
                accs.append(empty)
            }
            if countOnly {
                for a in accs[slot].indices { accs[slot][a].count += 1 }
            } else {
                for (a, agg) in stats.aggregates.enumerated() {
                    let v = aggTargets[a].flatMap { cellValue($0, b, i) }
                    accs[slot][a].add(v, kind: agg.kind, hasField: agg.field != nil)
                }
            }
        }
        for (slot, row) in representative.enumerated() {
            var key = [CellValue]()
            for (g, group) in stats.groups.enumerated() {
                switch group {
                case .bucket(let w, _):
                    key.append(.int(Self.bucketStart(b.timestamps![row], w)))
                case .field: key.append(Self.groupCell(cellValue(groupTargets[g]!, b, row)))
                }
            }
            if var mine = groups[key] {
                for a in mine.indices { mine[a].merge(accs[slot][a], kind: stats.aggregates[a].kind) }
                groups[key] = mine
            } else {
                groups[key] = accs[slot]
            }
        }
        return true
    }

    func add(_ b: DecodedBlock, _ selection: RowSelection) {
        if addFast(b, selection) { return }
        let empty = [Accumulator](repeating: Accumulator(), count: stats.aggregates.count)
        var key = [CellValue](repeating: .null, count: stats.groups.count)
        selection.forEach { i in
            var tagFanout: [String]? = nil
            var tagSlot = -1
            for (g, group) in stats.groups.enumerated() {
                switch group {
                case .bucket(let w, _):
                    key[g] = .int(Self.bucketStart(b.timestamps![i], w))
                case .field:
                    let t = groupTargets[g]!
                    if t == .tags {
                        let list = b.tags.map { DecodedBlock.tagList($0[i]) } ?? []
                        if !list.isEmpty { tagFanout = list; tagSlot = g }
                        key[g] = .null
                        continue
                    }
                    key[g] = Self.groupCell(cellValue(t, b, i))
                }
            }
            let keys: [[CellValue]]
            if let tags = tagFanout {
                keys = Array(Set(tags)).map { var k = key; k[tagSlot] = .string($0); return k }
            } else {
                keys = [key]
            }
            for k in keys {
                var accs = groups[k] ?? empty
                for (a, agg) in stats.aggregates.enumerated() {
                    let v = aggTargets[a].flatMap { cellValue($0, b, i) }
                    accs[a].add(v, kind: agg.kind, hasField: agg.field != nil)
                }
                groups[k] = accs
            }
        }
    }

    /// The start of the width-`w` bucket holding `t` (floor division, so times before 1970 work).
    static func bucketStart(_ t: Int64, _ w: Int64) -> Int64 {
        var q = t / w
        if t % w != 0 && t < 0 { q -= 1 }
        return q * w
    }

    static func groupCell(_ v: FieldValue?) -> CellValue {
        guard let v else { return .null }
        switch v {
        case .int(let x): return .int(x)
        case .float(let x): return .double(x)
        default: return .string(v.text)
        }
    }

    func merge(_ o: Aggregator) {
        for (k, accs) in o.groups {
            if var mine = groups[k] {
                for a in mine.indices { mine[a].merge(accs[a], kind: stats.aggregates[a].kind) }
                groups[k] = mine
            } else {
                groups[k] = accs
            }
        }
    }

    /// The rows (group values then aggregate values), sorted by group keys ascending, and the
    /// names of columns holding approximate values. With no `by` keys there is exactly one row.
    func finish() -> (rows: [[CellValue]], approximate: [String]) {
        var approx = Set<String>()
        if stats.groups.isEmpty && groups.isEmpty {
            groups[[]] = [Accumulator](repeating: Accumulator(), count: stats.aggregates.count)
        }
        var rows = [[CellValue]]()
        for (k, accs) in groups {
            var row = k
            for (a, agg) in stats.aggregates.enumerated() {
                let (v, isApprox) = accs[a].result(agg.kind)
                if isApprox { approx.insert(agg.name) }
                row.append(v)
            }
            // Buckets print as RFC 3339 times.
            for (g, group) in stats.groups.enumerated() {
                if case .bucket = group, case .int(let ns) = row[g] { row[g] = .string(Timestamp.format(ns)) }
            }
            rows.append(row)
        }
        rows.sort { a, b in
            for g in 0..<stats.groups.count where a[g] != b[g] { return a[g] < b[g] }
            return false
        }
        return (rows, stats.aggregates.map(\.name).filter { approx.contains($0) })
    }
}
