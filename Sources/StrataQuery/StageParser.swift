import StrataFormat

/// Parses the pipe stages after the filter: `| stats …`, `| sort …`, `| limit N`, `| fields …`.
struct StageParser {
    enum Tok: Equatable {
        case word(String)
        case lparen, rparen, comma, pipe
    }

    private var toks: [(Tok, Int)] = []
    private var k = 0
    private let end: Int

    /// `start` is the position of the first `|`.
    init(chars: [Unicode.Scalar], start: Int) {
        end = chars.count
        var i = start
        while i < chars.count {
            let c = chars[i]
            switch c {
            case " ", "\t", "\n", "\r": i += 1
            case "(": toks.append((.lparen, i)); i += 1
            case ")": toks.append((.rparen, i)); i += 1
            case ",": toks.append((.comma, i)); i += 1
            case "|": toks.append((.pipe, i)); i += 1
            default:
                let s = i
                var w = String.UnicodeScalarView()
                while i < chars.count, !" \t\n\r(),|".unicodeScalars.contains(chars[i]) { w.append(chars[i]); i += 1 }
                toks.append((.word(String(w)), s))
            }
        }
    }

    private var position: Int { k < toks.count ? toks[k].1 : end }

    private func fail(_ what: String) -> QuerySyntaxError {
        if k < toks.count {
            let found: String
            switch toks[k].0 {
            case .word(let w): found = "'\(w)'"
            case .lparen: found = "'('"
            case .rparen: found = "')'"
            case .comma: found = "','"
            case .pipe: found = "'|'"
            }
            return QuerySyntaxError(position: toks[k].1, message: "expected \(what), found \(found)")
        }
        return QuerySyntaxError(position: end, message: "expected \(what) but the query ended")
    }

    private mutating func word(_ what: String) throws(QuerySyntaxError) -> String {
        guard k < toks.count, case .word(let w) = toks[k].0 else { throw fail(what) }
        k += 1
        return w
    }

    private mutating func expect(_ t: Tok, _ what: String) throws(QuerySyntaxError) {
        guard k < toks.count, toks[k].0 == t else { throw fail(what) }
        k += 1
    }

    private func peekWord() -> String? {
        if k < toks.count, case .word(let w) = toks[k].0 { return w }
        return nil
    }

    private func atStageEnd() -> Bool { k >= toks.count || toks[k].0 == .pipe }

    mutating func parseStages() throws(QuerySyntaxError) -> [QueryStage] {
        var stages = [QueryStage]()
        var statsColumns: [String]? = nil
        while k < toks.count {
            try expect(.pipe, "'|'")
            let at = position
            let name = try word("a stage name (stats, sort, limit, fields)").lowercased()
            switch name {
            case "stats":
                guard stages.isEmpty else {
                    throw QuerySyntaxError(position: at, message: "'stats' must be the first stage")
                }
                let s = try parseStats()
                statsColumns = s.columnNames
                stages.append(.stats(s))
            case "sort":
                if peekWord()?.lowercased() == "by" { k += 1 }
                var keys = [SortKey]()
                repeat {
                    if !keys.isEmpty { k += 1 }
                    let keyAt = position
                    let col = try column("a column to sort by")
                    if let cols = statsColumns, !cols.contains(col) {
                        throw QuerySyntaxError(position: keyAt, message: "unknown column '\(col)' in sort, expected one of \(cols.joined(separator: ", "))")
                    }
                    var desc = false
                    if let d = peekWord()?.lowercased(), d == "asc" || d == "desc" { desc = d == "desc"; k += 1 }
                    keys.append(SortKey(name: col, descending: desc))
                } while k < toks.count && toks[k].0 == .comma
                stages.append(.sort(keys))
            case "limit", "head":
                let numAt = position
                let w = try word("a row count")
                guard let n = Int(w), n >= 0 else {
                    throw QuerySyntaxError(position: numAt, message: "expected a non-negative integer after 'limit', found '\(w)'")
                }
                stages.append(.limit(n))
            case "fields":
                var names = [String]()
                repeat {
                    if !names.isEmpty { k += 1 }
                    let colAt = position
                    let col = try column("a field name")
                    if let cols = statsColumns, !cols.contains(col) {
                        throw QuerySyntaxError(position: colAt, message: "unknown column '\(col)' in fields, expected one of \(cols.joined(separator: ", "))")
                    }
                    names.append(col)
                } while k < toks.count && toks[k].0 == .comma
                stages.append(.fields(names))
            default:
                throw QuerySyntaxError(position: at, message: "unknown stage '\(name)', expected stats, sort, limit or fields")
            }
            guard atStageEnd() else { throw fail("'|' or the end of the query") }
        }
        return stages
    }

    /// A column name; `count()`-style names are read back as one name.
    private mutating func column(_ what: String) throws(QuerySyntaxError) -> String {
        let w = try word(what)
        if k < toks.count, toks[k].0 == .lparen {
            k += 1
            var arg = ""
            if let a = peekWord() { arg = a; k += 1 }
            try expect(.rparen, "')'")
            return "\(w.lowercased())(\(arg))"
        }
        return w
    }

    private mutating func parseStats() throws(QuerySyntaxError) -> StatsStage {
        var aggs = [Aggregate]()
        repeat {
            if !aggs.isEmpty { k += 1 }
            aggs.append(try parseAggregate())
        } while k < toks.count && toks[k].0 == .comma
        var groups = [GroupKey]()
        if peekWord()?.lowercased() == "by" {
            k += 1
            repeat {
                if !groups.isEmpty { k += 1 }
                let gAt = position
                let w = try word("a field or bucket(duration) to group by")
                if w.lowercased() == "bucket", k < toks.count, toks[k].0 == .lparen {
                    k += 1
                    let dAt = position
                    let d = try word("a duration such as 5m")
                    guard let nanos = DurationText.parseNanos(d), nanos > 0 else {
                        throw QuerySyntaxError(position: dAt, message: "expected a duration such as 30s, 5m, 1h or 1d, found '\(d)'")
                    }
                    try expect(.rparen, "')'")
                    groups.append(.bucket(nanos: nanos, text: d))
                } else {
                    if groups.contains(.field(w)) {
                        throw QuerySyntaxError(position: gAt, message: "'\(w)' is already a group key")
                    }
                    groups.append(.field(w))
                }
            } while k < toks.count && toks[k].0 == .comma
        }
        var seen = Set<String>()
        for name in groups.map(\.name) + aggs.map(\.name) where !seen.insert(name).inserted {
            throw QuerySyntaxError(position: position, message: "duplicate output column '\(name)', use 'as' to rename")
        }
        return StatsStage(aggregates: aggs, groups: groups)
    }

    private mutating func parseAggregate() throws(QuerySyntaxError) -> Aggregate {
        let at = position
        let fn = try word("an aggregate such as count(), avg(field) or p95(field)").lowercased()
        let kind: Aggregate.Kind
        switch fn {
        case "count": kind = .count
        case "sum": kind = .sum
        case "avg", "mean": kind = .avg
        case "min": kind = .min
        case "max": kind = .max
        case "count_distinct", "distinct", "dc": kind = .countDistinct
        case "median": kind = .percentile(50)
        default:
            if fn.hasPrefix("p"), let p = Double(fn.dropFirst()), p > 0, p <= 100 {
                kind = .percentile(p)
            } else {
                throw QuerySyntaxError(position: at, message: "unknown aggregate '\(fn)', expected count, sum, avg, min, max, count_distinct or pN (p50, p99.9)")
            }
        }
        try expect(.lparen, "'(' after '\(fn)'")
        var field: String? = nil
        if let w = peekWord() { field = w; k += 1 }
        try expect(.rparen, "')'")
        if field == nil && kind != .count {
            throw QuerySyntaxError(position: at, message: "'\(fn)' needs a field, e.g. \(fn)(duration_ms)")
        }
        var name = "\(fn)(\(field ?? ""))"
        if peekWord()?.lowercased() == "as" {
            k += 1
            name = try word("a column name after 'as'")
        }
        return Aggregate(kind: kind, field: field, name: name)
    }
}
